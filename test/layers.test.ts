// The import layers (docs/architecture.md §1): every import in every .ts, .mts, .cts, .tsx, .js and .mjs
// file under src/ and bench/ follows the allow-list of test/helpers/import-layers.ts — nothing points
// up, protocol code imports no runtime, src never imports bench (bin/selfman is where the two meet). An
// upward import planted in each import form is reported with its file, line and the rule it breaks.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { checkLayers, type SourceFile } from "./helpers/import-layers.js";

const root = path.resolve(import.meta.dirname, "..");

/**
 * Violations known and being fixed elsewhere: each must still be there (delete it here once fixed),
 * and no other may appear. Matched by file and specifier (lines move).
 */
const PENDING: readonly { readonly file: string; readonly specifier: string }[] = [];

const isPending = (v: { file: string; specifier: string }) =>
  PENDING.some((p) => p.file === v.file && p.specifier === v.specifier);

/** The source files the test reads: TypeScript and JavaScript in every module flavour. */
const SOURCE_FILE = /\.(ts|mts|cts|tsx|js|mjs)$/;

/** Every source file under `dir`, with its path relative to `base` (the repository root). */
function sources(dir: string, base = root): SourceFile[] {
  const entries = readdirSync(path.join(base, dir), { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && SOURCE_FILE.test(e.name))
    .map((e) => path.relative(base, path.join(e.parentPath, e.name)).split(path.sep).join("/"))
    .sort()
    .map((file) => ({ path: file, text: readFileSync(path.join(base, file), "utf8") }));
}

describe("import layers", () => {
  it("every import under src/ and bench/ is allowed", () => {
    const files = [...sources("src"), ...sources("bench")];
    assert.ok(files.length > 100, `only ${files.length} files found`);
    const violations = checkLayers(files);
    const unexpected = violations.filter((v) => !isPending(v));
    assert.deepEqual(
      unexpected.map((v) => v.message),
      [],
      `\n${unexpected.map((v) => `  ${v.message}`).join("\n")}`,
    );
    const fixed = PENDING.filter(
      (p) => !violations.some((v) => v.file === p.file && v.specifier === p.specifier),
    );
    assert.deepEqual(fixed, [], "fixed now: delete from PENDING");
  });

  it("reports a planted upward import, in every import form, with its file, line and rule", () => {
    const planted: SourceFile = {
      path: "src/store/planted.ts",
      text: [
        'import { invariant } from "../core/invariant.js";',
        "// import { LiveNode } from '../runtime/live-node.js'; (a comment is no import)",
        'import { x } from "../runtime/live-node.js";',
        'import type { Y } from "../tx/tx-coordinator.js";',
        "export { z } from '../sim/engine/simulator.js';",
        'const later = await import("../api/ring-survey.js");',
        "import {",
        "  w,",
        '} from "../../bench/kv.js";',
        'import { ok } from "./item.js";',
        'import "../web/side-effect.js";',
        'export * from "../check/everything.js";',
        'export * as ns from "../wire/codec.js";',
        'export type * as T from "../node/selfman-node.js";',
        'export type Live = import("../runtime/live-env.js").LiveEnv;',
        'import legacy = require("../cli/legacy.js");',
        "const s = \"import { q } from '../runtime/in-a-string.js'\";",
        "export { invariant as check } from '../core/invariant.js';",
        'let t: typeof import("../sim/in-typeof.js");',
        'export type { U } from "../tx/type-export.js";',
      ].join("\n"),
    };
    assert.deepEqual(
      checkLayers([planted]).map((v) => v.message),
      [
        "src/store/planted.ts:3 imports ../runtime/live-node.js (layer store may not import layer runtime)",
        "src/store/planted.ts:4 imports ../tx/tx-coordinator.js (layer store may not import layer tx)",
        "src/store/planted.ts:5 imports ../sim/engine/simulator.js (layer store may not import layer sim)",
        "src/store/planted.ts:6 imports ../api/ring-survey.js (layer store may not import layer api)",
        "src/store/planted.ts:9 imports ../../bench/kv.js (layer store may not import layer bench)",
        "src/store/planted.ts:11 imports ../web/side-effect.js (layer store may not import layer web)",
        "src/store/planted.ts:12 imports ../check/everything.js (layer store may not import layer check)",
        "src/store/planted.ts:13 imports ../wire/codec.js (layer store may not import layer wire)",
        "src/store/planted.ts:14 imports ../node/selfman-node.js (layer store may not import layer node)",
        "src/store/planted.ts:15 imports ../runtime/live-env.js (layer store may not import layer runtime)",
        "src/store/planted.ts:16 imports ../cli/legacy.js (layer store may not import layer cli)",
        "src/store/planted.ts:19 imports ../sim/in-typeof.js (layer store may not import layer sim)",
        "src/store/planted.ts:20 imports ../tx/type-export.js (layer store may not import layer tx)",
      ],
    );
  });

  it("reads .ts, .mts, .cts, .tsx, .js and .mjs files, and parses each as what it is", () => {
    const base = mkdtempSync(path.join(tmpdir(), "selfman-layers-"));
    try {
      const upward = 'import { x } from "../runtime/live-node.js";';
      const exts = ["ts", "mts", "cts", "tsx", "js", "mjs", "d.ts"];
      mkdirSync(path.join(base, "src/core/deeper"), { recursive: true });
      for (const ext of exts) writeFileSync(path.join(base, `src/core/f.${ext}`), upward);
      writeFileSync(
        path.join(base, "src/core/deeper/g.tsx"),
        'import "../../runtime/x.js";\nexport const e = <div />;',
      );
      writeFileSync(path.join(base, "src/core/notes.md"), upward);
      writeFileSync(path.join(base, "src/core/data.json"), "{}");
      const files = sources("src", base);
      assert.deepEqual(
        files.map((f) => f.path),
        ["src/core/deeper/g.tsx", ...exts.map((ext) => `src/core/f.${ext}`).sort()],
      );
      assert.deepEqual(
        checkLayers(files).map((v) => v.file),
        files.map((f) => f.path),
      );
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
    assert.deepEqual(
      checkLayers([{ path: "src/core/c.js", text: 'const m = require("../runtime/live-node.js");' }]).map(
        (v) => v.message,
      ),
      ["src/core/c.js:1 imports ../runtime/live-node.js (layer core may not import layer runtime)"],
    );
  });

  it("src never imports bench or tests; bench may import all of src; an unknown folder is reported", () => {
    const messages = checkLayers([
      { path: "src/cli/main.ts", text: 'import { addBenchCommand } from "../../bench/bench-command.js";' },
      { path: "src/runtime/x.ts", text: 'import { waitFor } from "../../test/helpers/live-cluster.js";' },
      { path: "bench/kv.ts", text: 'import { clusterUp } from "../src/runtime/local-cluster.js";' },
      { path: "src/apps/wiki.ts", text: 'import { hashKey } from "../core/key-hash.js";' },
    ]).map((v) => v.message);
    assert.deepEqual(messages, [
      "src/cli/main.ts:1 imports ../../bench/bench-command.js (layer cli may not import layer bench)",
      "src/runtime/x.ts:1 imports ../../test/helpers/live-cluster.js (layer runtime may not import test)",
      "src/apps/wiki.ts:1 imports ../core/key-hash.js (apps is not a layer the allow-list knows)",
    ]);
  });
});
