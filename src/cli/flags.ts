// Flag parsers shared by the live commands (node, cluster, ring, lookup, start): each validates and
// throws with what was expected, and commanderParser turns that into commander's usage error, so bad
// input never crashes a node: a bad flag prints one line saying what was expected, then where the
// usage is (`see selfman <command> --help`, main.ts), and exits 1.
import { type Command, InvalidArgumentError } from "commander";
import { IdSpace, type RingId } from "../core/id-space.js";
import { NODE_NAME } from "../runtime/cluster-certificates.js";
import { DEFAULT_DURABILITY, parseDurability } from "../runtime/durability.js";

/** Adapts a throwing parser to commander's error type, so a bad flag prints its error and exits 1. */
export function commanderParser<V>(parse: (raw: string) => V): (raw: string) => V {
  return (raw) => {
    try {
      return parse(raw);
    } catch (error) {
      throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
    }
  };
}

/** `--durability sync|process` (docs/architecture.md §5), the same on every command that starts nodes. */
export function durabilityOption(command: Command): Command {
  return command.option(
    "--durability <mode>",
    "sync: every write is on disk (fsync, one per batch) before a message reporting it leaves; process: synced in the background, so a power cut may lose the last writes",
    commanderParser(parseDurability),
    DEFAULT_DURABILITY,
  );
}

export interface Address {
  readonly host: string;
  readonly port: number;
}

/** HOST:PORT with a port in [1, 65535]; IPv6 hosts in brackets. */
export function parseAddress(flag: string): (raw: string) => Address {
  return (raw) => {
    const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(raw.trim());
    const port = match === null ? Number.NaN : Number(match[2]);
    if (match === null || !(port >= 1 && port <= 65535))
      throw new RangeError(`--${flag}: expected HOST:PORT (port 1-65535), got ${JSON.stringify(raw)}`);
    return { host: (match[1] as string).replace(/^\[(.*)\]$/, "$1"), port };
  };
}

export function formatAddress(address: Address): string {
  return address.host.includes(":") ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/** A ring id of the live runtime's id space: decimal or 0x-hex, below 2^128. */
export function parseRingId(raw: string): RingId {
  try {
    return new IdSpace().parse(raw.trim());
  } catch (error) {
    throw new RangeError(`--id: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** A comma-separated list of HOST:PORT. */
export function parseAddressList(flag: string): (raw: string) => Address[] {
  const one = parseAddress(flag);
  return (raw) => raw.split(",").map((part) => one(part));
}

export function parseNodeName(raw: string): string {
  if (!NODE_NAME.test(raw))
    throw new RangeError(`--name: expected a name like node-1 (${NODE_NAME}), got ${JSON.stringify(raw)}`);
  return raw;
}
