// A user's program for the fail-over acceptance test (docs/client.md §4): plain JavaScript importing the
// packed library ("selfman") in a scratch project. It must keep to the package's public surface, and
// report every acknowledged put on stdout, since the test trusts nothing else as acknowledged.

// argv: WORKERS TAG URL... — WORKERS loops put distinct keys TAG-w-i with distinct values until told to
// stop. stdin lines: "who" makes the next put be followed by status() of the node the client uses (its
// name is printed); "stop" ends the loops, then every acknowledged key is read back through the client.
// stdout, one JSON object a line: {ack, value, at, node} | {serving, at} | {failed, code, at} |
// {read, found, value} | {done}.
import { createInterface } from "node:readline";
import { connect } from "selfman";

const [workersArg, tag, ...urls] = process.argv.slice(2);
const workers = Number(workersArg);
const db = connect(urls, { timeoutMs: 3_000, retry: { failoverMs: 15_000 } });
const say = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);

let stopping = false;
let whoAsked = false;
const acked = new Map();

createInterface({ input: process.stdin }).on("line", (line) => {
  if (line === "who") whoAsked = true;
  if (line === "stop") stopping = true;
});

async function loop(worker) {
  for (let i = 0; !stopping; i++) {
    const key = `${tag}-${worker}-${i}`;
    const value = { worker, i, text: `value ${i} of worker ${worker}` };
    try {
      await db.put(key, value);
      acked.set(key, value);
      say({ ack: key, value, at: Date.now(), node: db.nodes.current });
    } catch (error) {
      say({
        failed: key,
        code: error?.code ?? String(error),
        message: String(error?.message),
        at: Date.now(),
      });
    }
    if (worker === 0 && whoAsked) {
      whoAsked = false;
      try {
        const status = await db.status();
        say({ serving: status.name, at: Date.now() });
      } catch (error) {
        say({ failed: "status", code: error?.code ?? String(error), at: Date.now() });
      }
    }
  }
}

await Promise.all(Array.from({ length: workers }, (_, w) => loop(w)));
const keys = [...acked.keys()];
const reader = async () => {
  for (let key = keys.pop(); key !== undefined; key = keys.pop()) {
    try {
      const got = await db.get(key);
      say({ read: key, found: got.found, value: got.value });
    } catch (error) {
      say({ read: key, failed: error?.code ?? String(error) });
    }
  }
};
await Promise.all(Array.from({ length: 8 }, reader));
say({ done: true });
db.close();
process.exit(0);
