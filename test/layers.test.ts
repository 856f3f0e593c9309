// The import layers (docs/architecture.md §1): every import under src/ and bench/ follows the
// allow-list of test/helpers/import-layers.ts — nothing points up, protocol code imports no runtime,
// src never imports bench (bin/selfman is where the two meet). A planted upward import is reported
// with its file, line and the rule it breaks.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
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

/** Every .ts file under `dir` (relative to the repository root). */
function sources(dir: string): SourceFile[] {
  const entries = readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join("/"))
    .sort()
    .map((file) => ({ path: file, text: readFileSync(path.join(root, file), "utf8") }));
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
      ],
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
