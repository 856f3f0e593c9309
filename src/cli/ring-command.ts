// `selfman ring` shows the live ring (ids, pred/succ, branches, suspected nodes, perfect or not);
// `selfman lookup KEY` asks a node which node is responsible for KEY and how many hops it took.
// Both find the nodes' admin ports in the cluster directory (cluster.json) or take them from --admin.
import type { Command } from "commander";
import { type RingSurvey, surveyRing } from "../api/ring-survey.js";
import { fetchJson } from "../runtime/admin-client.js";
import { readClusterFile } from "../runtime/local-cluster.js";
import { grid } from "../sim/report.js";
import { DEFAULT_DIR } from "./cluster-command.js";
import { type Address, commanderParser, formatAddress, parseAddressList } from "./flags.js";
import { toJsonLine } from "./sim-command.js";

interface TargetFlags {
  dir: string;
  admin?: Address[];
}

async function adminAddresses(flags: TargetFlags): Promise<string[]> {
  if (flags.admin !== undefined) return flags.admin.map(formatAddress);
  const file = await readClusterFile(flags.dir);
  if (file === null)
    throw new Error(
      `no cluster in ${flags.dir} (start one with \`selfman cluster up\`, or name nodes with --admin)`,
    );
  return file.nodes.map((n) => n.admin);
}

const shortId = (id: string) => (id.length > 10 ? `${id.slice(0, 10)}…` : id);

function render(survey: RingSurvey): string {
  const nameOf = new Map(survey.nodes.map((n) => [n.addr, n.name]));
  const name = (ref: { addr: string } | null) => (ref === null ? "-" : (nameOf.get(ref.addr) ?? ref.addr));
  const rows = survey.nodes.map((n) => ({
    node: n.name,
    id: shortId(n.id),
    addr: n.addr,
    pred: name(n.pred),
    succ: name(n.succ),
    member: n.member ? "yes" : "no",
    suspects: n.suspected.map(name).join(",") || "-",
  }));
  const verdict = survey.perfect ? "perfect ring" : `not a perfect ring: ${survey.problem}`;
  const lines = [
    rows.length > 0 ? grid(rows) : "  (no node answered)",
    "",
    `  ${verdict}; core ${survey.coreSize}, branches ${survey.branches}`,
  ];
  if (survey.staleSuccLists.length > 0)
    lines.push(`  successor lists not yet the next nodes: ${survey.staleSuccLists.join(", ")}`);
  if (survey.unreachable.length > 0) lines.push(`  not answering: ${survey.unreachable.join(", ")}`);
  for (const problem of survey.malformed) lines.push(`  ${problem}`);
  return lines.join("\n");
}

export function addRingCommands(program: Command): void {
  program
    .command("ring")
    .description("show the live ring: nodes in id order, pred/succ, suspects, branches, perfect or not")
    .option("--dir <dir>", "cluster directory", DEFAULT_DIR)
    .option(
      "--admin <host:port,...>",
      "admin ports to ask instead of the cluster directory's",
      commanderParser(parseAddressList("admin")),
    )
    .option("--json", 'one JSON line: {"perfect": true|false, "nodes": [...], ...}')
    .option("--watch", "refresh every second until interrupted")
    .action(async (flags: TargetFlags & { json?: boolean; watch?: boolean }) => {
      const admins = await adminAddresses(flags);
      for (;;) {
        const survey = await surveyRing(admins);
        if (flags.json === true) process.stdout.write(`${toJsonLine(survey)}\n`);
        else process.stdout.write(`${flags.watch === true ? "\x1b[2J\x1b[H" : ""}${render(survey)}\n`);
        if (flags.watch !== true) {
          if (!survey.perfect) process.exitCode = 1;
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    });
  program
    .command("lookup <key>")
    .description("which node is responsible for KEY (hashed as data keys are), and the hops it took")
    .option("--dir <dir>", "cluster directory", DEFAULT_DIR)
    .option(
      "--admin <host:port>",
      "the node to ask instead of the cluster's first",
      commanderParser(parseAddressList("admin")),
    )
    .option("--json", "print one JSON line")
    .action(async (key: string, flags: TargetFlags & { json?: boolean }) => {
      const admins = await adminAddresses(flags);
      let lastError: unknown = null;
      for (const admin of admins) {
        try {
          const answer = await fetchJson<{
            id: string;
            responsible: { id: string; addr: string };
            hops: number;
            latencyMs: number;
          }>(`http://${admin}/v1/lookup/${encodeURIComponent(key)}`, 15_000);
          process.stdout.write(
            flags.json === true
              ? `${toJsonLine({ key, ...answer, via: admin })}\n`
              : `  key ${JSON.stringify(key)} (id ${shortId(answer.id)}) → ${answer.responsible.addr} ` +
                  `in ${answer.hops} hop(s), ${answer.latencyMs} ms (asked ${admin})\n`,
          );
          return;
        } catch (error) {
          lastError = error;
        }
      }
      throw new Error(
        `no node could answer: ${lastError instanceof Error ? lastError.message : String(lastError)}`,
      );
    });
}
