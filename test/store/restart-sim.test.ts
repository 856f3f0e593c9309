// Durability in the simulator (docs/replication.md §6): nodes keep their items on a "disk" (a memory store
// that survives the process) and restart on it. After the whole cluster stops in place (what `cluster down`
// does; to the others it looks like a crash) and starts again one node after another, every acknowledged
// write reads back; a single node restarted on its disk rejoins and the cluster answers as before. If instead
// every node *leaves* at once, data handed to nodes that were leaving too may be out of reach, but no read
// ever answers anything but the last value.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RingId } from "../../src/core/id-space.js";
import type { NodeRef } from "../../src/core/node-ref.js";
import {
  type NodeConfig,
  type NodeMessage,
  type NodeTimer,
  SelfmanNode,
} from "../../src/node/selfman-node.js";
import { DEFAULT_OVERLAY } from "../../src/overlay/config.js";
import { Simulator } from "../../src/sim/engine/simulator.js";
import type { Value } from "../../src/store/item.js";
import { DEFAULT_PROPOSER, type KvResult } from "../../src/store/kv-proposer.js";
import { DEFAULT_STORE } from "../../src/store/replica-store.js";
import { MemoryStorePort } from "../../src/store/store-port.js";
import { DEFAULT_TX } from "../../src/tx/tx-coordinator.js";

const CONFIG: NodeConfig = {
  overlay: DEFAULT_OVERLAY,
  store: DEFAULT_STORE,
  proposer: DEFAULT_PROPOSER,
  tx: DEFAULT_TX,
};
const NODES = 8;
const KEYS = 60;
const START_GAP_MS = 500;
const SETTLE_MS = 30_000;

type Disk = ReturnType<MemoryStorePort["disk"]>;

/** A simulated cluster whose nodes keep their store across crashes and restarts. */
class DiskCluster {
  readonly sim: Simulator<NodeMessage, NodeTimer>;
  private readonly ports = new Map<number, MemoryStorePort>();
  private readonly processes = new Map<number, SelfmanNode>();
  private readonly disks = new Map<number, Disk>();

  constructor(seed: number) {
    this.sim = new Simulator<NodeMessage, NodeTimer>({ seed });
  }

  /** Starts node `index` (a new machine, or a stopped one on its disk), joining through node 0. */
  start(index: number): void {
    if (index < this.sim.nodes.length) {
      this.sim.restart(index);
      return;
    }
    this.sim.addNode((env) => {
      const disk = this.disks.get(index);
      const port = new MemoryStorePort(this.sim.ids, disk);
      const node = new SelfmanNode(env, CONFIG, this.sim.ids, port, this.contactFor(index));
      this.ports.set(index, port);
      this.processes.set(index, node);
      return node;
    });
  }

  /** Node 0 starts a ring (again); the others join through it. */
  private contactFor(index: number): NodeRef | null {
    return index === 0 ? null : (this.sim.nodes[0]?.ref ?? null);
  }

  crash(index: number): void {
    this.keepDisk(index);
    this.sim.crash(index);
  }

  /** A graceful stop: the node leaves (handing its items on), then its process ends. */
  leaveAndStop(index: number): void {
    this.node(index).leave();
    this.sim.after(1000, () => this.crash(index));
  }

  private keepDisk(index: number): void {
    const port = this.ports.get(index);
    if (port !== undefined) this.disks.set(index, port.disk());
  }

  node(index: number): SelfmanNode {
    const node = this.processes.get(index);
    assert.ok(node !== undefined && this.sim.isAlive(index), `node ${index} is running`);
    return node;
  }

  run(ms: number): void {
    this.sim.run(this.sim.nowMs + ms);
  }

  /** Runs one operation through node `via` to its answer. */
  op(via: number, submit: (node: SelfmanNode, done: (r: KvResult) => void) => void): KvResult {
    let result: KvResult | null = null;
    submit(this.node(via), (r) => {
      result = r;
    });
    const deadline = this.sim.nowMs + 60_000;
    while (result === null && this.sim.nowMs < deadline) this.run(100);
    assert.ok(result !== null, "the operation was answered");
    return result;
  }

  unsynced(): RingId[] {
    return [...this.processes.entries()]
      .filter(([i]) => this.sim.isAlive(i))
      .flatMap(([, n]) => n.replicas.unsynced.map((g) => g.to));
  }
}

function buildAndWrite(seed: number): { cluster: DiskCluster; written: Map<string, Value> } {
  const cluster = new DiskCluster(seed);
  for (let i = 0; i < NODES; i++) {
    cluster.start(i);
    cluster.run(START_GAP_MS);
  }
  cluster.run(SETTLE_MS);
  const written = new Map<string, Value>();
  for (let round = 0; round < 2; round++) {
    for (let k = 0; k < KEYS; k++) {
      const key = `key-${k}`;
      const value = { k, round };
      const r = cluster.op((k + round) % NODES, (n, done) => n.put(key, value, done));
      assert.ok(r.ok, `put ${key}: ${r.ok ? "" : r.message}`);
      written.set(key, value);
    }
  }
  return { cluster, written };
}

/** Reads every key; `mayFail`: a read may fail with a clear error, but never answer another value. */
function assertEveryKeyReads(
  cluster: DiskCluster,
  written: Map<string, Value>,
  label: string,
  mayFail = false,
): number {
  let k = 0;
  let failed = 0;
  for (const [key, value] of written) {
    const r = cluster.op(k++ % NODES, (n, done) => n.get(key, done));
    if (!r.ok && mayFail) {
      assert.ok(r.code === "unavailable" || r.code === "timeout", `${label}: get ${key}: ${r.code}`);
      failed++;
      continue;
    }
    assert.ok(r.ok, `${label}: get ${key}: ${r.ok ? "" : r.message}`);
    assert.deepEqual(r.value, value, `${label}: ${key} reads its last value`);
  }
  return failed;
}

function restartAll(cluster: DiskCluster): void {
  for (let i = 0; i < NODES; i++) {
    cluster.start(i);
    cluster.run(START_GAP_MS);
  }
  cluster.run(SETTLE_MS);
}

describe("durability (simulated disks)", () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`the whole cluster stops in place, all restart: every acknowledged write reads back (seed ${seed})`, () => {
      const { cluster, written } = buildAndWrite(seed);
      for (let i = 0; i < NODES; i++) cluster.crash(i);
      cluster.run(5000);
      restartAll(cluster);
      assert.deepEqual(cluster.unsynced(), [], "every range synced again");
      assertEveryKeyReads(cluster, written, "after a full stop");
    });

    it(`every node leaves at once, all restart: reads answer the last value or fail, never another (seed ${seed})`, () => {
      const { cluster, written } = buildAndWrite(seed);
      for (let i = 0; i < NODES; i++) cluster.leaveAndStop(i);
      cluster.run(5000);
      restartAll(cluster);
      assertEveryKeyReads(cluster, written, "after everyone left", true);
    });

    it(`one node restarted on its disk rejoins; every key reads its last value (seed ${seed})`, () => {
      const { cluster, written } = buildAndWrite(seed);
      const victim = 1 + (seed % (NODES - 1));
      cluster.crash(victim);
      cluster.run(SETTLE_MS);
      cluster.start(victim);
      cluster.run(SETTLE_MS);
      assert.deepEqual(cluster.unsynced(), [], "every range synced again");
      assertEveryKeyReads(cluster, written, "after the restart");
    });
  }
});
