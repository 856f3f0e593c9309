// Where the cluster's APIs are (docs/api.md §2.3): each API server writes its address and its nodes'
// names into one reserved key every few seconds (a compare-and-set, so concurrent writers do not lose
// each other's entries), and drops entries not renewed for a minute. /v1/ring surveys the addresses
// listed, so any node can show the whole ring without a configuration file.
import type { Value } from "../store/item.js";
import type { HostedNodes } from "./hosted-nodes.js";
import { SYSTEM_PREFIX } from "./system-keys.js";

const DIRECTORY_KEY = `${SYSTEM_PREFIX}api-directory`;
/** An entry not renewed for this long is gone (its process died or moved). */
export const DIRECTORY_TTL_MS = 60_000;
const CAS_ATTEMPTS = 5;

type Entry = { readonly nodes: readonly string[]; readonly atMs: number };

type Directory = { readonly [address: string]: Entry };

function isDirectory(v: Value): v is Directory {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function fresh(directory: Directory, nowMs: number): Directory {
  return Object.fromEntries(Object.entries(directory).filter(([, e]) => nowMs - e.atMs < DIRECTORY_TTL_MS));
}

export class ApiDirectory {
  private readonly nodes: HostedNodes;
  private readonly address: () => string;
  private timer: NodeJS.Timeout | null = null;
  /** The addresses of the last directory read that succeeded. */
  private lastListed: string[] = [];
  /** Every API a cut reached (docs/dashboard.md §6), until a heal: the directory may drop them meanwhile. */
  private readonly cutApis = new Set<string>();

  constructor(nodes: HostedNodes, address: () => string) {
    this.nodes = nodes;
    this.address = address;
  }

  /** Renews this server's entry now and every `intervalMs`. */
  start(intervalMs: number): void {
    void this.renew();
    this.timer = setInterval(() => void this.renew(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
  }

  /**
   * The API addresses renewed within the TTL (this one first). When the store cannot answer — no member
   * here, or the key's replicas out of reach, as across a cut — the list last read, so that a cut
   * cluster can still be surveyed and healed from any side.
   */
  async addresses(): Promise<string[]> {
    const self = this.address();
    const node = this.nodes.member();
    const read = node === null ? null : await node.kv(DIRECTORY_KEY, { kind: "get" });
    if (read?.ok === true && isDirectory(read.value))
      this.lastListed = Object.keys(fresh(read.value, Date.now()));
    return [self, ...this.lastListed.filter((a) => a !== self)];
  }

  /** Remembers the APIs of a cut, so that a heal from this server reaches all of them. */
  rememberCut(apis: readonly string[]): void {
    for (const a of apis) this.cutApis.add(a);
  }

  forgetCut(): void {
    this.cutApis.clear();
  }

  /** The directory's addresses and every API a cut reached since the last heal. */
  async addressesWithCut(): Promise<string[]> {
    return [...new Set([...(await this.addresses()), ...this.cutApis])];
  }

  private async renew(): Promise<void> {
    const node = this.nodes.member();
    if (node === null) return;
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const read = await node.kv(DIRECTORY_KEY, { kind: "get" });
      if (!read.ok) return;
      const before = read.found ? read.value : null;
      const now = Date.now();
      const next = {
        ...fresh(before !== null && isDirectory(before) ? before : {}, now),
        [this.address()]: { nodes: this.nodes.names(), atMs: now },
      };
      const cas = await node.kv(DIRECTORY_KEY, { kind: "cas", expected: before, value: next });
      if (!cas.ok || cas.applied) return;
    }
  }
}
