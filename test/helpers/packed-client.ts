// The client library as a user gets it (docs/client.md §8): `npm pack` of this repository (which builds
// dist/ through `prepare`), installed offline in a scratch project. Packing is serialised across test
// processes by a lock directory (two `prepare` runs would write dist/ at once); must stay offline.
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
export const REPO_ROOT = path.resolve(import.meta.dirname, "../..");
const NPM_TIMEOUT_MS = 60_000;
/** How long a test waits for another process's `npm pack` to finish. */
const LOCK_WAIT_MS = 120_000;
/** A lock older than this was left by a process that died mid-pack (a pack takes at most NPM_TIMEOUT_MS). */
const STALE_LOCK_MS = 90_000;
const LOCK_DIR = path.join(tmpdir(), "selfman-npm-pack.lock");

export async function npm(args: readonly string[], cwd: string): Promise<string> {
  const { stdout } = await run("npm", [...args], { cwd, timeout: NPM_TIMEOUT_MS, maxBuffer: 16 << 20 });
  return stdout;
}

export async function npmAvailable(): Promise<boolean> {
  try {
    await npm(["--version"], REPO_ROOT);
    return true;
  } catch {
    return false;
  }
}

/** The top-level folders of node_modules/ that the package's runtime dependencies (and theirs) occupy. */
async function runtimeDependencyFolders(): Promise<string[]> {
  const out = await npm(["ls", "--omit=dev", "--all", "--parseable"], REPO_ROOT);
  const marker = `${path.sep}node_modules${path.sep}`;
  const folders = new Set<string>();
  for (const line of out.split("\n")) {
    const at = line.indexOf(marker);
    if (at < 0) continue;
    const parts = line
      .slice(at + marker.length)
      .trim()
      .split(path.sep);
    const name = parts[0]?.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
    if (name !== undefined && name !== "") folders.add(name);
  }
  return [...folders].sort();
}

/** Holds the pack lock while `work` runs: polls for it with a deadline, breaks one left stale. */
async function withPackLock<T>(work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      break;
    } catch {
      const mtimeMs = statSync(LOCK_DIR, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
      if (Date.now() - mtimeMs > STALE_LOCK_MS) rmSync(LOCK_DIR, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`another test held ${LOCK_DIR} for ${LOCK_WAIT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(LOCK_DIR, { recursive: true, force: true });
  }
}

/** `npm pack` of the repository into `dir`: the tarball's path. */
export async function packRepository(dir: string): Promise<string> {
  return withPackLock(async () => {
    const packed = JSON.parse(await npm(["pack", "--pack-destination", dir, "--json"], REPO_ROOT)) as {
      filename: string;
    }[];
    const tarball = path.join(dir, packed[0]?.filename ?? "");
    if (!existsSync(tarball)) throw new Error(`npm pack wrote no tarball in ${dir}`);
    return tarball;
  });
}

/**
 * A scratch project in `dir`/scratch with `tarball` installed offline: the path of the project. The
 * selfman command's own dependencies (lmdb, hono, …) are not in the npm cache here, so they are copied
 * from this repository's node_modules and the install resolves them without the network.
 */
export async function installInScratch(dir: string, tarball: string): Promise<string> {
  const scratch = path.join(dir, "scratch");
  mkdirSync(path.join(scratch, "node_modules"), { recursive: true });
  writeFileSync(
    path.join(scratch, "package.json"),
    JSON.stringify({ name: "scratch", version: "1.0.0", private: true }),
  );
  for (const folder of await runtimeDependencyFolders()) {
    cpSync(path.join(REPO_ROOT, "node_modules", folder), path.join(scratch, "node_modules", folder), {
      recursive: true,
    });
  }
  await npm(["install", tarball, "--offline", "--no-audit", "--no-fund", "--ignore-scripts"], scratch);
  return scratch;
}

/** Packs the repository and installs it in a scratch project under `dir`: the project's path. */
export async function packedClientProject(dir: string): Promise<string> {
  return installInScratch(dir, await packRepository(dir));
}
