// The Chord baseline plugged into the ring scenarios (see ring-protocol.ts), with its own constants
// echoed in params: the same succList and failure detector, stabilize every 1 s, a finger every 0.5 s.

import type { ChordMessage, ChordTimer } from "../overlay/chord/chord-messages.js";
import { type ChordConfig, ChordNode, DEFAULT_CHORD } from "../overlay/chord/chord-node.js";
import { overlayParams } from "../overlay/config.js";
import type { RingProtocol } from "./ring-protocol.js";

export function chordRing(overrides: Partial<ChordConfig> = {}): RingProtocol<ChordMessage, ChordTimer> {
  const config: ChordConfig = { ...DEFAULT_CHORD, ...overrides };
  return {
    name: "chord",
    fingerArity: 2,
    succListSize: config.succListSize,
    constants: {
      protocol: "chord",
      ...overlayParams(config),
      chordStabilizeMs: config.stabilizeMs,
      chordFixFingerMs: config.fixFingerMs,
    },
    create: (env, ids, accessPoint) => new ChordNode(env, config, ids, accessPoint),
    isFailureDetectorMessage: (type) => type === "ping" || type === "pong",
  };
}
