// The repository stands on its own (docs/architecture.md §10): every `§` a source file cites names a
// numbered heading of a page in docs/, written `docs/<page>.md §N` or `§N.M` (a later `§` on the same
// line may leave the page out: it refers to the page named last). Nothing points outside the repository.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
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

  it("catches a citation without a page, of a missing page and of a missing heading", () => {
    const pages = new Map([["ring.md", headingNumbers("# Ring\n## 1. State\n### 1.2 Lists\n## 2. Join\n")]]);
    const text = [
      "// docs/ring.md §1.2 and §2 are fine",
      "// bare §3 is not",
      "// docs/gone.md §1",
      "// docs/ring.md §4",
    ].join("\n");
    const found = problems(citations("x.ts", text), pages);
    assert.deepEqual(found, [
      "x.ts:2: §3 names no docs page (write docs/<page>.md §3)",
      "x.ts:3: docs/gone.md does not exist",
      "x.ts:4: docs/ring.md has no heading §4",
    ]);
  });

  it("nothing in src, bench, test, docs or README points outside the repository", () => {
    const texts = [
      ...filesUnder(join(root, "src"), /\.ts$/),
      ...filesUnder(join(root, "bench"), /\.ts$/),
      ...filesUnder(join(root, "test"), /\.ts$/),
      ...filesUnder(join(root, "docs"), /\.md$/),
      join(root, "README.md"),
    ];
    const outside = /\.\.\/shared|[Ii]ssue [0-9]+|closing[ ]note/;
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
