/** What the store holds for one key: the state's JSON text (without the eTag) and its eTag. */
export interface CachedState {
  readonly json: string;
  readonly eTag: string;
}

interface WritesInFlight {
  count: number;
  /** Another write to the key overlapped: the store's final order is unknown, so none is remembered. */
  overlapped: boolean;
}

/**
 * The states this process wrote last, so the next turn of a conversation needs no read. Only sound
 * while this process is the only writer of those keys (see MongoStorage): an entry is exactly what
 * the store holds, because it is filled only after a write succeeded that no other write to the
 * same key overlapped, and dropped when a write starts, fails, conflicts or the key is deleted.
 *
 * Bounded by the size of the JSON text it keeps; the least recently used entries go first.
 */
export class StateCache {
  private readonly entries = new Map<string, CachedState>();
  private readonly inFlight = new Map<string, WritesInFlight>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** The entry for `key`, marked as most recently used. */
  get(key: string): CachedState | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  /** A write to `key` starts: until it ends, reads go to the store. */
  writeStarted(key: string): void {
    this.forget(key);
    const current = this.inFlight.get(key);
    if (current) {
      current.count += 1;
      current.overlapped = true;
    } else {
      this.inFlight.set(key, { count: 1, overlapped: false });
    }
  }

  /** A write to `key` ended; `written` is what the store now holds if it succeeded. */
  writeEnded(key: string, written: CachedState | undefined): void {
    const current = this.inFlight.get(key);
    if (!current) return;
    current.count -= 1;
    if (current.count === 0) this.inFlight.delete(key);
    if (written && current.count === 0 && !current.overlapped) this.remember(key, written);
    else this.forget(key);
  }

  forget(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytes -= sizeOf(key, entry);
  }

  private remember(key: string, entry: CachedState): void {
    const size = sizeOf(key, entry);
    if (size > this.maxBytes) return;
    this.entries.set(key, entry);
    this.bytes += size;
    for (const [oldestKey, oldest] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldestKey);
      this.bytes -= sizeOf(oldestKey, oldest);
    }
  }
}

/** Roughly what an entry costs in memory: JSON text is mostly one byte per character in V8. */
function sizeOf(key: string, entry: CachedState): number {
  return key.length + entry.json.length + entry.eTag.length + 64;
}
