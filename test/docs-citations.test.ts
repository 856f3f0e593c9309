// The repository stands on its own (docs/architecture.md §10): every `§` a source or test file cites
// names a numbered heading of a page in docs/, written `docs/<page>.md §N` or `§N.M` (a later `§` on the
// same line may leave the page out: it refers to the page named last); every Markdown link and every
// backticked repository path in docs/ and README.md names a file that exists; nothing points outside the
// repository. The fixtures below spell § as \u00a7, so this file passes its own scan.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative, resolve } from "node:path";
import { describe, it } from "node:test";

const root = resolve(import.meta.dirname, "..");

function filesUnder(dir: string, ext: RegExp): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path, ext));
    else if (ext.test(name)) out.push(path);
  }
  return out;
}

/** Every text a reader of the repository meets: the sources, benchmarks and tests, the docs and README. */
function repositoryTexts(): string[] {
  return [
    ...filesUnder(join(root, "src"), /\.ts$/),
    ...filesUnder(join(root, "bench"), /\.ts$/),
    ...filesUnder(join(root, "test"), /\.ts$/),
    ...filesUnder(join(root, "docs"), /\.md$/),
    join(root, "README.md"),
  ];
}

/** The numbered headings of a docs page: "## 3. Join" gives "3", "### 3.2 Retries" gives "3.2". */
export function headingNumbers(markdown: string): Set<string> {
  const numbers = new Set<string>();
  for (const match of markdown.matchAll(/^#{1,4} +(\d+(?:\.\d+)*)\.? /gm)) numbers.add(match[1] as string);
  return numbers;
}

export interface Citation {
  readonly file: string;
  readonly line: number;
  readonly page: string | null;
  readonly section: string;
}

/** Every `§N` in a source text, with the docs page named last before it on its line (or null). */
export function citations(file: string, text: string): Citation[] {
  const out: Citation[] = [];
  text.split("\n").forEach((lineText, index) => {
    const pattern = /docs\/([a-z0-9-]+\.md)|§\s?(\d+(?:\.\d+)*)/g;
    let page: string | null = null;
    for (const match of lineText.matchAll(pattern)) {
      if (match[1] !== undefined) page = match[1];
      else out.push({ file, line: index + 1, page, section: match[2] as string });
    }
  });
  return out;
}

export function problems(all: readonly Citation[], pages: ReadonlyMap<string, Set<string>>): string[] {
  const found: string[] = [];
  for (const c of all) {
    const where = `${c.file}:${c.line}`;
    if (c.page === null) {
      found.push(`${where}: §${c.section} names no docs page (write docs/<page>.md §${c.section})`);
      continue;
    }
    const headings = pages.get(c.page);
    if (headings === undefined) found.push(`${where}: docs/${c.page} does not exist`);
    else if (!headings.has(c.section)) found.push(`${where}: docs/${c.page} has no heading §${c.section}`);
  }
  return found;
}

/** A place a Markdown page names: a link target or a backticked repository path, with its line. */
export interface PathReference {
  readonly file: string;
  readonly line: number;
  /** What the page wrote (a link's target, or the path in backticks). */
  readonly written: string;
  /** Relative to the repository root; for a glob (`test/store/*-rules.test.ts`), the glob. */
  readonly path: string;
}

/** The top folders a backticked path may start with to count as a repository path. */
const REPO_FOLDERS = /^(src|test|docs|bench|lint|bin)\//;

/**
 * Every relative Markdown link `[x](path)` and every backticked repository path (`src/…`, `test/…`,
 * `docs/…`, `bench/…`, `lint/…`, `bin/…`) in `markdown` (the page at repository path `file`), outside
 * fenced code blocks. A link is relative to the page; a backticked path to the repository root, up to its
 * first space or `:` (`src/x.ts:12`, `docs/<page>.md §N`). Web links, bare anchors and templates (`<page>`,
 * `…`) are no references.
 */
export function pathReferences(file: string, markdown: string): PathReference[] {
  const out: PathReference[] = [];
  let fenced = false;
  markdown.split("\n").forEach((lineText, index) => {
    if (/^\s*(```|~~~)/.test(lineText)) {
      fenced = !fenced;
      return;
    }
    if (fenced) return;
    const line = index + 1;
    const code = [...lineText.matchAll(/`([^`]+)`/g)];
    const prose = code.reduce((text, m) => text.replace(m[0], " ".repeat(m[0].length)), lineText);
    for (const m of prose.matchAll(/\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const written = m[1] as string;
      if (/^[a-z][a-z0-9+.-]*:/i.test(written) || written.startsWith("#")) continue;
      const target = written.split("#")[0] as string;
      out.push({ file, line, written, path: normalize(join(dirname(file), decodeURI(target))) });
    }
    for (const m of code) {
      const first = (m[1] as string).trim().split(/[\s:]/)[0] as string;
      if (!REPO_FOLDERS.test(first) || /[<>…{}$]/.test(first)) continue;
      out.push({ file, line, written: first, path: first.replace(/[.,;]$/, "") });
    }
  });
  return out;
}

/** The references whose file (or, for a glob, any file) does not exist, given which paths exist. */
export function pathProblems(
  all: readonly PathReference[],
  exists: (path: string) => boolean,
  repoFiles: readonly string[],
): string[] {
  const found: string[] = [];
  for (const r of all) {
    const glob = r.path.includes("*")
      ? new RegExp(`^${r.path.replace(/[.+?^()[\]|\\]/g, "\\$&").replace(/\*/g, "[^/]*")}$`)
      : null;
    const ok = glob === null ? exists(r.path) : repoFiles.some((f) => glob.test(f));
    if (!ok) found.push(`${r.file}:${r.line}: ${r.written} names ${r.path}, which does not exist`);
  }
  return found;
}

function docsPages(): Map<string, Set<string>> {
  const pages = new Map<string, Set<string>>();
  for (const path of filesUnder(join(root, "docs"), /\.md$/))
    pages.set(relative(join(root, "docs"), path), headingNumbers(readFileSync(path, "utf8")));
  return pages;
}

describe("docs citations", () => {
  it("every § cited in src/ and bench/ is a numbered heading of a docs page", () => {
    const sources = [...filesUnder(join(root, "src"), /\.ts$/), ...filesUnder(join(root, "bench"), /\.ts$/)];
    const all = sources.flatMap((path) => citations(relative(root, path), readFileSync(path, "utf8")));
    assert.ok(all.length > 100, `only ${all.length} citations found: is the scan broken?`);
    assert.deepEqual(problems(all, docsPages()), []);
  });

  it("every § cited in test/ (comments and test names) is a numbered heading of a docs page", () => {
    const sources = filesUnder(join(root, "test"), /\.ts$/);
    const all = sources.flatMap((path) => citations(relative(root, path), readFileSync(path, "utf8")));
    assert.ok(all.length > 50, `only ${all.length} citations found: is the scan broken?`);
    assert.deepEqual(problems(all, docsPages()), []);
  });

  it("every Markdown link and backticked repository path in docs/ and README.md names a file that exists", () => {
    const pages = [...filesUnder(join(root, "docs"), /\.md$/), join(root, "README.md")];
    const all = pages.flatMap((path) => pathReferences(relative(root, path), readFileSync(path, "utf8")));
    assert.ok(all.length > 100, `only ${all.length} references found: is the scan broken?`);
    const repoFiles = ["src", "test", "docs", "bench", "lint", "bin"].flatMap((dir) =>
      filesUnder(join(root, dir), /./).map((path) => relative(root, path)),
    );
    assert.deepEqual(
      pathProblems(all, (path) => existsSync(join(root, path)), repoFiles),
      [],
    );
  });

  it("every benchmark label (B1, B8, …) used in src, bench, test, docs or README is a row of docs/metrics.md §7.1", () => {
    const metrics = readFileSync(join(root, "docs/metrics.md"), "utf8");
    const list = metrics.slice(metrics.indexOf("### 7.1 "));
    const defined = new Set([...list.matchAll(/^\| (B\d+) \|/gm)].map((m) => m[1]));
    assert.ok(defined.size >= 8, `only ${[...defined].join(", ")} defined: is the scan broken?`);
    const texts = repositoryTexts();
    const undefinedLabels = texts.flatMap((path) =>
      readFileSync(path, "utf8")
        .split("\n")
        .flatMap((line, i) =>
          [...line.matchAll(/\bB\d{1,2}\b/g)]
            .filter((m) => !defined.has(m[0]))
            .map((m) => `${relative(root, path)}:${i + 1}: ${m[0]}`),
        ),
    );
    assert.deepEqual(undefinedLabels, []);
  });

  it("catches a link or a backticked path to a missing file; skips web links, anchors, templates, code blocks", () => {
    const page = [
      "See [the ring](relaxed-ring.md#3-join) and [gone](gone.md), [web](https://example.org/x.md), [top](#1).",
      "The code is in `src/overlay/relaxed-ring.ts:12`, `docs/routing.md \u00a73` and `src/missing.ts`.",
      "Templates: `docs/<page>.md`, `src/<layer>/…`; globs: `test/store/*-rules.test.ts`, `test/none/*.ts`.",
      "```sh",
      "cat src/inside-a-fence.ts [x](nowhere.md) `src/nor-this.ts`",
      "```",
      "Up a folder: [readme](../README.md), [bad](../nope/x.md); `[not a link](in-code.md)`.",
    ].join("\n");
    const refs = pathReferences("docs/page.md", page);
    assert.deepEqual(
      refs.map((r) => `${r.line} ${r.path}`),
      [
        "1 docs/relaxed-ring.md",
        "1 docs/gone.md",
        "2 src/overlay/relaxed-ring.ts",
        "2 docs/routing.md",
        "2 src/missing.ts",
        "3 test/store/*-rules.test.ts",
        "3 test/none/*.ts",
        "7 README.md",
        "7 nope/x.md",
      ],
    );
    const exists = (path: string) =>
      ["docs/relaxed-ring.md", "src/overlay/relaxed-ring.ts", "docs/routing.md", "README.md"].includes(path);
    assert.deepEqual(pathProblems(refs, exists, ["test/store/replica-rules.test.ts"]), [
      "docs/page.md:1: gone.md names docs/gone.md, which does not exist",
      "docs/page.md:2: src/missing.ts names src/missing.ts, which does not exist",
      "docs/page.md:3: test/none/*.ts names test/none/*.ts, which does not exist",
      "docs/page.md:7: ../nope/x.md names nope/x.md, which does not exist",
    ]);
  });

  it("catches a citation without a page, of a missing page and of a missing heading", () => {
    const pages = new Map([["ring.md", headingNumbers("# Ring\n## 1. State\n### 1.2 Lists\n## 2. Join\n")]]);
    const text = [
      "// docs/ring.md \u00a71.2 and \u00a72 are fine",
      "// bare \u00a73 is not",
      "// docs/gone.md \u00a71",
      "// docs/ring.md \u00a74",
    ].join("\n");
    const found = problems(citations("x.ts", text), pages);
    assert.deepEqual(found, [
      "x.ts:2: \u00a73 names no docs page (write docs/<page>.md \u00a73)",
      "x.ts:3: docs/gone.md does not exist",
      "x.ts:4: docs/ring.md has no heading \u00a74",
    ]);
  });

  it("nothing in src, bench, test, docs or README points outside the repository (a tracker, a shared folder, a list kept elsewhere)", () => {
    const texts = repositoryTexts();
    const outside = /\.\.\/shared|[Ii]ssue [0-9]+|closing[ ]note|[Nn]on-[n]egotiable/;
    const hits = texts.flatMap((path) =>
      readFileSync(path, "utf8")
        .split("\n")
        .flatMap((line, i) =>
          outside.test(line) ? [`${relative(root, path)}:${i + 1}: ${line.trim()}`] : [],
        ),
    );
    assert.deepEqual(hits, []);
  });
});
