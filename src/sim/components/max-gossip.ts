// A deliberately small protocol for exercising the simulator itself (`sim net-chaos`, `npm start`
// until the live runtime exists): push–pull gossip of a maximum. Nodes now and then originate a
// larger value; the maximum spreads epidemically. Safety: no node ever holds a value nobody
// originated. Liveness: once faults stop, every live node holds the same maximum. Sans-I/O: it acts
// only through Env, like every protocol component.
import type { Env, Process } from "../../core/env.js";
import { invariant } from "../../core/invariant.js";
import type { Msg } from "../../core/message.js";
import type { NodeRef } from "../../core/node-ref.js";

export type GossipMessage = Msg<"push", { value: number }> | Msg<"pull", { value: number }>;
export type GossipTimer = Msg<"round">;

interface MaxGossipConfig {
  readonly roundMs: number;
  /** Probability per round that this node originates a new, larger value. */
  readonly originateProbability: number;
  /** Test hook: adopt one more than received (a planted bug the checkers must catch). */
  readonly plantedBug: boolean;
  /**
   * Test hook: from this virtual time on, the next round lowers the value, which breaks the
   * assertion "gossip: value never decreases" (docs/simulator.md §5). Null: never.
   */
  readonly plantedAssertAtMs?: number | null;
}

export class MaxGossip implements Process<GossipMessage, GossipTimer> {
  value = 0;
  private readonly env: Env<GossipMessage, GossipTimer>;
  private readonly peers: readonly NodeRef[];
  private readonly config: MaxGossipConfig;
  private originating = true;

  constructor(env: Env<GossipMessage, GossipTimer>, peers: readonly NodeRef[], config: MaxGossipConfig) {
    this.env = env;
    this.peers = peers;
    this.config = config;
  }

  start(): void {
    this.env.setTimer(this.env.random() * this.config.roundMs, { type: "round" });
  }

  /** Stops originating values (the quiet phase). */
  quiesce(): void {
    this.originating = false;
  }

  onTimer(): void {
    const plantedAt = this.config.plantedAssertAtMs ?? null;
    if (plantedAt !== null && this.env.now() >= plantedAt) this.adopt(this.value - 1);
    if (this.originating && this.env.random() < this.config.originateProbability) {
      this.adopt(this.value + 1 + Math.floor(this.env.random() * 3));
      this.env.emit({ type: "originated", value: this.value });
    }
    const peer = this.peers[Math.floor(this.env.random() * this.peers.length)];
    if (peer !== undefined && peer.addr !== this.env.self.addr) {
      this.env.send(peer, { type: "push", value: this.value });
      if (this.env.buggify("gossip.double-push")) this.env.send(peer, { type: "push", value: this.value });
    }
    const jitter = 0.5 + this.env.random();
    this.env.setTimer(this.config.roundMs * jitter, { type: "round" });
  }

  onMessage(from: NodeRef, msg: GossipMessage): void {
    const received = this.config.plantedBug ? msg.value + 1 : msg.value;
    if (received > this.value) this.adopt(received);
    else if (msg.type === "push" && this.value > msg.value)
      this.env.send(from, { type: "pull", value: this.value });
  }

  private adopt(value: number): void {
    invariant(value >= this.value, "gossip: value never decreases", () => `${this.value} -> ${value}`);
    this.value = value;
  }
}
