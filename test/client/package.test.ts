// The packed library (docs/client.md §8): `npm pack` builds dist/ through `prepare`; the tarball installs
// offline in a scratch project, where a .mjs imports { connect } from "selfman" and talks to the stand-in
// server, and a .ts using the types type-checks (a misuse is rejected). dist/ imports no package.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import {
  installInScratch,
  npmAvailable,
  packRepository,
  REPO_ROOT as root,
} from "../helpers/packed-client.js";
import { StandInCluster } from "./stand-in-cluster.js";

const run = promisify(execFile);

const USE_MJS = `import { connect, SelfmanError, UncertainError } from "selfman";
const db = connect(process.argv.slice(2));
await db.put("big", 2n ** 70n);
const got = await db.get("big");
const bytes = await db.put("bytes", new Uint8Array([1, 2, 3])).then(() => db.get("bytes"));
const n = await db.incr("n", 5);
let code = null;
try { await db.incr("big", "x"); } catch (e) { code = e instanceof SelfmanError && !(e instanceof UncertainError) ? e.code : "other"; }
console.log(JSON.stringify({
  big: typeof got.value === "bigint" ? got.value.toString() : null,
  bytes: bytes.value instanceof Uint8Array ? [...bytes.value] : null,
  n: n.value,
  code,
}));
db.close();
`;

const USE_TS = `import { connect, type GetResult, SelfmanError, type Value } from "selfman";
const db = connect(["http://127.0.0.1:1"], { timeoutMs: 100, retry: { failoverMs: 100 } });
export async function total(keys: readonly string[]): Promise<bigint> {
  let sum = 0n;
  for (const key of keys) {
    const got: GetResult = await db.get(key);
    if (got.found && (typeof got.value === "number" || typeof got.value === "bigint")) sum += BigInt(got.value);
  }
  return sum;
}
export async function move(from: string, to: string): Promise<number> {
  return db.transaction(async (tx) => {
    const a: Value | undefined = await tx.read(from);
    tx.write(from, 0);
    tx.addOnNr(to, typeof a === "number" ? a : 0);
    return 1;
  }, { attempts: 3 });
}
export function codeOf(e: unknown): string | null {
  return e instanceof SelfmanError ? e.code : null;
}
// @ts-expect-error incr adds a number or a bigint, not a string
void db.incr("k", "one");
`;

describe("the packed client library", () => {
  const cluster = new StandInCluster(1);
  let dir = "";
  before(async () => {
    await cluster.start();
    dir = mkdtempSync(path.join(tmpdir(), "selfman-pack-"));
  });
  after(() => {
    cluster.stop();
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  it("installs from its tarball and works from JavaScript and TypeScript", async (t) => {
    if (!(await npmAvailable())) {
      console.warn("package test SKIPPED: npm is not available on PATH");
      t.skip("npm is not available");
      return;
    }
    const tarball = await packRepository(dir);
    assert.ok(existsSync(tarball), "npm pack wrote the tarball");
    const scratch = await installInScratch(dir, tarball);

    const installed = path.join(scratch, "node_modules", "selfman");
    assert.ok(existsSync(path.join(installed, "dist", "client", "index.js")));
    assert.ok(existsSync(path.join(installed, "dist", "client", "index.d.ts")));
    assert.ok(existsSync(path.join(installed, "bin", "selfman")), "the command still ships");
    for (const file of readdirSync(path.join(installed, "dist"), { recursive: true, encoding: "utf8" })) {
      if (!file.endsWith(".js")) continue;
      const text = readFileSync(path.join(installed, "dist", file), "utf8");
      const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)].map((m) => m[1] ?? "");
      assert.deepEqual(
        specifiers.filter((s) => !s.startsWith(".")),
        [],
        `${file} imports a package`,
      );
    }

    writeFileSync(path.join(scratch, "use.mjs"), USE_MJS);
    const { stdout } = await run(process.execPath, ["use.mjs", cluster.node(0).url], {
      cwd: scratch,
      timeout: 20_000,
    });
    assert.deepStrictEqual(JSON.parse(stdout), {
      big: (2n ** 70n).toString(),
      bytes: [1, 2, 3],
      n: 5,
      code: "invalid-argument",
    });

    writeFileSync(path.join(scratch, "use.ts"), USE_TS);
    const tsconfig = {
      compilerOptions: {
        target: "es2022",
        module: "nodenext",
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        types: ["node"],
        typeRoots: [path.join(root, "node_modules", "@types")],
      },
      files: ["use.ts"],
    };
    writeFileSync(path.join(scratch, "tsconfig.json"), JSON.stringify(tsconfig));
    const tsc = path.join(root, "node_modules", "typescript", "bin", "tsc");
    await run(process.execPath, [tsc, "-p", scratch], { cwd: scratch, timeout: 30_000 }).catch(
      (e: { stdout?: string }) => {
        assert.fail(`the scratch project does not type-check:\n${e.stdout ?? String(e)}`);
      },
    );
  });
});
