// `npm start` and its dashboard in a real browser (docs/dashboard.md, docs/live-runtime.md §5): `selfman
// start` — what `npm start` runs — brings up 8 node processes; Debian's chromium (playwright-core) sees a
// perfect ring of 8 on the API front port and on the page server, opens a node page, sees the charts
// drawn and a key just written in the key inspector; a node crashed from the page is marked suspected,
// the ring of 7 turns perfect and the feed shows it; a node added from the page joins; a cut from the
// page shows two rings, and the heal one; a recorded sim merge run replays to the final ring the CLI
// reported;
// every request the page makes stays on 127.0.0.1. Ctrl-C stops everything. A failing browser check saves
// a screenshot and names it. Without chromium the test says so loudly and skips.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { type Browser, chromium, type Page } from "playwright-core";
import { isRunning, readClusterFile } from "../../src/runtime/local-cluster.js";
import { tempDir } from "../helpers/live-cluster.js";
import { type StartedSelfman, spawnSelfmanStart } from "../helpers/selfman-start.js";

const run = promisify(execFile);
const CHROMIUM = "/usr/bin/chromium";
const BASE_PORT = 22_000;
const PAGE_PORT = 22_500;
const API_PORT = PAGE_PORT + 2;
const SUSPECTED_WITHIN_MS = 5_000;
const HEALED_WITHIN_MS = 15_000;
const missing = existsSync(CHROMIUM)
  ? null
  : `${CHROMIUM} is missing (Debian: apt-get install chromium); .ci/run installs it`;
if (missing !== null) process.stderr.write(`\n*** SKIPPING the browser test: ${missing} ***\n\n`);

/** Runs `check` on `page`; if it throws, saves a screenshot beside the cluster and says where. */
async function withScreenshot(
  page: Page,
  dir: string,
  name: string,
  check: () => Promise<void>,
): Promise<void> {
  try {
    await check();
  } catch (error) {
    const file = path.join(dir, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true }).catch(() => {});
    throw new Error(`${error instanceof Error ? error.message : String(error)} (screenshot: ${file})`);
  }
}

/** A page on the dashboard at `port` that records every URL it asks for. */
async function openDashboard(browser: Browser, port: number, asked: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  page.on("request", (request) => asked.push(request.url()));
  await page.goto(`http://127.0.0.1:${port}/`);
  return page;
}

const verdictIs = (text: string) =>
  `document.getElementById("verdict")?.textContent === ${JSON.stringify(text)}`;

describe("the dashboard of selfman start (npm start)", { concurrency: false, skip: missing ?? false }, () => {
  let dir = "";
  let start: StartedSelfman | null = null;
  let browser: Browser | null = null;
  const asked: string[] = [];

  before(async () => {
    dir = await tempDir("dashboard");
    start = spawnSelfmanStart(dir, {
      basePort: BASE_PORT,
      pagePort: PAGE_PORT,
      rpcPort: PAGE_PORT + 1,
      apiPort: API_PORT,
    });
    await start.running();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
      ],
    });
  });

  after(async () => {
    await browser?.close();
    if (start !== null && start.child.exitCode === null) start.child.kill("SIGINT");
    await start?.exited;
  });

  it("shows a perfect ring of 8, a node page and the charts, on the front port and the page server", async () => {
    assert.ok(browser !== null);
    for (const port of [API_PORT, PAGE_PORT]) {
      const page = await openDashboard(browser, port, asked);
      await withScreenshot(page, dir, `ring-${port}`, async () => {
        await page.waitForFunction(verdictIs("perfect ring of 8"), null, { timeout: 30_000 });
        assert.equal(await page.locator("g.node:not(.gone)").count(), 8, `port ${port}: 8 node marks`);
        assert.equal(await page.locator("path.band").count(), 8, "the key space shaded by 8 owners");
        assert.equal(await page.locator("path.succ").count(), 8, "8 successor arcs");
        await page.locator('g.node[data-name="node-3"]').click();
        const panel = page.locator('.node-panel[data-node="node-3"]');
        await panel.waitFor({ timeout: 5_000 });
        assert.equal(
          await panel.locator("section").first().locator("li").count(),
          7,
          "node-3's successor list",
        );
        // two surveys make the first point; messages flow all the time (failure-detector pings)
        await page.waitForFunction(
          'Number(document.querySelector("[data-chart=traffic]")?.dataset.points) >= 2',
          null,
          { timeout: 10_000 },
        );
        const traffic = page.locator("[data-chart=traffic]");
        assert.ok(
          Number(await traffic.getAttribute("data-non-zero-series")) >= 1,
          "the traffic chart draws messages",
        );
        assert.equal(await page.locator(".chart canvas").count(), 5, "five charts drawn");
        // the key inspector, on a key just written
        const key = `inspected-${port}`;
        const put = await fetch(`http://127.0.0.1:${API_PORT}/v1/kv/${key}`, {
          method: "PUT",
          body: JSON.stringify({ value: port }),
        });
        assert.equal(put.status, 200);
        await page.fill("input[name=key]", key);
        await page.click(".key-form button");
        await page.locator("table.replicas tbody tr").nth(3).waitFor({ timeout: 10_000 });
        const rows = await page.locator("table.replicas tbody tr").allTextContents();
        assert.equal(rows.length, 4, "four replicas");
        const nodeCells = await page.locator("table.replicas tbody td:nth-child(3)").allTextContents();
        assert.ok(
          nodeCells.every((name) => /^node-\d$/.test(name)),
          `each replica's node: ${nodeCells.join(", ")}`,
        );
        const versions = await page.locator("table.replicas tbody td:nth-child(5)").allTextContents();
        assert.ok(
          versions.filter((v) => v === "1").length >= 3,
          `a majority holds version 1: ${versions.join(", ")}`,
        );
        assert.equal(await page.locator("g.replica").count(), 4, "the replica ids marked on the ring");
      });
      await page.close();
    }
  });

  it("from the page: a crashed node is marked suspected within 5 s and the ring of 7 is perfect within 15 s; an added node joins; a cut shows two rings and the heal one", async () => {
    assert.ok(browser !== null);
    const page = await openDashboard(browser, PAGE_PORT, asked);
    await withScreenshot(page, dir, "controls", async () => {
      await page.waitForFunction(verdictIs("perfect ring of 8"), null, { timeout: 30_000 });
      await page.locator('g.node[data-name="node-5"]').click();
      await page.locator('button[data-control="crash"]').click();
      const crashedAt = Date.now();
      await page
        .locator('g.node[data-name="node-5"].suspected')
        .waitFor({ state: "attached", timeout: SUSPECTED_WITHIN_MS });
      const suspectedMs = Date.now() - crashedAt;
      await page.waitForFunction(verdictIs("perfect ring of 7"), null, { timeout: HEALED_WITHIN_MS });
      const healedMs = Date.now() - crashedAt;
      process.stderr.write(
        `    node-5 crashed from the page: suspected after ${suspectedMs} ms, perfect ring of 7 after ${healedMs} ms\n`,
      );
      assert.equal(
        await page.locator('g.node[data-name="node-5"].gone').count(),
        1,
        "node-5 faded where it was",
      );
      await page
        .locator('li.event[data-kind="control-crash"][data-node="node-5"]')
        .waitFor({ timeout: 5_000 });
      await page.locator('li.event[data-kind="node-gone"][data-node="node-5"]').waitFor({ timeout: 5_000 });

      await page.locator('button[data-control="add"]').click();
      await page.waitForFunction(verdictIs("perfect ring of 8"), null, { timeout: 30_000 });
      assert.equal(await page.locator("g.node:not(.gone)").count(), 8, "the added node is on the ring");

      await page.locator('button[data-control="cut"]').click();
      await page.waitForFunction('document.getElementById("verdict")?.dataset.rings === "2"', null, {
        timeout: 30_000,
      });
      process.stderr.write(`    cut: ${await page.locator("#verdict").textContent()}\n`);
      await page.locator('button[data-control="heal"]').click();
      await page.waitForFunction(verdictIs("perfect ring of 8"), null, { timeout: 60_000 });
      await page.locator('li.event[data-kind="control-heal"]').waitFor({ timeout: 5_000 });
    });
    await page.close();
  });

  it("replays a recorded sim merge run to the final ring the CLI reported", async () => {
    assert.ok(browser !== null);
    const file = path.join(dir, "merge.jsonl");
    const { stdout } = await run(process.execPath, [
      "bin/selfman",
      "sim",
      "merge",
      "--nodes",
      "64",
      "--record",
      file,
      "--json",
    ]);
    const cli = (JSON.parse(stdout) as { record: { nodes: number; perfect: boolean; digest: string } })
      .record;
    assert.equal(cli.perfect, true);
    const page = await openDashboard(browser, API_PORT, asked);
    await withScreenshot(page, dir, "replay", async () => {
      await page.setInputFiles("input[name=record]", file);
      const status = page.locator("#replay-status");
      await page.waitForFunction('document.getElementById("replay-status")?.dataset.digest !== undefined');
      const slider = page.locator(".replay input[type=range]");
      await slider.fill((await slider.getAttribute("max")) ?? "0");
      assert.equal(await status.getAttribute("data-last"), "true");
      assert.equal(await status.getAttribute("data-perfect"), "true");
      assert.equal(
        await status.getAttribute("data-digest"),
        cli.digest,
        "the page's final ring is the CLI's",
      );
      assert.match((await status.textContent()) ?? "", new RegExp(`${cli.nodes} members · perfect ring`));
    });
    await page.close();
  });

  it("every request the page made went to 127.0.0.1", () => {
    assert.ok(asked.length > 0);
    const elsewhere = asked.filter((url) => new URL(url).hostname !== "127.0.0.1");
    assert.deepEqual(elsewhere, []);
  });

  it("Ctrl-C stops every node and exits 0", async () => {
    const cluster = await readClusterFile(dir);
    assert.ok(cluster !== null && cluster.nodes.length === 8);
    start?.child.kill("SIGINT");
    assert.equal(await start?.exited, 0, start?.output());
    for (const node of cluster.nodes) assert.equal(isRunning(node.pid), false, `${node.name} still runs`);
    assert.equal(await readClusterFile(dir), null, "cluster.json is removed");
  });
});
