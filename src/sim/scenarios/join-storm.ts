// `selfman sim join-storm`: all N nodes join concurrently within 5 simulated seconds; range overlaps
// are checked at every range change (maxResponsiblePerKey) and every lookup answer is judged.
import type { Scenario } from "../scenario.js";
import { ringOptions, runRingScenario } from "./ring.js";

const STORM_MS = 5000;

export const joinStorm: Scenario = {
  name: "join-storm",
  records: true,
  summary: "all N nodes join concurrently within 5 s; consistency checked at every range change",
  defaults: { nodes: 2000, duration: 30 },
  options: ringOptions.filter((o) => o.name !== "joinGapMs" && o.name !== "churn"),
  run: (params, context) =>
    runRingScenario({ ...params, churn: "0,0,0", joinGapMs: STORM_MS / Math.max(1, params.nodes) }, context),
};
