// The client of a selfman cluster (docs/client.md §2): every /v1 operation as a typed method over one
// HttpTransport, which picks the node and fails over. Which calls are marked idempotent decides what is
// resent after a failure (docs/client.md §4): only get, put, delete, reads, lookups; keep that list honest.
import type { Json } from "../wire/lossless-json.js";
import { backoffMs, delay } from "./backoff.js";
import { toWire, type Value } from "./client-value.js";
import {
  type LookupResult,
  lookupResultOf,
  type NodeStatus,
  nodeStatusOf,
  type RingSurvey,
  ringSurveyOf,
} from "./cluster-info.js";
import { type EventsOptions, eventStream } from "./event-stream.js";
import type { HttpTransport } from "./http-transport.js";
import {
  type DeleteResult,
  deleteResultOf,
  type GetResult,
  getResultOf,
  type PutResult,
  putResultOf,
  type UpdateResult,
  updateResultOf,
} from "./kv-results.js";
import { SelfmanError } from "./selfman-error.js";
import type { SelfmanEvent } from "./selfman-event.js";
import { Transaction } from "./transaction.js";
import { areIdempotent, opToWire, type TxOp } from "./tx-op.js";
import { type TxOutcome, txStepOf } from "./tx-outcome.js";

export interface TransactionOptions {
  /** How many times the function runs at most when commits conflict (default 5). */
  readonly attempts?: number;
}

export interface RequestListOptions {
  /** false: run the ops in a transaction that is not committed, only to see their results (default true). */
  readonly commit?: boolean;
}

export const DEFAULT_TX_ATTEMPTS = 5;

export class Client {
  readonly #transport: HttpTransport;

  constructor(transport: HttpTransport) {
    this.#transport = transport;
  }

  /** The node URLs this client knows, and the one it uses now. */
  get nodes(): { readonly urls: readonly string[]; readonly current: string } {
    const pool = this.#transport.pool;
    return { urls: pool.urls, current: pool.url(pool.current) };
  }

  async get(key: string): Promise<GetResult> {
    return getResultOf(await this.#kv("GET", key, undefined, true));
  }

  /** Writes the value. Resent after a connection failure (the same value, so at most an extra version). */
  async put(key: string, value: Value): Promise<PutResult> {
    return putResultOf(await this.#kv("PUT", key, { value: toWire(value) }, true));
  }

  async delete(key: string): Promise<DeleteResult> {
    return deleteResultOf(await this.#kv("DELETE", key, undefined, true));
  }

  /** Writes `value` if the key holds `expected` (null: if it holds nothing). */
  async cas(key: string, expected: Value, value: Value): Promise<UpdateResult> {
    return this.#update(key, { op: "cas", expected: toWire(expected), value: toWire(value) });
  }

  /** Adds `by` (default 1) to the number the key holds; an absent key counts as 0. */
  async incr(key: string, by: number | bigint = 1): Promise<UpdateResult> {
    return this.#update(key, { op: "incr", by: toWire(by) });
  }

  /** Appends `value` to the list the key holds (an absent key is an empty list). */
  async append(key: string, value: Value): Promise<UpdateResult> {
    return this.#update(key, { op: "append", value: toWire(value) });
  }

  /** Removes `value` from the list the key holds. */
  async remove(key: string, value: Value): Promise<UpdateResult> {
    return this.#update(key, { op: "remove", value: toWire(value) });
  }

  /**
   * Runs the ops in one transaction, which the server retries on conflict itself. With `commit: false`
   * nothing is committed (so it is resent after any failure): the results say what the ops would do.
   */
  async requestList(ops: readonly TxOp[], options: RequestListOptions = {}): Promise<TxOutcome> {
    const commit = options.commit ?? true;
    const body = { ops: ops.map(opToWire), commit };
    const json = await this.#transport.request({
      method: "POST",
      path: "/v1/tx",
      body,
      idempotent: !commit || areIdempotent(ops),
    });
    const { committed, attempts, results } = txStepOf(json);
    return { committed, attempts, results };
  }

  /**
   * Runs `fn` in a transaction and commits what it read and wrote. A conflict reruns it (from scratch,
   * with a fresh Transaction) after a random back-off, at most `attempts` times in all; then it throws a
   * SelfmanError with code `conflict`. Any other error ends it at once, with nothing committed.
   */
  async transaction<T>(fn: (tx: Transaction) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const attempts = options.attempts ?? DEFAULT_TX_ATTEMPTS;
    const settings = this.#transport.settings;
    for (let attempt = 1; ; attempt++) {
      try {
        const tx = new Transaction(this.#transport);
        const result = await fn(tx);
        await tx.commit();
        return result;
      } catch (error) {
        if (!(error instanceof SelfmanError) || error.code !== "conflict") throw error;
        if (attempt >= attempts) throw gaveUp(error, attempts);
        await delay(
          backoffMs(attempt, settings.baseMs, settings.maxMs, this.#transport.random),
          this.#transport.closed,
        );
      }
    }
  }

  async lookup(key: string): Promise<LookupResult> {
    const json = await this.#transport.request({
      method: "GET",
      path: `/v1/lookup/${encodeURIComponent(key)}`,
      idempotent: true,
    });
    return lookupResultOf(json);
  }

  async ring(): Promise<RingSurvey> {
    return ringSurveyOf(await this.#transport.request({ method: "GET", path: "/v1/ring", idempotent: true }));
  }

  /** The status of the node this client uses now. */
  async status(): Promise<NodeStatus> {
    return nodeStatusOf(
      await this.#transport.request({ method: "GET", path: "/v1/status", idempotent: true }),
    );
  }

  /** The cluster's events, for as long as the caller iterates; reconnects and fails over by itself. */
  events(options: EventsOptions = {}): AsyncIterable<SelfmanEvent> {
    return eventStream(this.#transport, options);
  }

  /** Ends every call and event stream in flight (they fail with code `closed`) and refuses new ones. */
  close(): void {
    this.#transport.close();
  }

  #kv(
    method: "GET" | "PUT" | "DELETE",
    key: string,
    body: Json | undefined,
    idempotent: boolean,
  ): Promise<Json> {
    const path = `/v1/kv/${encodeURIComponent(key)}`;
    return this.#transport.request({ method, path, idempotent, ...(body === undefined ? {} : { body }) });
  }

  async #update(key: string, body: Json): Promise<UpdateResult> {
    const path = `/v1/kv/${encodeURIComponent(key)}`;
    return updateResultOf(await this.#transport.request({ method: "POST", path, body, idempotent: false }));
  }
}

function gaveUp(last: SelfmanError, attempts: number): SelfmanError {
  return new SelfmanError({
    code: "conflict",
    message: `the transaction conflicted ${attempts} time(s) and was given up: ${last.message}`,
    status: last.status,
    keys: last.keys,
    body: last.body,
    url: last.url,
    cause: last,
  });
}
