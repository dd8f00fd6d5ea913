import type { Logger } from '../logging/logger';
import type { Clock } from '../tickets/clock';
import type { EventDoc, HandoffCollections } from './handoffModels';
import type { HandoffEvent, HandoffListener } from './types';

/** An event as published: everything but the seq and time, which the bus assigns. */
export type NewHandoffEvent = HandoffEvent extends infer E
  ? E extends HandoffEvent
    ? Omit<E, 'seq' | 'at'>
    : never
  : never;

export interface HandoffEventBusOptions {
  collections: Pick<HandoffCollections, 'events' | 'counters'>;
  clock: Clock;
  logger: Logger;
  /** How often to look for other instances' events. */
  pollMs: number;
  /** How long a hole in the sequence (a writer between its counter and its insert) is waited for. */
  gapWaitMs?: number;
  /** How long events are kept (seconds). */
  retentionSeconds?: number;
}

const COUNTER_ID = 'events';
/** Seqs asked for in one query, and the most windows one poll reads before yielding. */
const POLL_WINDOW = 256;
const MAX_WINDOWS_PER_POLL = 8;

/**
 * The handoff's bus across instances: events are inserted into `handoff_events` with a monotonic
 * seq (a counter document), and every instance polls for `seq > last`. This works on the embedded
 * store and on any MongoDB (no change streams needed). The publishing instance hands its own events
 * to its listeners at once; others see them on their next poll. Listeners see each seq once.
 */
export class HandoffEventBus {
  private readonly listeners = new Map<HandoffListener, { ownEvents: boolean }>();
  /** Every seq up to here has been handed to the listeners (or given up on). */
  private watermark = 0;
  /** Seqs above the watermark already handed out. */
  private readonly seen = new Set<number>();
  /** When a hole above the watermark was first noticed. */
  private gapSince: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private started = false;

  constructor(private readonly options: HandoffEventBusOptions) {}

  async init(): Promise<void> {
    const { events } = this.options.collections;
    await events.createIndex({ seq: 1 }, { unique: true });
    await events.createIndex({ at: 1 }, { expireAfterSeconds: this.options.retentionSeconds ?? 24 * 3600 });
    const counter = await this.options.collections.counters.findOne({ _id: COUNTER_ID });
    this.watermark = counter?.seq ?? 0;
  }

  /**
   * `ownEvents: false`: only other instances' events (those this instance publishes are handled by
   * their publisher). Otherwise every event, this instance's as soon as it has its seq.
   */
  subscribe(listener: HandoffListener, options: { ownEvents?: boolean } = {}): () => void {
    this.listeners.set(listener, { ownEvents: options.ownEvents ?? true });
    return () => {
      this.listeners.delete(listener);
    };
  }

  async publish(event: NewHandoffEvent): Promise<HandoffEvent> {
    const { counters, events } = this.options.collections;
    const counter = await counters.findOneAndUpdate(
      { _id: COUNTER_ID },
      { $inc: { seq: 1 } },
      { upsert: true, returnDocument: 'after' },
    );
    if (!counter) throw new Error('handoff event counter: no document after upsert');
    const at = this.options.clock.now();
    const full = { ...event, seq: counter.seq, at };
    const {
      type,
      conversationId,
      handoffId,
      seq,
      at: _at,
      ...rest
    } = full as HandoffEvent & Record<string, unknown>;
    // This instance's listeners (its agent consoles) hear it now; other instances once it is stored.
    this.hand(full, true);
    await events.insertOne({ seq, type, conversationId, handoffId, at, body: JSON.stringify(rest) });
    return full;
  }

  /** Starts polling (call once the store is open). */
  start(): void {
    if (this.started) return;
    this.started = true;
    const tick = (): void => {
      const startedAt = Date.now();
      this.polling = this.poll()
        .catch((error: unknown) => this.options.logger.warn({ err: error }, 'handoff event poll failed'))
        .finally(() => {
          // Every pollMs from the start of the last look, not pollMs after it answered: a slow
          // store does not stretch the wait for other instances' events.
          const wait = Math.max(0, this.options.pollMs - (Date.now() - startedAt));
          if (this.started) this.timer = setTimeout(tick, wait);
        });
    };
    this.timer = setTimeout(tick, this.options.pollMs);
  }

  async stop(): Promise<void> {
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    await this.polling;
  }

  /** One look for new events (tests call it directly instead of waiting for the timer). */
  async poll(): Promise<void> {
    for (let window = 0; window < MAX_WINDOWS_PER_POLL; window += 1) {
      const from = this.watermark;
      // The next seqs by value, not `seq > watermark`: an equality lookup on the unique seq index
      // on any store (the embedded one scans the whole collection for a range).
      const wanted = Array.from({ length: POLL_WINDOW }, (_, index) => from + 1 + index);
      const docs = await this.options.collections.events
        .find({ seq: { $in: wanted } })
        .sort({ seq: 1 })
        .toArray();
      for (const doc of docs) {
        if (!this.seen.has(doc.seq)) this.hand(eventOf(doc));
      }
      const highest = docs.length > 0 ? docs[docs.length - 1].seq : from;
      this.advance(highest);
      // Caught up, or stuck behind a hole still waited for: the next look is the timer's.
      if (highest < from + POLL_WINDOW || this.watermark === from) return;
    }
  }

  private hand(event: HandoffEvent, own = false): void {
    if (event.seq <= this.watermark || this.seen.has(event.seq)) return;
    this.seen.add(event.seq);
    for (const [listener, { ownEvents }] of [...this.listeners]) {
      if (own && !ownEvents) continue;
      try {
        listener(event);
      } catch (error) {
        this.options.logger.warn({ err: error, type: event.type }, 'handoff listener failed');
      }
    }
  }

  /** Moves the watermark over every contiguous seq seen; a hole older than gapWaitMs is skipped. */
  private advance(highest: number): void {
    while (this.seen.has(this.watermark + 1)) {
      this.seen.delete(this.watermark + 1);
      this.watermark += 1;
    }
    if (this.seen.size === 0 && highest <= this.watermark) {
      this.gapSince = undefined;
      return;
    }
    const now = Date.now();
    this.gapSince ??= now;
    if (now - this.gapSince < (this.options.gapWaitMs ?? 2000)) return;
    // The writer of the missing seq died between its counter and its insert: skip the hole.
    this.watermark += 1;
    this.gapSince = undefined;
    this.advance(highest);
  }
}

function eventOf(doc: EventDoc): HandoffEvent {
  const body = JSON.parse(doc.body) as Record<string, unknown>;
  return revive({
    ...body,
    seq: doc.seq,
    type: doc.type,
    conversationId: doc.conversationId,
    handoffId: doc.handoffId,
    at: doc.at,
  }) as HandoffEvent;
}

const DATE_KEYS = new Set(['at', 'queuedAt', 'claimedAt', 'closedAt']);

/** Dates inside the JSON body come back as strings: make them Dates again. */
function revive(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(revive);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
      out[key] = DATE_KEYS.has(key) && typeof inner === 'string' ? new Date(inner) : revive(inner);
    }
    return out;
  }
  return value;
}
