// The import-layer rules (docs/architecture.md §1) as a pure checker: given source files (path and
// text), every relative import — in each form `importsOf` lists — is checked against the allow-list
// below. Package and node: imports are the lint's business (biome.json, lint/), not this one's. The
// TypeScript parser finds the imports (an AST walk), so ones inside comments or strings do not count.
import path from "node:path";
import ts from "typescript";

/** A layer: a folder of src/ (src/<layer>/…), or bench/ (top level). */
export type Layer = string;

const PROTOCOL = ["core", "overlay", "store", "tx", "node"];
const SRC_LAYERS = [...PROTOCOL, "wire", "client", "runtime", "check", "sim", "api", "web", "cli"];

/** Folder → the folders it may import (besides itself). Nothing points up; src never imports bench. */
export const ALLOWED: Readonly<Record<Layer, readonly Layer[]>> = {
  core: [],
  overlay: ["core"],
  store: ["core", "overlay"],
  tx: ["core", "overlay", "store"],
  node: ["core", "overlay", "store", "tx"],
  wire: PROTOCOL,
  client: ["wire"],
  runtime: [...PROTOCOL, "wire"],
  check: PROTOCOL,
  sim: [...PROTOCOL, "wire", "check"],
  api: [...PROTOCOL, "runtime", "wire"],
  web: [...PROTOCOL, "runtime", "wire", "api"],
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

/** How TypeScript should parse a file, from its extension (.tsx and the JavaScript ones differ). */
function scriptKindOf(fileName: string): ts.ScriptKind {
  if (fileName.endsWith(".tsx")) return ts.ScriptKind.TSX;
  if (fileName.endsWith(".jsx")) return ts.ScriptKind.JSX;
  if (/\.[mc]?js$/.test(fileName)) return ts.ScriptKind.JS;
  return ts.ScriptKind.TS;
}

/** The text of a string literal (or a template without substitutions), else null. */
function literalText(node: ts.Node | undefined): string | null {
  if (node === undefined) return null;
  return ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) ? node.text : null;
}

/**
 * Every module specifier `node` names as an import, if any: `import … from "x"` (type-only too),
 * `import "x"`, `export … from "x"` (`export *`, `export * as ns`, `export type` too),
 * `import x = require("x")`, an import type `import("x")` in a type position, a dynamic
 * `import("x")` and a `require("x")` call.
 */
function specifierOf(node: ts.Node): ts.Node | undefined {
  if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) return node.moduleSpecifier;
  if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
    return node.moduleReference.expression;
  }
  if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) return node.argument.literal;
  if (ts.isCallExpression(node)) {
    const callee = node.expression;
    const isImport = callee.kind === ts.SyntaxKind.ImportKeyword;
    const isRequire = ts.isIdentifier(callee) && callee.text === "require";
    if ((isImport || isRequire) && node.arguments.length >= 1) return node.arguments[0];
  }
  return undefined;
}

/**
 * The relative specifiers `text` imports, each with the (1-based) line its specifier is on, in source
 * order. The file is parsed (as `fileName`'s extension says), so imports in comments and strings do not
 * count.
 */
export function importsOf(text: string, fileName = "file.ts"): { specifier: string; line: number }[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, scriptKindOf(fileName));
  const found: { specifier: string; line: number }[] = [];
  const visit = (node: ts.Node): void => {
    const spec = specifierOf(node);
    const specifier = literalText(spec);
    if (
      spec !== undefined &&
      specifier !== null &&
      (specifier.startsWith("./") || specifier.startsWith("../"))
    ) {
      found.push({ specifier, line: source.getLineAndCharacterOfPosition(spec.getStart(source)).line + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Every import of `files` that the allow-list does not allow, in file order. */
export function checkLayers(files: readonly SourceFile[]): Violation[] {
  const violations: Violation[] = [];
  for (const file of files) {
    const from = layerOf(file.path);
    if (from === null) continue;
    const allowed = ALLOWED[from];
    for (const { specifier, line } of importsOf(file.text, file.path)) {
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
