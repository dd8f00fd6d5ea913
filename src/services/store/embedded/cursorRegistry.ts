import { randomInt } from 'node:crypto';
import type { Document } from 'bson';
import type { StoreQuery as Query } from './storeOperators';
import type { Collection } from './collection';
import { encodeBatch, type EncodedBatch } from './cursorReply';
import { MAX_BSON_OBJECT_SIZE } from './wireProtocol';

/** A reply carries at most this much document data, like MongoDB's 16 MB batches. */
const MAX_BATCH_BYTES = MAX_BSON_OBJECT_SIZE - 16 * 1024;
export const DEFAULT_FIRST_BATCH = 101;

/** Follows a (capped) collection after its results run out: tailable / awaitData cursors. */
export interface TailState {
  collection: Collection;
  query: Query;
  lastSequence: number;
  awaitData: boolean;
  /** Projection applied to newly found documents. */
  project: (docs: Document[]) => Document[];
}

export class ServerCursor {
  private position = 0;
  lastUsed: number;

  constructor(
    readonly id: bigint,
    readonly namespace: string,
    private docs: Document[],
    readonly tail: TailState | undefined,
    now: number,
    start = 0,
  ) {
    this.lastUsed = now;
    this.position = start;
  }

  get exhausted(): boolean {
    return this.position >= this.docs.length && !this.tail;
  }

  get buffered(): number {
    return this.docs.length - this.position;
  }

  /** Pulls documents inserted since the last look into the buffer (tailable cursors). */
  refill(): void {
    const tail = this.tail;
    if (!tail || this.position < this.docs.length) return;
    const fresh = tail.collection.insertedAfter(tail.lastSequence).filter((doc) => tail.query.test(doc));
    tail.lastSequence = tail.collection.lastSequence;
    this.docs = tail.project(fresh);
    this.position = 0;
  }

  /** Serialises up to `limit` documents, never past the reply size limit (but at least one). */
  nextBatch(limit: number): EncodedBatch {
    const { batch, next } = serializeBatch(this.docs, this.position, limit);
    this.position = next;
    return batch;
  }
}

/** Serialises documents from `start`, up to `limit` of them and never past the reply size limit (but at least one). */
export function serializeBatch(
  docs: readonly Document[],
  start: number,
  limit: number,
): { batch: EncodedBatch; next: number } {
  return encodeBatch(docs, start, limit, MAX_BATCH_BYTES);
}

/**
 * Open cursors by id, across connections (as in MongoDB, any connection may getMore). Cursors idle
 * longer than the timeout are reaped so abandoned ones don't pin memory.
 */
export class CursorRegistry {
  private readonly cursors = new Map<bigint, ServerCursor>();
  private readonly timer: NodeJS.Timeout;
  private readonly prefix = BigInt(randomInt(1, 2 ** 31));
  private counter = 0;

  constructor(
    private readonly timeoutMs: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.timer = setInterval(() => this.reap(), Math.min(timeoutMs, 60_000));
    this.timer.unref();
  }

  get size(): number {
    return this.cursors.size;
  }

  /** Registers a cursor over `docs`, the first `start` of which were already sent. */
  open(namespace: string, docs: Document[], tail?: TailState, start = 0): ServerCursor {
    // Ids: a random 31-bit prefix per registry and a counter, so they are positive, unique and not guessable across restarts.
    this.counter = (this.counter + 1) & 0xffffffff;
    const id = (this.prefix << 32n) | BigInt(this.counter);
    const cursor = new ServerCursor(id, namespace, docs, tail, this.clock(), start);
    this.cursors.set(id, cursor);
    return cursor;
  }

  get(id: bigint): ServerCursor | undefined {
    const cursor = this.cursors.get(id);
    if (cursor) cursor.lastUsed = this.clock();
    return cursor;
  }

  kill(id: bigint): boolean {
    return this.cursors.delete(id);
  }

  reap(): void {
    const deadline = this.clock() - this.timeoutMs;
    for (const [id, cursor] of this.cursors) if (cursor.lastUsed < deadline) this.cursors.delete(id);
  }

  close(): void {
    clearInterval(this.timer);
    this.cursors.clear();
  }
}
