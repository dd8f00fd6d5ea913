import type { mongo } from 'mongoose';
import { z } from 'zod';

/** One state write: a filter on _id (and the expected eTag), the new fields, upserted. */
export interface StateWrite {
  key: string;
  filter: Record<string, unknown>;
  set: Record<string, unknown>;
  /** Roughly how many bytes the write adds to the command (the state's JSON text). */
  size: number;
}

export type StateWriteOutcome = 'written' | 'duplicateKey';

interface Pending extends StateWrite {
  resolve(outcome: StateWriteOutcome): void;
  reject(error: unknown): void;
}

/** Statements per command; MongoDB accepts up to 100,000, and a turn's state is a few KB. */
const MAX_BATCH = 256;
/** Well under MongoDB's 16 MB command document, whatever the states' sizes. */
const MAX_BATCH_BYTES = 4 * 1024 * 1024;
const DUPLICATE_KEY = 11000;

const updateReplySchema = z.object({
  ok: z.number(),
  writeErrors: z
    .array(z.object({ index: z.number(), code: z.number(), errmsg: z.string().optional() }))
    .optional(),
  writeConcernError: z.object({ errmsg: z.string().optional() }).optional(),
});

/**
 * The usual reply ({ ok: 1, n, nModified, upserted? } with no errors), recognised without zod's
 * parse, which copies the reply (and its `upserted` list) on every command. Anything else (write
 * errors included) goes through updateReplySchema.
 */
function isPlainReply(reply: Record<string, unknown>): reply is z.infer<typeof updateReplySchema> {
  return (
    typeof reply.ok === 'number' && reply.writeErrors === undefined && reply.writeConcernError === undefined
  );
}

/**
 * Sends concurrent turns' state writes to the store as one `update` command (one round trip, one
 * journal write) instead of one command each. A command is in flight at a time; whatever arrives
 * meanwhile goes in the next one, so a lone write goes after the current pass of the event loop
 * and a busy server batches more.
 *
 * Every statement is an upsert whose filter carries the expected eTag: when the stored item has
 * another eTag, the insert that follows collides on _id and that statement alone fails with a
 * duplicate key error (the caller's eTag conflict); the others in the command are unaffected.
 * Two writes to the same key never share a command, so they apply in the order they were made.
 */
export class StateWriteBatcher {
  private queue: Pending[] = [];
  private sending = false;
  private scheduled = false;

  constructor(private readonly collection: () => { db: mongo.Db; name: string }) {}

  write(write: StateWrite): Promise<StateWriteOutcome> {
    return new Promise<StateWriteOutcome>((resolve, reject) => {
      this.queue.push({ ...write, resolve, reject });
      if (this.sending || this.scheduled) return;
      // Not at once: a turn saves its conversation and user state a few promise steps apart, and
      // turns finishing in the same pass of the event loop can share the command too.
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.sendNext();
      });
    });
  }

  private sendNext(): void {
    if (this.sending || this.queue.length === 0) return;
    const batch: Pending[] = [];
    const later: Pending[] = [];
    const keys = new Set<string>();
    let bytes = 0;
    for (const pending of this.queue) {
      const fits =
        batch.length === 0 || (batch.length < MAX_BATCH && bytes + pending.size <= MAX_BATCH_BYTES);
      if (fits && !keys.has(pending.key)) {
        bytes += pending.size;
        batch.push(pending);
      } else {
        later.push(pending);
      }
      // Taken or held back, the key is done for this command: a later write to it must not overtake.
      keys.add(pending.key);
    }
    this.queue = later;
    this.sending = true;
    // send() settles every pending write itself and never rejects.
    void this.send(batch).then(() => {
      this.sending = false;
      this.sendNext();
    });
  }

  private async send(batch: readonly Pending[]): Promise<void> {
    let reply: z.infer<typeof updateReplySchema>;
    try {
      const { db, name } = this.collection();
      const raw = await db.command({
        update: name,
        updates: batch.map((pending) => ({ q: pending.filter, u: { $set: pending.set }, upsert: true })),
        ordered: false,
      });
      reply = isPlainReply(raw) ? raw : updateReplySchema.parse(raw);
      if (reply.writeConcernError)
        throw new Error(
          `state write not acknowledged: ${reply.writeConcernError.errmsg ?? 'write concern error'}`,
        );
    } catch (error) {
      for (const pending of batch) pending.reject(error);
      return;
    }
    const failed = new Map((reply.writeErrors ?? []).map((writeError) => [writeError.index, writeError]));
    batch.forEach((pending, index) => {
      const writeError = failed.get(index);
      if (!writeError) pending.resolve('written');
      else if (writeError.code === DUPLICATE_KEY) pending.resolve('duplicateKey');
      else
        pending.reject(new Error(`state write failed (code ${writeError.code}): ${writeError.errmsg ?? ''}`));
    });
  }
}
