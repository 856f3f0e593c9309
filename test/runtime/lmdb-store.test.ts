// The live store (src/runtime/lmdb-store.ts, docs/replication.md §6, docs/architecture.md §5): items and
// the claim survive a reopen; every write is counted for group commit and flushed() resolves once they are
// on disk; a store last written under `process` durability by another boot of the machine keeps its items
// but not its claim (its last writes may be lost: it rejoins unsynced), while `sync` keeps both.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { IdSpace } from "../../src/core/id-space.js";
import type { Durability } from "../../src/runtime/durability.js";
import { LmdbStorePort } from "../../src/runtime/lmdb-store.js";
import { emptyItem } from "../../src/store/item.js";

const ids = new IdSpace();
const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function freshDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "selfman-lmdb-"));
  dirs.push(dir);
  return dir;
}

/** Writes one item and a claim under `durability` on boot `bootId`, then closes. */
async function writeAndClose(dir: string, durability: Durability, bootId: string): Promise<void> {
  const store = new LmdbStorePort(dir, ids, durability, bootId);
  store.put({ ...emptyItem("k", 5n), value: "v", version: 1 });
  store.recordRange({ from: 1n, to: 9n });
  await store.flushed();
  await store.close();
}

describe("LmdbStorePort", () => {
  it("counts every write for group commit and flushes them", async () => {
    const store = new LmdbStorePort(await freshDir(), ids, "sync", "boot-a");
    let writes = 0;
    store.onWrite = () => writes++;
    store.put({ ...emptyItem("a", 3n), value: 1, version: 1 });
    store.delete(3n, "a");
    store.recordRange(null);
    assert.equal(writes, 3);
    await store.flushed();
    await store.close();
  });

  for (const [durability, sameBoot, trusted] of [
    ["sync", false, true],
    ["process", true, true],
    ["process", false, false],
  ] as const) {
    it(`${durability}, reopened ${sameBoot ? "in the same boot" : "after a reboot"}: the claim is ${trusted ? "kept" : "dropped"}`, async () => {
      const dir = await freshDir();
      await writeAndClose(dir, durability, "boot-a");
      const reopened = new LmdbStorePort(dir, ids, durability, sameBoot ? "boot-a" : "boot-b");
      try {
        assert.equal(reopened.restored, true);
        assert.equal(reopened.get(5n, "k")?.value, "v");
        assert.equal(reopened.powerLossSuspected, !trusted);
        assert.deepEqual(reopened.previousRange, trusted ? { from: 1n, to: 9n } : null);
      } finally {
        await reopened.close();
      }
    });
  }
});
