// `sim ppl08`: the relaxed-ring paper's experiments reproduced (docs/relaxed-ring.md §8), checked on
// their figures, not only on their shape: no branch at full connectivity and few at 0.9 (B1, B2),
// maintenance traffic growing with N (B3), and the relaxed ring's inconsistent lookups below Chord's at
// every stabilisation rate under the same churn (B4); the plots are written by the CLI into --out.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

interface BranchRow {
  nodes: number;
  connectivity: number;
  branches: number;
  branchesPerNode: number;
  branchSizeMean: number | null;
  branchSizeOverAllNodes: number;
  ringMessages: number;
  hintMessages: number;
}

interface ChordRow {
  joinsPerStabilize: number;
  chordInconsistentLookups: number;
  chordLookups: number;
  chordRingMessages: number;
  relaxedInconsistentLookups: number;
  relaxedRingMessages: number;
}

const NODES = 200;
const dir = mkdtempSync(join(tmpdir(), "selfman-ppl08-"));
let report: {
  ok: boolean;
  violations: unknown[];
  metrics: { branchesVsN: BranchRow[]; chordVsStabilization: ChordRow[] };
};

before(() => {
  const run = spawnSync(
    "./bin/selfman",
    ["sim", "ppl08", "--nodes", String(NODES), "--duration", "20", "--seed", "1", "--out", dir, "--json"],
    { encoding: "utf8" },
  );
  assert.equal(run.status, 0, run.stderr);
  report = JSON.parse(run.stdout);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe("sim ppl08", () => {
  it("holds its invariants", () => {
    assert.equal(report.ok, true, JSON.stringify(report.violations));
  });

  it("B1/B2: no branch at connectivity 1; at 0.9 some, but fewer than 10% of N, and short", () => {
    const rows = report.metrics.branchesVsN;
    assert.deepEqual([...new Set(rows.map((r) => r.nodes))], [NODES / 4, NODES / 2, NODES]);
    assert.deepEqual([...new Set(rows.map((r) => r.connectivity))], [0.9, 0.95, 1]);
    for (const r of rows.filter((r) => r.connectivity === 1)) {
      assert.equal(r.branches, 0, `N ${r.nodes}`);
      assert.equal(r.branchSizeMean, null, "a figure that cannot be measured is null");
      assert.equal(r.branchSizeOverAllNodes, 0);
    }
    for (const r of rows.filter((r) => r.connectivity === 0.9)) {
      assert.ok(r.branches > 0, `N ${r.nodes}: a partly connected network makes branches`);
      assert.ok(r.branches < 0.1 * r.nodes, `N ${r.nodes}: ${r.branches} branches`);
      assert.ok(r.branchSizeOverAllNodes < 0.1, `N ${r.nodes}: ${r.branchSizeOverAllNodes} of the nodes`);
      assert.ok((r.branchSizeMean ?? 0) >= 1 && (r.branchSizeMean ?? 0) < 3, `N ${r.nodes}: short branches`);
      assert.ok(r.hintMessages > 0, "branches are built with hints");
    }
    const atN = (n: number, c: number) => rows.find((r) => r.nodes === n && r.connectivity === c);
    for (const n of [NODES / 4, NODES / 2, NODES])
      assert.ok((atN(n, 0.9)?.branches ?? 0) >= (atN(n, 1)?.branches ?? 0), `N ${n}`);
  });

  it("B3: ring maintenance messages grow with N", () => {
    for (const c of [0.9, 0.95, 1]) {
      const messages = report.metrics.branchesVsN
        .filter((r) => r.connectivity === c)
        .map((r) => r.ringMessages);
      assert.ok(
        messages.every((m, i) => i === 0 || m > (messages[i - 1] ?? 0)),
        `c ${c}: ${messages.join(" < ")}`,
      );
    }
  });

  it("B4: the relaxed ring's inconsistent lookups are below Chord's at every stabilisation rate", () => {
    const rows = report.metrics.chordVsStabilization;
    assert.deepEqual(
      rows.map((r) => r.joinsPerStabilize),
      [4, 5, 6, 7, 8],
    );
    for (const r of rows) {
      assert.ok(r.chordLookups > 0);
      assert.ok(
        r.relaxedInconsistentLookups < r.chordInconsistentLookups,
        `${r.joinsPerStabilize} joins per stabilisation: relaxed ${r.relaxedInconsistentLookups}, Chord ${r.chordInconsistentLookups}`,
      );
    }
    assert.equal(rows[0]?.relaxedInconsistentLookups, 0, "the relaxed ring answers consistently under joins");
    const chordMessages = rows.map((r) => r.chordRingMessages);
    assert.ok(
      chordMessages.every((m, i) => i === 0 || m < (chordMessages[i - 1] ?? 0)),
      `Chord stabilising less often sends less: ${chordMessages.join(" > ")}`,
    );
  });

  it("--out gets the four plots, written by the CLI", () => {
    for (const [file, title] of [
      ["b1-branches.svg", "B1 branches vs N"],
      ["b2-branch-size.svg", "B2 mean branch size vs N"],
      ["b3-ring-messages.svg", "B3 ring maintenance messages vs N"],
      ["b4-chord-inconsistency.svg", "B4 inconsistent lookups vs joins per stabilisation"],
    ] as const) {
      const svg = readFileSync(join(dir, file), "utf8");
      assert.ok(svg.startsWith("<svg") && svg.trimEnd().endsWith("</svg>"), file);
      assert.ok(svg.includes(title), `${file} is titled ${title}`);
    }
  });
});
