// The sans-I/O lint rule (lint/sans-io.grit, applied by biome.json to the protocol folders and to the
// simulator and checkers) fires on the clock, randomness, timers, the process, local variables named
// `process` and I/O imports — and only in those folders; a property named `process` is fine.
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

const offences = [
  "export const t = Date.now();",
  "export const r = Math.random();",
  "export const p = performance.now();",
  "setTimeout(() => {}, 1);",
  "setInterval(() => {}, 1);",
  "export const e = process.env;",
  "export function f() {\n  const process = 1;\n  return process;\n}",
  'import { writeFileSync } from "node:fs";\nexport const w = writeFileSync;',
  'import { readFileSync } from "node:fs";\nexport const f = readFileSync;',
  'import net from "node:net";\nexport const n = net;',
  'import pino from "pino";\nexport const l = pino;',
];

function lint(relPath: string, source: string): string[] {
  const dir = mkdtempSync(join(work, "case-"));
  cpSync(join(root, "biome.json"), join(dir, "biome.json"));
  cpSync(join(root, "lint"), join(dir, "lint"), { recursive: true });
  mkdirSync(join(dir, relPath, ".."), { recursive: true });
  writeFileSync(join(dir, relPath), `${source}\n`);
  const run = spawnSync(biome, ["lint", "--reporter=json", "--max-diagnostics=50", relPath], {
    cwd: dir,
    encoding: "utf8",
  });
  const report = JSON.parse(run.stdout) as { diagnostics: { category: string; message: string }[] };
  return report.diagnostics.filter((d) => d.category === "plugin").map((d) => d.message);
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
    it(`rejects the clock, randomness, timers, process and I/O imports in ${folder}`, () => {
      for (const source of offences) {
        const found = lint(`${folder}/bad.ts`, source);
        assert.ok(
          found.length > 0 && found.every((m) => m.startsWith("sans-I/O")),
          `${folder}: ${source} → ${JSON.stringify(found)}`,
        );
      }
    });
  }

  it("allows relative imports, @noble/hashes and Math.floor in protocol code", () => {
    const source = [
      'import { md5 } from "@noble/hashes/legacy.js";',
      'import type { Env } from "./env.js";',
      "export const x = Math.floor(2.5) + md5.length;",
      "export type E = Env<never, never>;",
    ].join("\n");
    assert.deepEqual(lint("src/core/good.ts", source), []);
  });

  it("allows a property or a field named process (a history op's process, a node's process)", () => {
    const source = [
      "export interface Op {",
      "  readonly process: number;",
      "}",
      "export const op: Op = { process: 1 };",
      "export const p = op.process;",
    ].join("\n");
    assert.deepEqual(lint("src/check/good.ts", source), []);
    assert.deepEqual(lint("src/sim/good.ts", source), []);
  });

  it("leaves the runtime, which owns the real clock and sockets, alone", () => {
    assert.deepEqual(lint("src/runtime/clock.ts", offences.join("\n")), []);
  });
});
