// `selfman sim replica-maintenance` (benchmark B8 of docs/metrics.md §7.1; figures in
// docs/replication.md §7): what symmetric replication costs per membership event. For each ring size it
// builds a ring of full nodes, stores `--keys` keys, then runs joins and graceful leaves one at a time and
// counts every message that carries items or repair digests (hand-overs and their acks, repair asks and
// replies), and their encoded bytes, per event. The claim: O(1) messages per event, whatever N.
import type { NodeMessage, NodeTimer, SelfmanNode } from "../../node/selfman-node.js";
import { packr } from "../../wire/codec.js";
import type { Simulator } from "../engine/simulator.js";
import { parseCount } from "../params.js";
import { type RingWorkload, runRing } from "../ring-harness.js";
import { selfmanRing } from "../ring-protocol.js";
import {
  type CommonParams,
  firedSites,
  type Scenario,
  type ScenarioOutcome,
  type ScenarioParams,
  simBase,
} from "../scenario.js";

const MAINTENANCE = new Set(["handover", "handoverAck", "repairAsk", "repairReply"]);

function parseSizes(raw: string): string {
  const sizes = raw.split(",").map((s) => Number(s.trim()));
  if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n < 8 || n > 100_000))
    throw new RangeError(
      `--sizes: expected ring sizes (integers 8..100000) separated by commas, got ${JSON.stringify(raw)}`,
    );
  return sizes.join(",");
}

interface Counted {
  messages: number;
  bytes: number;
}

/** One ring size's cost per membership event (B8). */
type MaintenanceRow = {
  readonly nodes: number;
  readonly keys: number;
  readonly storedKeys: number;
  readonly joins: number;
  readonly leaves: number;
  readonly messagesPerEvent: number;
  readonly bytesPerEvent: number;
  readonly liveNodes: number;
};

/** What `sim replica-maintenance` prints (docs/replication.md §7). */
type ReplicaMaintenanceMetrics = {
  readonly rows: readonly MaintenanceRow[];
  readonly messagesPerEventMin: number;
  readonly messagesPerEventMax: number;
};

function measure(
  nodes: number,
  common: CommonParams,
  keys: number,
  events: number,
): { row: MaintenanceRow; events: number; traceHash: string; sim: Simulator<NodeMessage, NodeTimer> } {
  const counted: Counted = { messages: 0, bytes: 0 };
  let counting = false;
  let joins = 0;
  let leaves = 0;
  let stored = 0;
  const workload: RingWorkload<NodeMessage, NodeTimer> = {
    start(ctx) {
      const members = () => ctx.members.views() as unknown as SelfmanNode[];
      const writer = members()[0] as SelfmanNode;
      const put = (i: number) => {
        if (i >= keys) {
          // every key stored: now one membership event every 2 s, alternating join and leave
          counting = true;
          for (let e = 0; e < events; e++) {
            ctx.sim.after(2000 * (e + 1), () => {
              if (e % 2 === 0) {
                ctx.addNode();
                joins++;
              } else {
                const victim = members()[ctx.sim.rng.int(members().length)];
                if (victim === undefined || victim === writer) return;
                victim.leave();
                leaves++;
              }
            });
          }
          ctx.sim.after(2000 * (events + 1), () => {
            counting = false;
          });
          return;
        }
        writer.put(`key-${i}`, i, (r) => {
          if (r.ok) stored++;
          put(i + 1);
        });
      };
      put(0);
    },
    metrics: () => ({}),
  };
  const run = runRing(
    selfmanRing(),
    simBase(common),
    {
      nodes,
      buildJoinGapMs: 5000 / nodes,
      settleMs: 20_000,
      measureMs: 2000 * (events + 2) + keys * 100,
      quietMs: 5000,
      churn: { joins: 0, crashes: 0, leaves: 0 },
      lookupsPerSec: 0,
      connectivity: 1,
    },
    () => {},
    (sim) =>
      sim.observe({
        onSend(_from, _to, msg) {
          if (!counting || !MAINTENANCE.has(msg.type)) return;
          counted.messages++;
          counted.bytes += packr.pack(msg).length;
        },
      }),
    workload,
  );
  const perEvent = Math.max(1, joins + leaves);
  const row: MaintenanceRow = {
    nodes,
    keys,
    storedKeys: stored,
    joins,
    leaves,
    messagesPerEvent: Number((counted.messages / perEvent).toFixed(2)),
    bytesPerEvent: Math.round(counted.bytes / perEvent),
    liveNodes: run.liveViews().length,
  };
  return { row, events: run.sim.stats.events, traceHash: run.sim.trace.hex(), sim: run.sim };
}

function runReplicaMaintenance(params: ScenarioParams): ScenarioOutcome {
  const sizes = String(params.sizes).split(",").map(Number);
  const runs = sizes.map((n) => measure(n, params, Number(params.keys), Number(params.events)));
  const rows = runs.map((r) => r.row);
  const perEvent = rows.map((r) => r.messagesPerEvent);
  const metrics: ReplicaMaintenanceMetrics = {
    rows,
    messagesPerEventMin: Math.min(...perEvent),
    messagesPerEventMax: Math.max(...perEvent),
  };
  return {
    metrics,
    violations: runs.flatMap((r) => r.sim.violations),
    events: runs.reduce((n, r) => n + r.events, 0),
    traceHash: runs.map((r) => r.traceHash).join(""),
    buggifySites: firedSites(runs.map((r) => r.sim)),
  };
}

export const replicaMaintenance: Scenario = {
  name: "replica-maintenance",
  summary: "messages and bytes of replica maintenance per join or leave, for several ring sizes",
  defaults: { nodes: 100, duration: 0 },
  options: [
    { name: "sizes", arg: "N,N,...", describe: "ring sizes", default: "100,1000,10000", parse: parseSizes },
    {
      name: "keys",
      arg: "n",
      describe: "keys stored before the events",
      default: 1000,
      parse: parseCount("keys", 1, 1_000_000),
    },
    {
      name: "events",
      arg: "n",
      describe: "membership events (joins and leaves alternate)",
      default: 20,
      parse: parseCount("events", 2, 10_000),
    },
  ],
  run: (params) => runReplicaMaintenance(params),
};
