// The scenario registry: every `selfman sim <name>` lives here, in one list.
import type { Scenario } from "../scenario.js";
import { netChaos } from "./net-chaos.js";

export const scenarios: readonly Scenario[] = [netChaos];

export function findScenario(name: string): Scenario | undefined {
  return scenarios.find((s) => s.name === name);
}
