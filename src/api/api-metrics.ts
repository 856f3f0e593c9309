// GET /metrics (docs/api.md §7, docs/metrics.md): Prometheus text from prom-client. Per hosted node:
// membership, routing table, failure-detector and transport counters, store figures, read from its
// status when scraped; per API: requests by route and status, their latency, transaction outcomes;
// and the process's own (memory, event-loop lag) from prom-client's defaults.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { NodeStatus } from "../runtime/node-status.js";
import type { TxCounts } from "./event-feed.js";

interface NodeFigure {
  readonly name: string;
  readonly help: string;
  readonly type: "gauge" | "counter";
  readonly labels?: readonly string[];
  readonly read: (s: NodeStatus) => ReadonlyArray<readonly [Readonly<Record<string, string>>, number]>;
}

const one = (v: number) => [[{}, v]] as const;
const inOut = (i: number, o: number) =>
  [
    [{ direction: "in" }, i],
    [{ direction: "out" }, o],
  ] as const;

const NODE_FIGURES: readonly NodeFigure[] = [
  {
    name: "selfman_ring_member",
    help: "1 while the node is a ring member",
    type: "gauge",
    read: (s) => one(s.member ? 1 : 0),
  },
  {
    name: "selfman_uptime_seconds",
    help: "seconds since the node started",
    type: "gauge",
    read: (s) => one(s.uptimeSec),
  },
  {
    name: "selfman_routing_table_peers",
    help: "peers in the routing table",
    type: "gauge",
    read: (s) => one(s.routingTableSize),
  },
  {
    name: "selfman_lookups_answered_total",
    help: "lookups this node answered as responsible",
    type: "counter",
    read: (s) => one(s.lookupsAnswered),
  },
  {
    name: "selfman_fd_suspicions_total",
    help: "failure-detector suspicions",
    type: "counter",
    read: (s) => one(s.failureDetector.suspicions),
  },
  {
    name: "selfman_fd_false_suspicions_total",
    help: "suspicions later withdrawn",
    type: "counter",
    read: (s) => one(s.failureDetector.falseSuspicions),
  },
  {
    name: "selfman_suspected_peers",
    help: "peers suspected now",
    type: "gauge",
    read: (s) => one(s.suspected.length),
  },
  {
    name: "selfman_transport_frames_total",
    help: "frames",
    type: "counter",
    labels: ["direction"],
    read: (s) => inOut(s.transport.framesIn, s.transport.framesOut),
  },
  {
    name: "selfman_transport_bytes_total",
    help: "bytes",
    type: "counter",
    labels: ["direction"],
    read: (s) => inOut(s.transport.bytesIn, s.transport.bytesOut),
  },
  {
    name: "selfman_transport_connections_total",
    help: "connections",
    type: "counter",
    labels: ["direction"],
    read: (s) => inOut(s.transport.connectionsIn, s.transport.connectionsOut),
  },
  {
    name: "selfman_transport_dropped_total",
    help: "frames dropped, by reason",
    type: "counter",
    labels: ["reason"],
    read: (s) => Object.entries(s.transport.dropped).map(([reason, n]) => [{ reason }, n] as const),
  },
  {
    name: "selfman_store",
    help: "the replica store's figures (items, unsynced ranges, operations in flight, hand-overs, repairs)",
    type: "gauge",
    labels: ["figure"],
    read: (s) => Object.entries(s.store).map(([figure, n]) => [{ figure }, n] as const),
  },
];

export class ApiMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<"route" | "status">;
  readonly latency: Histogram<"route">;
  readonly tx: TxCounts = { committed: 0, aborted: 0, failed: 0 };

  constructor(statuses: () => readonly NodeStatus[]) {
    collectDefaultMetrics({ register: this.registry, prefix: "selfman_" });
    this.requests = new Counter({
      name: "selfman_api_requests_total",
      help: "API requests answered, by route and status",
      labelNames: ["route", "status"],
      registers: [this.registry],
    });
    this.latency = new Histogram({
      name: "selfman_api_request_seconds",
      help: "API request latency, by route",
      labelNames: ["route"],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
      registers: [this.registry],
    });
    const tx = this.tx;
    new Gauge({
      name: "selfman_api_transactions_total",
      help: "transactions the API ran, by outcome",
      labelNames: ["outcome"],
      registers: [this.registry],
      collect() {
        for (const [outcome, n] of Object.entries(tx)) this.set({ outcome }, n);
      },
    });
    for (const figure of NODE_FIGURES) this.nodeFigure(figure, statuses);
  }

  private nodeFigure(figure: NodeFigure, statuses: () => readonly NodeStatus[]): void {
    new Gauge({
      name: figure.name,
      help: figure.help,
      labelNames: ["node", ...(figure.labels ?? [])],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const s of statuses())
          for (const [labels, n] of figure.read(s)) this.set({ node: s.name, ...labels }, n);
      },
    });
  }

  private readonly children = new Map<
    string,
    { count: { inc(): void }; time: { observe(s: number): void } }
  >();

  /** One answered request (label children cached: a label lookup per request costs more than the count). */
  observe(route: string, status: number, seconds: number): void {
    const key = `${route} ${status}`;
    let child = this.children.get(key);
    if (child === undefined) {
      child = { count: this.requests.labels(route, String(status)), time: this.latency.labels(route) };
      if (this.children.size < 1000) this.children.set(key, child);
    }
    child.count.inc();
    child.time.observe(seconds);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
