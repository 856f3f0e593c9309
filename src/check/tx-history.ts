// An Elle-style checker of list-append transaction histories (Kingsbury & Alvaro, VLDB 2020; Adya's
// anomalies): how `sim tx` judges its histories (docs/transactions.md §7). Reads reveal each key's version
// order; from it come ww/wr/rw dependencies, whose cycles are G0, G1c, G-single or G2. Do not break:
// a history a serial store can produce must never be flagged, and the work must stay near-linear.

export type TxMicroOp =
  | { readonly f: "append"; readonly key: string; readonly value: number }
  | { readonly f: "r"; readonly key: string; readonly value: readonly number[] | null };

/** ok: committed; fail: aborted, definitely did not happen; info: unknown, may or may not have committed. */
export type TxStatus = "ok" | "fail" | "info";

export interface TxRecord {
  readonly id: number;
  readonly process: number;
  readonly ops: readonly TxMicroOp[];
  readonly status: TxStatus;
  readonly callMs: number;
  readonly returnMs: number;
}

export type AnomalyName =
  | "G0"
  | "G1a"
  | "G1b"
  | "G1c"
  | "G-single"
  | "G2"
  | "incompatible-order"
  | "duplicate-append"
  | "lost-append";

export interface Anomaly {
  readonly name: AnomalyName;
  readonly txs: readonly number[];
  readonly keys: readonly string[];
  readonly message: string;
}

export interface TxCheckResult {
  readonly serializable: boolean | "unknown";
  readonly anomalies: readonly Anomaly[];
  readonly txsChecked: number;
}

export interface TxCheckOptions {
  /** Each key's final list, read from the stores after the run. */
  readonly finalReads?: ReadonlyMap<string, readonly number[]>;
  /** Steps the graph search may take (SCCs and cycle searches) before answering "unknown". */
  readonly budget?: number;
}

const DEFAULT_BUDGET = 5_000_000;

const EdgeKind = { ww: 1, wr: 2, rw: 4 } as const;
type EdgeKindName = keyof typeof EdgeKind;
const EDGE_KIND_NAMES: readonly EdgeKindName[] = ["ww", "wr", "rw"];
const ANY_EDGE = EdgeKind.ww | EdgeKind.wr | EdgeKind.rw;

/**
 * Where an appended value came from: the tx (index into the history) and whether it was that tx's last append
 * to the key.
 */
interface AppendSite {
  readonly tx: number;
  readonly lastInTx: boolean;
}

/**
 * A list some committed tx (or the final read, reader null) saw, with the part that came from outside the tx.
 */
interface Observation {
  readonly reader: number | null;
  readonly key: string;
  readonly list: readonly number[];
  /** Length of the prefix that was there before the reader: the list minus the reader's own appends. */
  readonly externalLength: number;
}

export function checkTxHistory(history: readonly TxRecord[], options: TxCheckOptions = {}): TxCheckResult {
  const log = new AnomalyLog(history);
  const meter = new StepMeter(options.budget ?? DEFAULT_BUDGET);
  const sites = indexAppends(history, log);
  const finalReads = options.finalReads ?? new Map<string, readonly number[]>();
  const reads = recordReads(history, finalReads);
  const orders = inferVersionOrders(reads, history, sites, log);
  reportLostAppends(finalReads, orders, history, sites, log);
  const graph = buildDependencies(history, sites, orders);
  findCycles(graph, history, meter, log);
  const anomalies = log.all();
  const serializable = anomalies.length > 0 ? false : meter.exhausted ? "unknown" : true;
  return { serializable, anomalies, txsChecked: history.length };
}

// ---------------------------------------------------------------------------------------------------
// Bookkeeping

class AnomalyLog {
  private readonly seen = new Set<string>();
  private readonly anomalies: Anomaly[] = [];
  private readonly history: readonly TxRecord[];

  constructor(history: readonly TxRecord[]) {
    this.history = history;
  }

  /** Record an anomaly; `txIndexes` are positions in the history (reported as tx ids, duplicates dropped). */
  add(name: AnomalyName, txIndexes: readonly number[], keys: readonly string[], message: string): void {
    const txs = unique(txIndexes.map((index) => this.idOf(index)));
    const identity = `${name}|${txs.join(",")}|${keys.join(",")}`;
    if (this.seen.has(identity)) return;
    this.seen.add(identity);
    this.anomalies.push({ name, txs, keys: unique(keys), message });
  }

  idOf(index: number): number {
    return txAt(this.history, index).id;
  }

  all(): readonly Anomaly[] {
    return this.anomalies;
  }
}

class StepMeter {
  exhausted = false;
  private remaining: number;

  constructor(budget: number) {
    this.remaining = budget;
  }

  /** Spend one step; false once the budget is gone. */
  spend(): boolean {
    this.remaining -= 1;
    if (this.remaining < 0) this.exhausted = true;
    return !this.exhausted;
  }
}

function txAt(history: readonly TxRecord[], index: number): TxRecord {
  const tx = history[index];
  if (tx === undefined) throw new Error(`no transaction at index ${index}`);
  return tx;
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

function formatList(list: readonly number[]): string {
  const shown = list.length <= 8 ? list : [...list.slice(0, 3), "…", ...list.slice(-4)];
  return `[${shown.join(" ")}]`;
}

// ---------------------------------------------------------------------------------------------------
// Appends and reads

type AppendIndex = Map<string, Map<number, AppendSite>>;

/**
 * Every append of every tx (aborted ones too, for G1a), by key and value; a second append of a value is
 * duplicate-append.
 */
function indexAppends(history: readonly TxRecord[], log: AnomalyLog): AppendIndex {
  const sites: AppendIndex = new Map();
  history.forEach((tx, index) => {
    const lastAppend = lastAppendPerKey(tx);
    for (const op of tx.ops) {
      if (op.f !== "append") continue;
      let byValue = sites.get(op.key);
      if (byValue === undefined) {
        byValue = new Map();
        sites.set(op.key, byValue);
      }
      const earlier = byValue.get(op.value);
      if (earlier !== undefined) {
        const message = `value ${op.value} appended to ${op.key} twice (T${log.idOf(earlier.tx)}, T${tx.id})`;
        log.add("duplicate-append", [earlier.tx, index], [op.key], message);
        continue;
      }
      byValue.set(op.value, { tx: index, lastInTx: lastAppend.get(op.key) === op.value });
    }
  });
  return sites;
}

function lastAppendPerKey(tx: TxRecord): Map<string, number> {
  const last = new Map<string, number>();
  for (const op of tx.ops) if (op.f === "append") last.set(op.key, op.value);
  return last;
}

function siteOf(sites: AppendIndex, key: string, value: number): AppendSite | undefined {
  return sites.get(key)?.get(value);
}

/** A read as recorded: by a committed tx, or the final read after the run (reader null). */
interface RecordedRead {
  readonly reader: number | null;
  readonly key: string;
  readonly list: readonly number[];
  /** The reader's appends to the key before this read, which the list must end with. */
  readonly ownBefore: readonly number[];
  /** The reader's appends to the key after this read, which the list must not hold. */
  readonly ownAfter: readonly number[];
}

/**
 * The reads of committed txs, by key, then the final reads. Reads of aborted txs prove nothing, and an
 * info tx's reads are unknown (it may never have run).
 */
function recordReads(
  history: readonly TxRecord[],
  finalReads: ReadonlyMap<string, readonly number[]>,
): Map<string, RecordedRead[]> {
  const byKey = new Map<string, RecordedRead[]>();
  const record = (read: RecordedRead): void => {
    const list = byKey.get(read.key) ?? [];
    list.push(read);
    byKey.set(read.key, list);
  };
  history.forEach((tx, index) => {
    if (tx.status !== "ok") return;
    const appends = appendsPerKey(tx);
    const appendedSoFar = new Map<string, number>();
    for (const op of tx.ops) {
      if (op.f === "append") {
        appendedSoFar.set(op.key, (appendedSoFar.get(op.key) ?? 0) + 1);
        continue;
      }
      if (op.value === null) continue;
      const own = appends.get(op.key) ?? [];
      const split = appendedSoFar.get(op.key) ?? 0;
      record({
        reader: index,
        key: op.key,
        list: op.value,
        ownBefore: own.slice(0, split),
        ownAfter: own.slice(split),
      });
    }
  });
  for (const [key, list] of finalReads) record({ reader: null, key, list, ownBefore: [], ownAfter: [] });
  return byKey;
}

function appendsPerKey(tx: TxRecord): Map<string, number[]> {
  const appends = new Map<string, number[]>();
  for (const op of tx.ops) {
    if (op.f !== "append") continue;
    const values = appends.get(op.key) ?? [];
    values.push(op.value);
    appends.set(op.key, values);
  }
  return appends;
}

function describeReader(reader: number | null, log: AnomalyLog): string {
  return reader === null ? "the final read" : `T${log.idOf(reader)}`;
}

/**
 * No value twice, and every value appended by some tx; reported as duplicate-append or incompatible-order.
 */
function wellFormed(read: RecordedRead, sites: AppendIndex, log: AnomalyLog): boolean {
  const who = describeReader(read.reader, log);
  const readers = read.reader === null ? [] : [read.reader];
  const seen = new Set<number>();
  for (const value of read.list) {
    const site = siteOf(sites, read.key, value);
    if (seen.has(value)) {
      const writers = site === undefined ? [] : [site.tx];
      const message = `${who} read ${read.key} = ${formatList(read.list)}, which holds ${value} twice`;
      log.add("duplicate-append", [...writers, ...readers], [read.key], message);
      return false;
    }
    if (site === undefined) {
      const message = `${who} read ${read.key} = ${formatList(read.list)}, but no transaction appended ${value}`;
      log.add("incompatible-order", readers, [read.key], message);
      return false;
    }
    seen.add(value);
  }
  return true;
}

/** G1a: a committed read (or the final read) of a value an aborted tx appended. */
function reportAbortedRead(
  read: RecordedRead,
  position: number,
  history: readonly TxRecord[],
  sites: AppendIndex,
  log: AnomalyLog,
): void {
  const value = read.list[position];
  const site = value === undefined ? undefined : siteOf(sites, read.key, value);
  if (site === undefined || txAt(history, site.tx).status !== "fail") return;
  const message = `${describeReader(read.reader, log)} read ${read.key} = ${formatList(read.list)}, with ${value} from aborted T${log.idOf(site.tx)}`;
  log.add("G1a", read.reader === null ? [site.tx] : [site.tx, read.reader], [read.key], message);
}

/** G1b: the last value the reader saw of others was not its writer's last append to the key. */
function reportIntermediateRead(
  reader: number,
  read: RecordedRead,
  externalLength: number,
  history: readonly TxRecord[],
  sites: AppendIndex,
  log: AnomalyLog,
): void {
  const last = read.list[externalLength - 1];
  if (last === undefined) return;
  const site = siteOf(sites, read.key, last);
  if (site === undefined || site.lastInTx || site.tx === reader) return;
  if (txAt(history, site.tx).status === "fail") return; // already G1a
  const message = `T${log.idOf(reader)} read ${read.key} = ${formatList(read.list)}, ending in ${last}, an intermediate append of T${log.idOf(site.tx)}`;
  log.add("G1b", [site.tx, reader], [read.key], message);
}

// ---------------------------------------------------------------------------------------------------
// Version orders

interface VersionOrder {
  /** The key's values in the order they were appended. */
  readonly values: readonly number[];
  /**
   * Reads that are prefixes of `values` and consistent within their tx: only these yield wr/rw dependencies.
   */
  readonly consistent: readonly Observation[];
}

/** Per key, the longest well-formed read is the version order; every other read must be a prefix of it. */
function inferVersionOrders(
  readsByKey: ReadonlyMap<string, readonly RecordedRead[]>,
  history: readonly TxRecord[],
  sites: AppendIndex,
  log: AnomalyLog,
): Map<string, VersionOrder> {
  const orders = new Map<string, VersionOrder>();
  for (const [key, reads] of readsByKey) orders.set(key, versionOrderOf(reads, history, sites, log));
  return orders;
}

/**
 * Only the version order's own elements are checked one by one (well-formed, aborted writers); a read
 * that is a prefix of it inherits those checks, so the work per read is one comparison per element.
 */
function versionOrderOf(
  reads: readonly RecordedRead[],
  history: readonly TxRecord[],
  sites: AppendIndex,
  log: AnomalyLog,
): VersionOrder {
  const malformed = new Set<RecordedRead>();
  let longest: RecordedRead | undefined;
  for (const read of [...reads].sort((a, b) => b.list.length - a.list.length)) {
    if (wellFormed(read, sites, log)) {
      longest = read;
      break;
    }
    malformed.add(read);
  }
  if (longest === undefined) return { values: [], consistent: [] };
  const values = longest.list;
  const abortedPositions = positionsWrittenBy("fail", longest, history, sites);
  const positions = new Map(values.map((value, index) => [value, index]));
  const consistent: Observation[] = [];
  for (const read of reads) {
    if (malformed.has(read)) continue;
    if (read !== longest && !isPrefix(read.list, values)) {
      reportIncompatibleRead(read, longest, history, sites, log);
      continue;
    }
    for (const position of abortedPositions) {
      if (position < read.list.length) reportAbortedRead(read, position, history, sites, log);
    }
    const observation = observe(read, positions, history, sites, log);
    if (observation !== null) consistent.push(observation);
  }
  return { values, consistent };
}

function positionsWrittenBy(
  status: TxStatus,
  read: RecordedRead,
  history: readonly TxRecord[],
  sites: AppendIndex,
): number[] {
  const positions: number[] = [];
  read.list.forEach((value, position) => {
    const site = siteOf(sites, read.key, value);
    if (site !== undefined && txAt(history, site.tx).status === status) positions.push(position);
  });
  return positions;
}

function reportIncompatibleRead(
  read: RecordedRead,
  longest: RecordedRead,
  history: readonly TxRecord[],
  sites: AppendIndex,
  log: AnomalyLog,
): void {
  if (!wellFormed(read, sites, log)) return;
  for (let position = 0; position < read.list.length; position++)
    reportAbortedRead(read, position, history, sites, log);
  const readers = [read.reader, longest.reader].filter((reader): reader is number => reader !== null);
  const message = `${describeReader(read.reader, log)} read ${read.key} = ${formatList(read.list)}, not a prefix of ${describeReader(longest.reader, log)}'s ${formatList(longest.list)}`;
  log.add("incompatible-order", readers, [read.key], message);
}

/**
 * A read consistent with the version order, as an observation. Within its tx it must end with exactly
 * the tx's appends so far and hold none of its later ones; the part before them is what it saw of others.
 */
function observe(
  read: RecordedRead,
  positions: ReadonlyMap<number, number>,
  history: readonly TxRecord[],
  sites: AppendIndex,
  log: AnomalyLog,
): Observation | null {
  const { reader, list, ownBefore, ownAfter } = read;
  if (reader === null) return { reader, key: read.key, list, externalLength: list.length };
  const externalLength = list.length - ownBefore.length;
  const endsWithOwn =
    externalLength >= 0 && ownBefore.every((value, i) => list[externalLength + i] === value);
  const holdsLater = ownAfter.some((value) => (positions.get(value) ?? list.length) < list.length);
  if (!endsWithOwn || holdsLater) {
    const message = `T${log.idOf(reader)} read ${read.key} = ${formatList(list)}, inconsistent with its own appends before ${formatList(ownBefore)} and after ${formatList(ownAfter)}`;
    log.add("incompatible-order", [reader], [read.key], message);
    return null;
  }
  reportIntermediateRead(reader, read, externalLength, history, sites, log);
  return { reader, key: read.key, list, externalLength };
}

function isPrefix(list: readonly number[], of: readonly number[]): boolean {
  if (list.length > of.length) return false;
  for (let i = 0; i < list.length; i++) if (list[i] !== of[i]) return false;
  return true;
}

/**
 * lost-append: with the final value of a key known, a committed append missing from it, or a value a
 * committed read saw (so it took effect, whoever wrote it) that is gone. An info tx's append that no one
 * saw may be missing: it may never have happened.
 */
function reportLostAppends(
  finalReads: ReadonlyMap<string, readonly number[]>,
  orders: ReadonlyMap<string, VersionOrder>,
  history: readonly TxRecord[],
  sites: AppendIndex,
  log: AnomalyLog,
): void {
  for (const [key, finalList] of finalReads) {
    const present = new Set(finalList);
    for (const [value, site] of sites.get(key) ?? []) {
      if (present.has(value) || txAt(history, site.tx).status !== "ok") continue;
      const message = `T${log.idOf(site.tx)} committed append ${value} to ${key}, missing from the key's final value ${formatList(finalList)}`;
      log.add("lost-append", [site.tx], [key], message);
    }
    for (const value of orders.get(key)?.values ?? []) {
      const site = siteOf(sites, key, value);
      if (present.has(value) || site === undefined || txAt(history, site.tx).status !== "info") continue;
      const message = `${value} (appended by T${log.idOf(site.tx)}, outcome unknown) was read, then missing from ${key}'s final value ${formatList(finalList)}`;
      log.add("lost-append", [site.tx], [key], message);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Dependency graph

interface EdgeLabel {
  kinds: number;
  readonly keys: Partial<Record<EdgeKindName, string>>;
}

/** Nodes are history indexes; at most one labelled edge per ordered pair, self-edges dropped. */
class DependencyGraph {
  private readonly successors: number[][];
  private readonly labels = new Map<number, EdgeLabel>();
  private readonly size: number;

  constructor(size: number) {
    this.size = size;
    this.successors = Array.from({ length: size }, (): number[] => []);
  }

  add(from: number, to: number, kind: EdgeKindName, key: string): void {
    if (from === to) return;
    const id = from * this.size + to;
    let label = this.labels.get(id);
    if (label === undefined) {
      label = { kinds: 0, keys: {} };
      this.labels.set(id, label);
      this.successorsOf(from).push(to);
    }
    if ((label.kinds & EdgeKind[kind]) === 0) {
      label.kinds |= EdgeKind[kind];
      label.keys[kind] = key;
    }
  }

  successorsOf(node: number): number[] {
    const list = this.successors[node];
    if (list === undefined) throw new Error(`no node ${node}`);
    return list;
  }

  kindsOf(from: number, to: number): number {
    return this.labels.get(from * this.size + to)?.kinds ?? 0;
  }

  keyOf(from: number, to: number, kind: EdgeKindName): string {
    return this.labels.get(from * this.size + to)?.keys[kind] ?? "?";
  }
}

/**
 * ww: consecutive values of a version order, by different txs. wr: the writer of the last value a tx
 * saw of others → that tx. rw: a tx → the writer of the value after the last it saw (the first value,
 * if it saw none). Aborted txs are no dependency's end.
 */
function buildDependencies(
  history: readonly TxRecord[],
  sites: AppendIndex,
  orders: ReadonlyMap<string, VersionOrder>,
): DependencyGraph {
  const graph = new DependencyGraph(history.length);
  const committedWriter = (key: string, value: number | undefined): number | null => {
    if (value === undefined) return null;
    const site = siteOf(sites, key, value);
    if (site === undefined || txAt(history, site.tx).status === "fail") return null;
    return site.tx;
  };
  for (const [key, order] of orders) {
    addWriteWriteEdges(graph, key, order.values, committedWriter);
    for (const observation of order.consistent) {
      const reader = observation.reader;
      if (reader === null) continue;
      const seenWriter = committedWriter(key, order.values[observation.externalLength - 1]);
      if (seenWriter !== null) graph.add(seenWriter, reader, "wr", key);
      const nextWriter = committedWriter(key, order.values[observation.externalLength]);
      if (nextWriter !== null) graph.add(reader, nextWriter, "rw", key);
    }
  }
  return graph;
}

function addWriteWriteEdges(
  graph: DependencyGraph,
  key: string,
  values: readonly number[],
  committedWriter: (key: string, value: number | undefined) => number | null,
): void {
  let previous = committedWriter(key, values[0]);
  for (let i = 1; i < values.length; i++) {
    const current = committedWriter(key, values[i]);
    if (previous !== null && current !== null) graph.add(previous, current, "ww", key);
    previous = current;
  }
}

// ---------------------------------------------------------------------------------------------------
// Cycles

type EdgeFilter = (from: number, to: number) => boolean;

/**
 * Tarjan's SCCs over the whole graph; in each, look for a short cycle of each kind, as Elle does: ww
 * only (G0); ww+wr through a wr edge (G1c); one rw edge closed by ww/wr (G-single); failing those,
 * any cycle, which then has at least two rw edges (G2). Once the SCCs are known every one of them is
 * reported: if the budget runs out while classifying, one breadth-first search (linear, unmetered)
 * still gives each remaining SCC a cycle, named by the edges it has.
 */
function findCycles(
  graph: DependencyGraph,
  history: readonly TxRecord[],
  meter: StepMeter,
  log: AnomalyLog,
): void {
  const nodes = history.map((_, index) => index);
  const components = stronglyConnected(nodes, graph, () => true, meter);
  if (components === null) return;
  for (const component of components) {
    const classified = !meter.exhausted && reportClassifiedCycles(component, graph, meter, log);
    if (classified) continue;
    const cycle = cycleThrough(component, graph, ANY_EDGE, new StepMeter(Number.POSITIVE_INFINITY));
    if (cycle !== null) reportCycle(cycle, graph, log);
  }
}

/** Report the G0, G1c and G-single cycles of one SCC; false if it found none, or the budget ran out. */
function reportClassifiedCycles(
  component: readonly number[],
  graph: DependencyGraph,
  meter: StepMeter,
  log: AnomalyLog,
): boolean {
  const members = new Set(component);
  const within =
    (mask: number): EdgeFilter =>
    (from, to) =>
      members.has(to) && (graph.kindsOf(from, to) & mask) !== 0;
  let found = false;
  const report = (cycle: readonly number[] | null): void => {
    if (cycle === null) return;
    reportCycle(cycle, graph, log);
    found = true;
  };

  const writeCycles = stronglyConnected(component, graph, within(EdgeKind.ww), meter);
  if (writeCycles === null) return false;
  for (const sub of writeCycles) report(cycleThrough(sub, graph, EdgeKind.ww, meter));
  if (meter.exhausted) return false;

  const readWriteCycles = stronglyConnected(component, graph, within(EdgeKind.ww | EdgeKind.wr), meter);
  if (readWriteCycles === null) return false;
  for (const sub of readWriteCycles) report(cycleThroughReadEdge(sub, graph, meter));
  if (meter.exhausted) return false;

  report(singleAntiDependencyCycle(component, graph, within(EdgeKind.ww | EdgeKind.wr), meter));
  return found && !meter.exhausted;
}

/**
 * Iterative Tarjan over `nodes`, following only edges `allowed` accepts; components of 2+ nodes, or null if
 * out of budget.
 */
function stronglyConnected(
  nodes: readonly number[],
  graph: DependencyGraph,
  allowed: EdgeFilter,
  meter: StepMeter,
): number[][] | null {
  const index = new Map<number, number>();
  const low = new Map<number, number>();
  const onStack = new Set<number>();
  const stack: number[] = [];
  const components: number[][] = [];
  let visited = 0;
  const visit = (node: number): void => {
    index.set(node, visited);
    low.set(node, visited);
    visited += 1;
    stack.push(node);
    onStack.add(node);
  };
  for (const root of nodes) {
    if (index.has(root)) continue;
    if (!meter.spend()) return null;
    visit(root);
    const frames: { node: number; next: number }[] = [{ node: root, next: 0 }];
    while (frames.length > 0) {
      const frame = frames[frames.length - 1];
      if (frame === undefined) break;
      const successors = graph.successorsOf(frame.node);
      const to = successors[frame.next];
      if (to !== undefined) {
        frame.next += 1;
        if (!meter.spend()) return null;
        if (!allowed(frame.node, to)) continue;
        const toIndex = index.get(to);
        if (toIndex === undefined) {
          visit(to);
          frames.push({ node: to, next: 0 });
        } else if (onStack.has(to)) {
          low.set(frame.node, Math.min(numberIn(low, frame.node), toIndex));
        }
        continue;
      }
      frames.pop();
      const nodeLow = numberIn(low, frame.node);
      const parent = frames[frames.length - 1];
      if (parent !== undefined) low.set(parent.node, Math.min(numberIn(low, parent.node), nodeLow));
      if (nodeLow === numberIn(index, frame.node)) {
        const component = popComponent(stack, onStack, frame.node);
        if (component.length > 1) components.push(component);
      }
    }
  }
  return components;
}

function numberIn(map: ReadonlyMap<number, number>, key: number): number {
  const value = map.get(key);
  if (value === undefined) throw new Error(`node ${key} was not visited`);
  return value;
}

function popComponent(stack: number[], onStack: Set<number>, root: number): number[] {
  const component: number[] = [];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    onStack.delete(node);
    component.push(node);
    if (node === root) break;
  }
  return component.reverse();
}

/** Breadth-first from `start` along `allowed` edges; stops at the first edge `isGoal` accepts. */
function breadthFirst(
  start: number,
  graph: DependencyGraph,
  allowed: EdgeFilter,
  isGoal: (from: number, to: number) => boolean,
  meter: StepMeter,
): { readonly parents: Map<number, number>; readonly goal: readonly [number, number] | null } {
  const parents = new Map<number, number>([[start, start]]);
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const from = queue[head];
    if (from === undefined) break;
    for (const to of graph.successorsOf(from)) {
      if (!meter.spend()) return { parents, goal: null };
      if (!allowed(from, to)) continue;
      if (isGoal(from, to)) return { parents, goal: [from, to] };
      if (parents.has(to)) continue;
      parents.set(to, from);
      queue.push(to);
    }
  }
  return { parents, goal: null };
}

/** The path start … node recorded in a breadth-first search's parents. */
function pathTo(parents: ReadonlyMap<number, number>, node: number): number[] {
  const path = [node];
  let at = node;
  let parent = parents.get(at);
  while (parent !== undefined && parent !== at) {
    path.push(parent);
    at = parent;
    parent = parents.get(at);
  }
  return path.reverse();
}

/**
 * A shortest cycle through the first node of a strongly connected set, along edges within it of the kinds in
 * `mask`.
 */
function cycleThrough(
  nodes: readonly number[],
  graph: DependencyGraph,
  mask: number,
  meter: StepMeter,
): number[] | null {
  const start = nodes[0];
  if (start === undefined) return null;
  const members = new Set(nodes);
  const allowed: EdgeFilter = (from, to) => members.has(to) && (graph.kindsOf(from, to) & mask) !== 0;
  const { parents, goal } = breadthFirst(start, graph, allowed, (_, to) => to === start, meter);
  return goal === null ? null : pathTo(parents, goal[0]);
}

/** In a ww+wr SCC, a cycle through an edge that is wr and not ww (else it is G0's business). */
function cycleThroughReadEdge(
  nodes: readonly number[],
  graph: DependencyGraph,
  meter: StepMeter,
): number[] | null {
  const members = new Set(nodes);
  const allowed: EdgeFilter = (from, to) =>
    members.has(to) && (graph.kindsOf(from, to) & (EdgeKind.ww | EdgeKind.wr)) !== 0;
  for (const from of nodes) {
    for (const to of graph.successorsOf(from)) {
      if (!meter.spend()) return null;
      if (!members.has(to) || minimalKind(graph.kindsOf(from, to)) !== "wr") continue;
      const { parents, goal } = breadthFirst(to, graph, allowed, (_, next) => next === from, meter);
      return goal === null ? null : [from, ...pathTo(parents, goal[0])];
    }
  }
  return null;
}

/** An rw-only edge a → b with b reaching a along ww/wr edges: one breadth-first search per distinct b. */
function singleAntiDependencyCycle(
  component: readonly number[],
  graph: DependencyGraph,
  readWrite: EdgeFilter,
  meter: StepMeter,
): number[] | null {
  const sourcesByTarget = new Map<number, number[]>();
  const members = new Set(component);
  for (const from of component) {
    for (const to of graph.successorsOf(from)) {
      if (!meter.spend()) return null;
      if (!members.has(to) || graph.kindsOf(from, to) !== EdgeKind.rw) continue;
      const sources = sourcesByTarget.get(to) ?? [];
      sources.push(from);
      sourcesByTarget.set(to, sources);
    }
  }
  for (const [target, sources] of sourcesByTarget) {
    const wanted = new Set(sources);
    const { parents, goal } = breadthFirst(target, graph, readWrite, (_, to) => wanted.has(to), meter);
    if (meter.exhausted) return null;
    if (goal !== null) return [goal[1], ...pathTo(parents, goal[0])];
  }
  return null;
}

/** The weakest kind an edge has: a ww+wr edge counts as ww, so cycles are named by what they need. */
function minimalKind(kinds: number): EdgeKindName {
  for (const name of EDGE_KIND_NAMES) if ((kinds & EdgeKind[name]) !== 0) return name;
  throw new Error("an edge without a kind");
}

function reportCycle(cycle: readonly number[], graph: DependencyGraph, log: AnomalyLog): void {
  const steps: string[] = [];
  const keys: string[] = [];
  let antiDependencies = 0;
  let readDependencies = 0;
  cycle.forEach((from, i) => {
    const to = cycle[(i + 1) % cycle.length] ?? from;
    const kind = minimalKind(graph.kindsOf(from, to));
    const key = graph.keyOf(from, to, kind);
    if (kind === "rw") antiDependencies += 1;
    if (kind === "wr") readDependencies += 1;
    keys.push(key);
    steps.push(`T${log.idOf(from)} -${kind}(${key})->`);
  });
  const name: AnomalyName =
    antiDependencies === 0
      ? readDependencies === 0
        ? "G0"
        : "G1c"
      : antiDependencies === 1
        ? "G-single"
        : "G2";
  const first = cycle[0] ?? 0;
  log.add(name, cycle, keys, `${name} cycle: ${steps.join(" ")} T${log.idOf(first)}`);
}
