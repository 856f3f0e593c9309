// Bearer tokens (docs/api.md §6): `smt_<id>_<secret>`, shown once when created and kept only as a
// SHA-256 hash (the secret is 32 random bytes, so a fast hash is enough). Records live in selfman under
// reserved keys; the tokens that bootstrap a cluster (its first admin) live hashed in an auth file every
// node reads. Scopes nest: admin may write, write may read.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import type { LiveNode } from "../runtime/live-node.js";
import { ApiError } from "./api-error.js";
import { SYSTEM_PREFIX } from "./system-keys.js";

export const SCOPES = ["read", "write", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

export interface TokenRecord {
  readonly id: string;
  /** SHA-256 of the whole token, hex. */
  readonly hash: string;
  readonly scopes: readonly Scope[];
  readonly name: string;
  readonly createdAt: string;
}

const TOKEN = /^smt_([0-9a-f]{16})_[A-Za-z0-9_-]{43}$/;
/** How long a record read from the store is trusted (a revoked token works this much longer at most). */
const CACHE_MS = 5_000;

export const tokenKey = (id: string) => `${SYSTEM_PREFIX}tokens/${id}`;

/** Whether `scopes` allow `needed` (admin ⊇ write ⊇ read). */
export function grants(scopes: readonly Scope[], needed: Scope): boolean {
  const rank = (s: Scope) => SCOPES.indexOf(s);
  return scopes.some((s) => rank(s) >= rank(needed));
}

const hashOf = (token: string) => createHash("sha256").update(token).digest("hex");

/** A fresh token and the record that verifies it. */
export function newToken(scopes: readonly Scope[], name: string): { token: string; record: TokenRecord } {
  const id = randomBytes(8).toString("hex");
  const token = `smt_${id}_${randomBytes(32).toString("base64url")}`;
  return { token, record: { id, hash: hashOf(token), scopes, name, createdAt: new Date().toISOString() } };
}

export function parseScopes(text: string): Scope[] {
  const scopes = text.split(",").map((s) => s.trim());
  for (const s of scopes)
    if (!(SCOPES as readonly string[]).includes(s))
      throw new Error(`scope ${JSON.stringify(s)}: expected ${SCOPES.join(", ")}`);
  return scopes as Scope[];
}

function isRecord(v: unknown): v is TokenRecord {
  if (typeof v !== "object" || v === null) return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r.id === "string" &&
    typeof r.hash === "string" &&
    typeof r.name === "string" &&
    Array.isArray(r.scopes) &&
    r.scopes.every((s) => (SCOPES as readonly unknown[]).includes(s))
  );
}

/** The records of an auth file (a JSON array); a missing or malformed file is an error that says which. */
export function readAuthFile(file: string): TokenRecord[] {
  const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
  if (!Array.isArray(parsed) || !parsed.every(isRecord))
    throw new Error(`${file}: not a list of token records`);
  return parsed;
}

export function appendToAuthFile(file: string, record: TokenRecord): void {
  let records: TokenRecord[] = [];
  try {
    records = readAuthFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  writeFileSync(file, `${JSON.stringify([...records, record], null, 2)}\n`, { mode: 0o600 });
}

/** Checks tokens against the auth file's records and those stored in selfman (cached briefly). */
export class TokenVerifier {
  private readonly bootstrap: ReadonlyMap<string, TokenRecord>;
  private readonly cache = new Map<string, { record: TokenRecord | null; atMs: number }>();

  constructor(bootstrap: readonly TokenRecord[]) {
    this.bootstrap = new Map(bootstrap.map((r) => [r.id, r]));
  }

  /** The scopes `token` carries, or null if it is not a valid token of this cluster. */
  async verify(token: string, node: LiveNode | null): Promise<readonly Scope[] | null> {
    const id = TOKEN.exec(token)?.[1];
    if (id === undefined) return null;
    const record = this.bootstrap.get(id) ?? (await this.stored(id, node));
    if (record === null) return null;
    const given = Buffer.from(hashOf(token), "hex");
    const expected = Buffer.from(record.hash, "hex");
    return given.length === expected.length && timingSafeEqual(given, expected) ? record.scopes : null;
  }

  /** Forgets a cached record (after a revoke on this node). */
  forget(id: string): void {
    this.cache.delete(id);
  }

  private async stored(id: string, node: LiveNode | null): Promise<TokenRecord | null> {
    const cached = this.cache.get(id);
    if (cached !== undefined && Date.now() - cached.atMs < CACHE_MS) return cached.record;
    if (node === null) throw new ApiError("unavailable", "no node of this process can check the token now");
    const result = await node.kv(tokenKey(id), { kind: "get" });
    // a store that cannot answer says nothing about the token: 503, not 401
    if (!result.ok)
      throw new ApiError(
        result.code === "timeout" ? "timeout" : "unavailable",
        `the token could not be checked: ${result.message}`,
      );
    const record = result.found && isRecord(result.value) ? result.value : null;
    this.cache.set(id, { record, atMs: Date.now() });
    if (this.cache.size > 10_000) this.cache.clear();
    return record;
  }
}
