// `selfman start` (what `npm start` runs). Until the live runtime exists (issue 4) it runs a short
// simulation and prints a readable summary, so a newcomer sees the system work in seconds.
import type { Command } from "commander";
import { summary } from "../sim/report.js";
import { resolveParams, runScenario } from "../sim/run-scenario.js";
import { netChaos } from "../sim/scenarios/net-chaos.js";

export function addStartCommand(program: Command): void {
  program
    .command("start")
    .description("the main job; for now a short simulation with a readable summary")
    .action(() => {
      const params = resolveParams(netChaos, { nodes: 50, duration: 30 });
      process.stderr.write(
        "selfman: the live cluster arrives with the live runtime; meanwhile, a 50-node simulation of gossip\n" +
          "under loss, partitions, cut links and crashes (`selfman sim net-chaos --help` for more):\n\n",
      );
      const report = runScenario(netChaos, params);
      process.stdout.write(`${summary(report)}\n`);
      if (!report.ok) process.exitCode = 1;
    });
}
