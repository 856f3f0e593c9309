// Two Linux network namespaces for the live partition test: a "data link" veth between them (the
// only way from one to the other: no default routes), and one management veth from each to the root
// namespace, where the test process reaches the nodes' admin ports even while the data link is cut.
// Needs root and iproute2; `netnsUnavailable()` says why not (the test then skips, loudly).
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Every namespace this helper makes is `${PREFIX}${pid}-a|b` or `${PREFIX}probe-${pid}`. */
const PREFIX = "selfman-pt-";
const STALE = new RegExp(`^${PREFIX}(?:probe-)?(\\d+)(?:-[ab])?$`);
/** The root namespace's ends of the management links (`spm${pid}a|b`). */
const STALE_ROOT_DEV = /^spm(\d+)[ab]$/;

/** One side of the partition: its namespace, where its nodes listen, where their admin ports are. */
export interface NetnsSide {
  readonly ns: string;
  /** This side's end of the data link (nodes listen for peers here). */
  readonly dataAddr: string;
  /** The data-link interface inside `ns`. */
  readonly dataDev: string;
  /** This side's end of its management link (admin ports bind here; the root namespace reaches it). */
  readonly mgmtAddr: string;
}

export interface NetnsPair {
  readonly a: NetnsSide;
  readonly b: NetnsSide;
  /**
   * Pulls the cable: side a's end of the data link goes down. Side a's sends fail at once
   * (ENETUNREACH); side b's end loses its carrier and what it sends vanishes (its peers time out).
   */
  cut(): Promise<void>;
  /** Plugs it back in (both ends up). */
  restore(): Promise<void>;
  /** Deletes both namespaces (and with them every veth); safe to call twice or after a failed setup. */
  remove(): Promise<void>;
}

async function ip(...args: string[]): Promise<void> {
  try {
    await run("ip", args, { encoding: "utf8" });
  } catch (error) {
    const e = error as { stderr?: string; message?: string };
    throw new Error(`ip ${args.join(" ")}: ${(e.stderr ?? e.message ?? String(error)).trim()}`);
  }
}

/** The root namespace's interface names. */
async function rootLinks(): Promise<string[]> {
  const { stdout } = await run("ip", ["-o", "link", "show"], { encoding: "utf8" });
  return stdout
    .split("\n")
    .map((line) => (line.split(": ")[1] ?? "").split("@")[0] ?? "")
    .filter((name) => name !== "");
}

async function namespaces(): Promise<string[]> {
  const { stdout } = await run("ip", ["netns", "list"], { encoding: "utf8" });
  return stdout
    .split("\n")
    .map((line) => line.split(" ")[0] ?? "")
    .filter((name) => name !== "");
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Why network-namespace tests cannot run here (not root, no `ip`, `ip netns add` or veth refused),
 * or null when they can. Synchronous, so that a test file can decide to skip before it describes.
 */
export function netnsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return "not running as root (ip netns needs CAP_SYS_ADMIN)";
  try {
    execFileSync("ip", ["-V"], { stdio: "ignore" });
  } catch {
    return "the `ip` command (iproute2) is missing (Debian: apt-get install iproute2); .ci/run installs it";
  }
  const probe = `${PREFIX}probe-${process.pid}`;
  try {
    execFileSync("ip", ["netns", "add", probe], { stdio: ["ignore", "ignore", "pipe"] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim() ?? String(error);
    return `\`ip netns add\` failed: ${stderr}`;
  }
  try {
    execFileSync("ip", ["-n", probe, "link", "add", "p0", "type", "veth", "peer", "name", "p1"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    return null;
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim() ?? String(error);
    return `a veth pair cannot be made in a namespace: ${stderr}`;
  } finally {
    execFileSync("ip", ["netns", "del", probe], { stdio: "ignore" });
  }
}

/** Deletes namespaces and veths an earlier run of this helper left behind (its process is gone). */
async function removeStale(): Promise<void> {
  for (const dev of await rootLinks()) {
    const match = STALE_ROOT_DEV.exec(dev);
    if (match !== null && !isRunning(Number(match[1]))) await ip("link", "del", dev).catch(() => undefined);
  }
  for (const ns of await namespaces()) {
    const match = STALE.exec(ns);
    if (match !== null && !isRunning(Number(match[1]))) await ip("netns", "del", ns).catch(() => undefined);
  }
}

/**
 * Builds the two namespaces: data link 10.77.0.1/30 (a) ↔ 10.77.0.2/30 (b); management links
 * root 10.78.1.1 ↔ a 10.78.1.2 and root 10.78.2.1 ↔ b 10.78.2.2 (/30 each); `lo` up in both. Names
 * carry this process's pid (interface names stay within 15 characters). On a failure halfway, what
 * was built is removed before the error is thrown.
 */
export async function createNetnsPair(): Promise<NetnsPair> {
  await removeStale();
  const pid = process.pid;
  const side = (s: "a" | "b", n: 1 | 2) => ({
    ns: `${PREFIX}${pid}-${s}`,
    dataAddr: `10.77.0.${n}`,
    dataDev: `spd${pid}${s}`,
    mgmtAddr: `10.78.${n}.2`,
    mgmtDev: `spn${pid}${s}`,
    rootAddr: `10.78.${n}.1`,
    rootDev: `spm${pid}${s}`,
  });
  const a = side("a", 1);
  const b = side("b", 2);
  // The kernel deletes a namespace (and the veths in it) asynchronously; the root ends are deleted
  // here first, so that nothing of this run is left once remove() returns.
  // Every step is tried even if one fails; the first failure is reported at the end.
  const remove = async (): Promise<void> => {
    const failures: unknown[] = [];
    const attempt = (step: Promise<void>) => step.catch((error: unknown) => void failures.push(error));
    const links = await rootLinks().catch((): string[] => []);
    for (const s of [a, b]) if (links.includes(s.rootDev)) await attempt(ip("link", "del", s.rootDev));
    const existing = await namespaces().catch((): string[] => []);
    for (const s of [a, b]) if (existing.includes(s.ns)) await attempt(ip("netns", "del", s.ns));
    if (failures.length > 0) throw failures[0];
  };
  try {
    for (const s of [a, b]) {
      await ip("netns", "add", s.ns);
      await ip("-n", s.ns, "link", "set", "lo", "up");
    }
    await ip(
      "link",
      "add",
      "name",
      a.dataDev,
      "netns",
      a.ns,
      "type",
      "veth",
      "peer",
      "name",
      b.dataDev,
      "netns",
      b.ns,
    );
    for (const s of [a, b]) {
      await ip("-n", s.ns, "addr", "add", `${s.dataAddr}/30`, "dev", s.dataDev);
      await ip("-n", s.ns, "link", "set", s.dataDev, "up");
      await ip("link", "add", "name", s.rootDev, "type", "veth", "peer", "name", s.mgmtDev, "netns", s.ns);
      await ip("addr", "add", `${s.rootAddr}/30`, "dev", s.rootDev);
      await ip("link", "set", s.rootDev, "up");
      await ip("-n", s.ns, "addr", "add", `${s.mgmtAddr}/30`, "dev", s.mgmtDev);
      await ip("-n", s.ns, "link", "set", s.mgmtDev, "up");
    }
  } catch (error) {
    await remove().catch(() => undefined);
    throw error;
  }
  return {
    a,
    b,
    cut: () => ip("-n", a.ns, "link", "set", a.dataDev, "down"),
    restore: async () => {
      for (const s of [a, b]) await ip("-n", s.ns, "link", "set", s.dataDev, "up");
    },
    remove,
  };
}
