// The scenario registry: every `selfman sim <name>` lives here, in one list.
import type { Scenario } from "../scenario.js";
import { joinStorm } from "./join-storm.js";
import { kv } from "./kv.js";
import { merge } from "./merge.js";
import { netChaos } from "./net-chaos.js";
import { ppl08 } from "./ppl08.js";
import { replicaMaintenance } from "./replica-maintenance.js";
import { ring } from "./ring.js";
import { tx } from "./tx.js";

export const scenarios: readonly Scenario[] = [
  ring,
  joinStorm,
  ppl08,
  kv,
  replicaMaintenance,
  netChaos,
  tx,
  merge,
];
