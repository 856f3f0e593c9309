// The simulator's pending events (docs/simulator.md §1) as packed records, not objects: a record's
// numbers sit in one 64-byte stride of a Float64Array, its two references in a plain array, and freed
// records are reused last-in first-out, so an event allocates nothing and its record is warm in cache.
// Must not break: a record is freed only once its event has been taken off the queue.
import type { NodeRef } from "../../core/node-ref.js";

/** What a pending event is. */
export const EventKind = { deliver: 0, timer: 1, action: 2 } as const;
export type EventKind = (typeof EventKind)[keyof typeof EventKind];

const KIND = 0;
/** Destination node (delivery) or owner (timer). */
const NODE = 1;
/** The destination's incarnation when sent, or the owner's when the timer was set. */
const INCARNATION = 2;
/** Sender index (delivery) or timer id (timer). */
const FROM = 3;
/** The sender's incarnation when it sent (a message dies with the incarnation that sent it). */
const FROM_INCARNATION = 4;
const SENT_AT = 5;
const CANCELLED = 6;
const STRIDE = 8;

/** The message, the timer tag or the scenario action; and the sender's ref (deliveries). */
const PAYLOAD = 0;
const FROM_REF = 1;
const REF_STRIDE = 2;

export class EventRecords {
  private numbers = new Float64Array(STRIDE * 1024);
  private readonly refs: unknown[] = [];
  private free = new Int32Array(1024);
  private freeCount = 0;
  private capacity = 0;

  /** A fresh record: every number 0, no payload. */
  alloc(kind: EventKind, payload: unknown): number {
    const handle = this.freeCount > 0 ? (this.free[--this.freeCount] as number) : this.extend();
    const at = STRIDE * handle;
    const numbers = this.numbers;
    numbers[at + KIND] = kind;
    numbers[at + NODE] = 0;
    numbers[at + INCARNATION] = 0;
    numbers[at + FROM] = 0;
    numbers[at + FROM_INCARNATION] = 0;
    numbers[at + SENT_AT] = 0;
    numbers[at + CANCELLED] = 0;
    this.refs[REF_STRIDE * handle + PAYLOAD] = payload;
    return handle;
  }

  /** Frees a record; its references are dropped so the GC may collect them. */
  release(handle: number): void {
    this.refs[REF_STRIDE * handle + PAYLOAD] = undefined;
    this.refs[REF_STRIDE * handle + FROM_REF] = undefined;
    if (this.freeCount === this.free.length) {
      const grown = new Int32Array(this.free.length * 2);
      grown.set(this.free);
      this.free = grown;
    }
    this.free[this.freeCount++] = handle;
  }

  kind(handle: number): EventKind {
    return this.numbers[STRIDE * handle + KIND] as EventKind;
  }

  node(handle: number): number {
    return this.numbers[STRIDE * handle + NODE] as number;
  }

  incarnation(handle: number): number {
    return this.numbers[STRIDE * handle + INCARNATION] as number;
  }

  from(handle: number): number {
    return this.numbers[STRIDE * handle + FROM] as number;
  }

  fromIncarnation(handle: number): number {
    return this.numbers[STRIDE * handle + FROM_INCARNATION] as number;
  }

  sentAt(handle: number): number {
    return this.numbers[STRIDE * handle + SENT_AT] as number;
  }

  cancelled(handle: number): boolean {
    return this.numbers[STRIDE * handle + CANCELLED] === 1;
  }

  payload(handle: number): unknown {
    return this.refs[REF_STRIDE * handle + PAYLOAD];
  }

  fromRef(handle: number): NodeRef {
    return this.refs[REF_STRIDE * handle + FROM_REF] as NodeRef;
  }

  /** A message from `from` (incarnation `fromIncarnation`, ref `fromRef`) to `node`'s `incarnation`. */
  setDelivery(
    handle: number,
    node: number,
    incarnation: number,
    from: number,
    fromIncarnation: number,
    fromRef: NodeRef,
    sentAt: number,
  ): void {
    const at = STRIDE * handle;
    const numbers = this.numbers;
    numbers[at + NODE] = node;
    numbers[at + INCARNATION] = incarnation;
    numbers[at + FROM] = from;
    numbers[at + FROM_INCARNATION] = fromIncarnation;
    numbers[at + SENT_AT] = sentAt;
    this.refs[REF_STRIDE * handle + FROM_REF] = fromRef;
  }

  /** A timer of `node`'s `incarnation`, with its id. */
  setTimer(handle: number, node: number, incarnation: number, timerId: number): void {
    const at = STRIDE * handle;
    this.numbers[at + NODE] = node;
    this.numbers[at + INCARNATION] = incarnation;
    this.numbers[at + FROM] = timerId;
  }

  cancel(handle: number): void {
    this.numbers[STRIDE * handle + CANCELLED] = 1;
  }

  /** A new record at the end, growing the arrays when full. */
  private extend(): number {
    const handle = this.capacity++;
    if (STRIDE * this.capacity > this.numbers.length) {
      const grown = new Float64Array(this.numbers.length * 2);
      grown.set(this.numbers);
      this.numbers = grown;
    }
    this.refs.push(undefined, undefined);
    return handle;
  }
}
