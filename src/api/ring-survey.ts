// A survey of a live ring (what `selfman ring`, /v1/ring and the dashboard show): the status of every
// node each process hosts, read over its API (/v1/nodes), and the same global checks the simulator runs — is it a perfect ring over the
// nodes that answer, what is the core ring, which branches hang off it (docs/metrics.md §3). Each answer is
// parsed as a NodeStatus (runtime/node-status.ts); a node that answers something else is reported as
// malformed, with the field that was wrong, not read.
import type { NodeRef } from "../core/node-ref.js";
import { DEFAULT_OVERLAY } from "../overlay/config.js";
import { perfectRingProblem, ringShape, staleSuccLists } from "../overlay/ring-shape.js";
import type { RingView } from "../overlay/ring-view.js";
import { fetchNodeStatuses } from "../runtime/admin-client.js";
import { MalformedStatusError, type NodeStatus, type RefStatus } from "../runtime/node-status.js";

export interface SurveyedNode extends NodeStatus {
  /** The admin address it was read from. */
  readonly admin: string;
}

export interface RingSurvey {
  /** The nodes that answered form one cycle in id order, each pred the previous (docs/metrics.md §3). */
  readonly perfect: boolean;
  /** Why not, if not. */
  readonly problem: string | null;
  readonly coreSize: number;
  readonly branches: number;
  readonly branchSizeMean: number | null;
  /**
   * In a perfect ring, the nodes (names) whose successor list is not the next members in ring order: the list
   * crash recovery walks (docs/relaxed-ring.md §5.5). Right after a merge or a crash it takes a few seconds.
   */
  readonly staleSuccLists: readonly string[];
  /** Admin addresses that did not answer (down, or not started). */
  readonly unreachable: readonly string[];
  /** Nodes whose /status was not a NodeStatus: what was wrong, one line each (they are not surveyed). */
  readonly malformed: readonly string[];
  /** The nodes that answered, in ring order (by id). */
  readonly nodes: readonly SurveyedNode[];
}

function toRef(json: RefStatus): NodeRef {
  return { id: BigInt(json.id), addr: json.addr, nonce: json.nonce };
}

function toView(status: NodeStatus): RingView {
  return {
    self: toRef(status),
    pred: status.pred === null ? null : toRef(status.pred),
    succ: status.succ === null ? null : toRef(status.succ),
    succList: status.succList.map(toRef),
    isMember: status.member,
    fingerRefs: () => status.fingers.map(toRef),
    routingTableSize: () => status.routingTableSize,
    suspected: () => status.suspected.map(toRef),
  };
}

/** Reads every admin address (in parallel) and judges the ring they make. */
/** `authorization`: the header to send (an API with tokens); else SELFMAN_TOKEN's, if set. */
export async function surveyRing(
  admins: readonly string[],
  timeoutMs = 2000,
  authorization?: string,
): Promise<RingSurvey> {
  const unreachable = new Set<string>();
  const malformed = new Map<string, string>();
  const answers = await Promise.all(
    admins.map((admin) =>
      fetchNodeStatuses(admin, timeoutMs, authorization).then(
        (statuses): SurveyedNode[] => statuses.map((status) => ({ ...status, admin })),
        (error: unknown) => {
          if (error instanceof MalformedStatusError) malformed.set(admin, error.message);
          else unreachable.add(admin);
          return [];
        },
      ),
    ),
  );
  const nodes = answers.flat().sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  const views = nodes.map(toView);
  const problem = nodes.length === 0 ? "no node answered" : perfectRingProblem(views, true);
  const shape = ringShape(views.filter((v) => v.isMember));
  const stale = problem === null ? staleSuccLists(views, DEFAULT_OVERLAY.succListSize) : [];
  const nameOf = new Map(nodes.map((n) => [n.addr, n.name]));
  return {
    perfect: problem === null,
    problem,
    staleSuccLists: stale.map((v) => nameOf.get(v.self.addr) ?? v.self.addr),
    coreSize: shape.coreSize,
    branches: shape.branches,
    branchSizeMean: shape.branchSizeMean,
    unreachable: admins.filter((a) => unreachable.has(a)),
    malformed: admins.flatMap((a) => malformed.get(a) ?? []),
    nodes,
  };
}
