// Loaded before every test file (`npm test` passes it with --import): fast-check draws from one
// fixed seed, so property tests are as deterministic as the rest of the suite. To explore other
// inputs, SELFMAN_FC_SEED=<n> picks another seed and SELFMAN_FC_RUNS=<n> runs more cases per
// property; a failure prints the seed and path that replay it.
import fc from "fast-check";

const DEFAULT_SEED = 20_261_201;

function envCount(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, not "${raw}"`);
  return n;
}

const numRuns = envCount("SELFMAN_FC_RUNS");
fc.configureGlobal({
  seed: envCount("SELFMAN_FC_SEED") ?? DEFAULT_SEED,
  ...(numRuns === undefined ? {} : { numRuns }),
});
