// What a node's /status answers (docs/live-runtime.md §4).
import type { refToJson } from "../core/node-ref.js";

type RefJson = ReturnType<typeof refToJson>;

/** What a node's /status says (the fields the survey reads). */
export interface NodeStatus {
  readonly name: string;
  readonly id: string;
  readonly addr: string;
  readonly nonce: number;
  readonly member: boolean;
  readonly pred: RefJson | null;
  readonly succ: RefJson | null;
  readonly succList: readonly RefJson[];
  readonly predList: readonly RefJson[];
  readonly fingers: readonly RefJson[];
  readonly suspected: readonly RefJson[];
  readonly routingTableSize: number;
  readonly uptimeSec: number;
}
