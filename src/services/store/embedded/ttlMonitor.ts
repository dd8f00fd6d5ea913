import type { Logger } from '../../logging/logger';
import { asNumber, valuesAtPath } from './bsonValues';
import { idKeyOf } from './collection';
import type { StorageEngine } from './storageEngine';

/**
 * Deletes documents whose TTL index date has expired, like mongod's TTL monitor (every 60 s by
 * default): single-field indexes with `expireAfterSeconds`, on Date values (the earliest of an array).
 */
export class TtlMonitor {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly engine: StorageEngine,
    private readonly logger: Logger,
    private readonly intervalMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.runOnce(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One pass over every TTL index; returns how many documents it deleted. */
  runOnce(): number {
    let removed = 0;
    const now = this.clock();
    for (const db of this.engine.databaseNames()) {
      for (const collection of this.engine.collections(db)) {
        for (const spec of collection.indexSpecs()) {
          const seconds = asNumber(spec.expireAfterSeconds);
          const fields = Object.keys(spec.key);
          if (seconds === undefined || fields.length !== 1) continue;
          const cutoff = now - seconds * 1000;
          for (const doc of collection.all()) {
            const dates = valuesAtPath(doc, fields[0]).filter(
              (value): value is Date => value instanceof Date,
            );
            if (dates.length === 0) continue;
            const earliest = Math.min(...dates.map((date) => date.getTime()));
            if (earliest <= cutoff && this.engine.remove(collection, idKeyOf(doc))) removed += 1;
          }
        }
      }
    }
    if (removed > 0) {
      this.logger.debug({ removed }, 'TTL monitor removed expired documents');
      this.engine
        .commit()
        .catch((error: unknown) => this.logger.error({ err: error }, 'TTL deletions not journaled'));
    }
    return removed;
  }
}
