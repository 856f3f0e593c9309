// `npm start` end to end (docs/live-runtime.md §5): `selfman start` — exactly what `npm start` runs — brings
// up a local cluster of 8 node processes and the status page; a real browser (Debian's chromium, driven by
// playwright-core) sees all 8 nodes on the ring and the words "perfect ring"; Ctrl-C (SIGINT) stops every
// node and the command exits 0. Without chromium the test says so loudly and skips.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { chromium } from "playwright-core";
import { isRunning, readClusterFile } from "../../src/runtime/local-cluster.js";
import { tempDir, waitFor } from "../helpers/live-cluster.js";

const CHROMIUM = "/usr/bin/chromium";
const BASE_PORT = 22_000;
const PAGE_PORT = 22_500;
const missing = existsSync(CHROMIUM)
  ? null
  : `${CHROMIUM} is missing (Debian: apt-get install chromium); .ci/run installs it`;
if (missing !== null) process.stderr.write(`\n*** SKIPPING the browser test: ${missing} ***\n\n`);

describe("selfman start (npm start)", { concurrency: false, skip: missing ?? false }, () => {
  let dir = "";
  let start: ReturnType<typeof spawn> | null = null;
  let exited: Promise<number | null> = Promise.resolve(null);
  let output = "";

  before(async () => {
    dir = await tempDir("start");
    start = spawn(
      process.execPath,
      [
        "bin/selfman",
        "start",
        "--dir",
        dir,
        "--base-port",
        String(BASE_PORT),
        "--page-port",
        String(PAGE_PORT),
        "--rpc-port",
        String(PAGE_PORT + 1),
        "--port",
        String(PAGE_PORT + 2),
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    start.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    start.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    exited = new Promise((resolve) => start?.once("exit", (code) => resolve(code)));
    await waitFor("selfman start to announce the page", 60_000, async () =>
      output.includes(`http://127.0.0.1:${PAGE_PORT}`) ? true : undefined,
    );
  });

  after(async () => {
    if (start !== null && start.exitCode === null) start.kill("SIGINT");
    await exited;
  });

  it("shows the eight nodes of a perfect ring in a real browser", async () => {
    const browser = await chromium.launch({
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
    try {
      // the page's own server, and the same page through the API front port (any node's API serves it)
      for (const port of [PAGE_PORT, PAGE_PORT + 2]) {
        const page = await browser.newPage();
        await page.goto(`http://127.0.0.1:${port}/`);
        await page.waitForFunction(
          'document.getElementById("verdict")?.textContent === "perfect ring"',
          null,
          {
            timeout: 30_000,
          },
        );
        assert.equal(await page.locator("svg circle[data-node]").count(), 8, `port ${port}`);
        assert.equal(await page.locator("#nodes tr").count(), 8);
        assert.equal(await page.locator("#count").textContent(), "8");
        const names = await page.locator("svg text").allTextContents();
        assert.deepEqual([...names].sort(), [
          "node-1",
          "node-2",
          "node-3",
          "node-4",
          "node-5",
          "node-6",
          "node-7",
          "node-8",
        ]);
        await page.close();
      }
    } finally {
      await browser.close();
    }
  });

  it("Ctrl-C stops every node and exits 0", async () => {
    const cluster = await readClusterFile(dir);
    assert.ok(cluster !== null && cluster.nodes.length === 8);
    start?.kill("SIGINT");
    assert.equal(await exited, 0, output);
    for (const node of cluster.nodes) assert.equal(isRunning(node.pid), false, `${node.name} still runs`);
    assert.equal(await readClusterFile(dir), null, "cluster.json is removed");
  });
});
