// The sans-I/O lint rule (lint/sans-io.grit, applied by biome.json to the protocol folders and to the
// simulator and checkers) fires on every construct docs/architecture.md §2 lists — the clock,
// randomness, timers, `process`, `crypto` and `globalThis` as names, `require`, and every import form
// of a module that is neither relative nor @noble/hashes — and only in those folders; a property named
// `process` is fine. Each offence is its own file, and one biome run lints a whole folder of them.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, describe, it } from "node:test";

const root = resolve(import.meta.dirname, "../..");
const biome = join(root, "node_modules/.bin/biome");
const work = mkdtempSync(join(tmpdir(), "selfman-lint-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** Each construct the rule rejects, named (the name is the offending file's name). */
const offences: Readonly<Record<string, string>> = {
  // The clock.
  "date-now": "export const t = Date.now();",
  "date-call": "export const t = Date();",
  "new-date": "export const t = new Date();",
  "performance-now": "export const p = performance.now();",
  performance: "export const p = performance;",
  // Randomness.
  "math-random": "export const r = Math.random();",
  "globalthis-crypto": "export const c = globalThis.crypto;",
  "crypto-get-random-values": "export const b = crypto.getRandomValues(new Uint8Array(4));",
  "crypto-random-uuid": "export const u = crypto.randomUUID();",
  "crypto-binding": "export function f() {\n  const crypto = 1;\n  return crypto;\n}",
  // Timers.
  "set-timeout": "setTimeout(() => {}, 1);",
  "set-interval": "setInterval(() => {}, 1);",
  "set-immediate": "setImmediate(() => {});",
  "queue-microtask": "queueMicrotask(() => {});",
  // The process, directly or through globalThis.
  "process-env": "export const e = process.env;",
  "process-binding": "export function f() {\n  const process = 1;\n  return process;\n}",
  "globalthis-process": "export const p = globalThis.process;",
  "globalthis-process-computed": 'export const p = globalThis["process"];',
  "globalthis-date": "export const t = globalThis.Date.now();",
  require: 'export const m = require("./relative.js");',
  // Every import form of a module that is neither relative nor @noble/hashes.
  "import-named": 'import { readFileSync } from "node:fs";\nexport const f = readFileSync;',
  "import-default": 'import net from "node:net";\nexport const n = net;',
  "import-namespace": 'import * as fs from "node:fs";\nexport const f = fs;',
  "import-package": 'import pino from "pino";\nexport const l = pino;',
  "import-type": 'import type { Stats } from "node:fs";\nexport type S = Stats;',
  "import-inline-type": 'import { type Stats } from "node:fs";\nexport type S = Stats;',
  "import-side-effect": 'import "node:fs";',
  "import-equals-require": 'import fs = require("node:fs");\nexport const f = fs;',
  "export-named-from": 'export { readFileSync } from "node:fs";',
  "export-type-from": 'export type { Stats } from "node:fs";',
  "export-star": 'export * from "node:fs";',
  "export-star-as": 'export * as ns from "node:fs";',
  "export-type-star-as": 'export type * as T from "node:fs";',
  "dynamic-import": 'export const later = () => import("node:fs");',
  "import-type-position": 'export type S = import("node:fs").Stats;',
  "typeof-import-type": 'export type F = typeof import("node:fs");',
};

interface Diagnostic {
  readonly category: string;
  readonly message: string;
  readonly location: { readonly path: string };
}

/** Writes `files` (path → source) into a fresh copy of the lint setup; the plugin's messages per file. */
function lint(files: Readonly<Record<string, string>>): Map<string, string[]> {
  const dir = mkdtempSync(join(work, "case-"));
  cpSync(join(root, "biome.json"), join(dir, "biome.json"));
  cpSync(join(root, "lint"), join(dir, "lint"), { recursive: true });
  for (const [relPath, source] of Object.entries(files)) {
    mkdirSync(join(dir, relPath, ".."), { recursive: true });
    writeFileSync(join(dir, relPath), `${source}\n`);
  }
  const run = spawnSync(
    biome,
    ["lint", "--reporter=json", "--max-diagnostics=10000", ...Object.keys(files)],
    {
      cwd: dir,
      encoding: "utf8",
    },
  );
  const report = JSON.parse(run.stdout) as { diagnostics: Diagnostic[] };
  const found = new Map<string, string[]>(Object.keys(files).map((f) => [f, []]));
  for (const d of report.diagnostics) {
    if (d.category === "plugin") found.get(d.location.path)?.push(d.message);
  }
  return found;
}

/** The offences, each in its own file under `folder`. */
function offencesIn(folder: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(offences).map(([name, source]) => [`${folder}/${name}.ts`, source]),
  );
}

describe("sans-I/O lint rule", () => {
  for (const folder of [
    "src/core",
    "src/overlay",
    "src/store",
    "src/tx",
    "src/node",
    "src/sim",
    "src/sim/engine",
    "src/sim/scenarios",
    "src/check",
  ]) {
    it(`rejects each of the ${Object.keys(offences).length} offences in ${folder}`, () => {
      const files = offencesIn(folder);
      const missed: string[] = [];
      for (const [file, messages] of lint(files)) {
        if (messages.length === 0 || !messages.every((m) => m.startsWith("sans-I/O"))) {
          missed.push(`${files[file]} → ${JSON.stringify(messages)}`);
        }
      }
      assert.deepEqual(missed, [], `${folder}:\n${missed.join("\n")}`);
    });
  }

  it("allows relative imports in every form, @noble/hashes, new Date(ms) and Math.floor", () => {
    const source = [
      'import { md5 } from "@noble/hashes/legacy.js";',
      'import type { Env } from "./env.js";',
      'import "./side-effect.js";',
      'export { x as y } from "../other.js";',
      'export * as ns from "./ns.js";',
      'export type * as T from "./types.js";',
      'export type H = typeof import("@noble/hashes/sha2.js");',
      'export type G = import("./g.js").G;',
      'export const later = () => import("./later.js");',
      "export const x = Math.floor(2.5) + md5.length + new Date(0).getTime();",
      "export type E = Env<never, never>;",
    ].join("\n");
    assert.deepEqual([...lint({ "src/core/good.ts": source }).values()], [[]]);
  });

  it("allows a property or a field named process or crypto (a history op's process, a node's process)", () => {
    const source = [
      "export interface Op {",
      "  readonly process: number;",
      "  readonly crypto: number;",
      "}",
      "export const op: Op = { process: 1, crypto: 2 };",
      "export const p = op.process + op.crypto;",
    ].join("\n");
    assert.deepEqual(
      [...lint({ "src/check/good.ts": source, "src/sim/good.ts": source }).values()],
      [[], []],
    );
  });

  it("leaves the runtime, which owns the real clock and sockets, alone", () => {
    const found = lint(offencesIn("src/runtime"));
    assert.deepEqual(
      [...found].filter(([, messages]) => messages.length > 0),
      [],
    );
  });
});
