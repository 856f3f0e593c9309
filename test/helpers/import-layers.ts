// The import-layer rules (docs/architecture.md §1) as a pure checker: given source files (path and
// text), every relative import — static `import`, `import type`, `export … from`, `import "x"` and
// dynamic `import("literal")` — is checked against the allow-list below. Package and node: imports
// are the lint's business (biome.json, lint/), not this one's. The TypeScript scanner finds the
// imports, so ones inside comments or strings do not count.
import path from "node:path";
import ts from "typescript";

/** A layer: a folder of src/ (src/<layer>/…), or bench/ (top level). */
export type Layer = string;

const PROTOCOL = ["core", "overlay", "store", "tx", "node"];
const SRC_LAYERS = [...PROTOCOL, "wire", "runtime", "check", "sim", "api", "web", "cli"];

/** Folder → the folders it may import (besides itself). Nothing points up; src never imports bench. */
export const ALLOWED: Readonly<Record<Layer, readonly Layer[]>> = {
  core: [],
  overlay: ["core"],
  store: ["core", "overlay"],
  tx: ["core", "overlay", "store"],
  node: ["core", "overlay", "store", "tx"],
  wire: PROTOCOL,
  runtime: [...PROTOCOL, "wire"],
  check: PROTOCOL,
  sim: [...PROTOCOL, "wire", "check"],
  api: [...PROTOCOL, "runtime", "wire"],
  web: [...PROTOCOL, "api"],
  cli: SRC_LAYERS,
  bench: SRC_LAYERS,
};

export interface SourceFile {
  /** Relative to the repository root, with forward slashes: `src/store/register.ts`. */
  readonly path: string;
  readonly text: string;
}

export interface Violation {
  readonly file: string;
  readonly line: number;
  readonly specifier: string;
  readonly from: Layer;
  /** The layer imported, or where the import points when that is no layer (`test`, `bin`, …). */
  readonly to: Layer;
  /** `file:line imports X (layer A may not import layer B)` */
  readonly message: string;
}

/** The layer a repository path belongs to, or null if it is in none (a test, a script, …). */
export function layerOf(repoPath: string): Layer | null {
  const parts = repoPath.split("/");
  if (parts[0] === "bench") return "bench";
  if (parts[0] === "src" && parts.length > 2) return parts[1] ?? null;
  return null;
}

/** Where an import points when it is in no layer: its top folder (`test`, `bin`, `src` itself, …). */
function placeOf(repoPath: string): string {
  const parts = repoPath.split("/");
  if (parts[0] === "src" && parts.length <= 2) return "src";
  return parts[0] === ".." ? "outside the repository" : (parts[0] ?? repoPath);
}

/** The 1-based line of each character offset's line start, found by binary search. */
function lineAt(lineStarts: readonly number[], pos: number): number {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((lineStarts[mid] as number) <= pos) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** The relative specifiers `text` imports, each with the (1-based) line it is on. */
export function importsOf(text: string): { specifier: string; line: number }[] {
  const lineStarts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) lineStarts.push(i + 1);
  return ts
    .preProcessFile(text, true, true)
    .importedFiles.filter((f) => f.fileName.startsWith("./") || f.fileName.startsWith("../"))
    .map((f) => ({ specifier: f.fileName, line: lineAt(lineStarts, f.pos) }));
}

/** Every import of `files` that the allow-list does not allow, in file order. */
export function checkLayers(files: readonly SourceFile[]): Violation[] {
  const violations: Violation[] = [];
  for (const file of files) {
    const from = layerOf(file.path);
    if (from === null) continue;
    const allowed = ALLOWED[from];
    for (const { specifier, line } of importsOf(file.text)) {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file.path), specifier));
      const to = layerOf(target) ?? placeOf(target);
      if (to === from) continue;
      if (allowed?.includes(to)) continue;
      const why =
        allowed === undefined
          ? `${from} is not a layer the allow-list knows`
          : `layer ${from} may not import ${layerOf(target) === null ? to : `layer ${to}`}`;
      violations.push({
        file: file.path,
        line,
        specifier,
        from,
        to,
        message: `${file.path}:${line} imports ${specifier} (${why})`,
      });
    }
  }
  return violations;
}
