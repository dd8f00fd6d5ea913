import assert from 'node:assert/strict';
import type { mongo } from 'mongoose';
import { StateWriteBatcher } from '../../../src/services/store/stateWriteBatcher';

describe('StateWriteBatcher', () => {
  /** A database whose update command records each statement in the order the store applies them. */
  function recordingDb(applied: Array<{ key: string; value: unknown }>): mongo.Db {
    const db = {
      command: async (command: { updates: Array<{ q: { _id: string }; u: { $set: { v: unknown } } }> }) => {
        await new Promise((resolve) => setImmediate(resolve));
        for (const statement of command.updates)
          applied.push({ key: statement.q._id, value: statement.u.$set.v });
        return { ok: 1, n: command.updates.length };
      },
    };
    return db as unknown as mongo.Db;
  }

  it('when an earlier write to a key does not fit the current command, a later write to that key waits for it', async () => {
    const applied: Array<{ key: string; value: unknown }> = [];
    const db = recordingDb(applied);
    const batcher = new StateWriteBatcher(() => ({ db, name: 'botstate' }));
    const MB = 1024 * 1024;
    await Promise.all([
      batcher.write({ key: 'other', filter: { _id: 'other' }, set: { v: 'o' }, size: 3 * MB }),
      // Over the 4 MB command limit with the one above: held for the next command.
      batcher.write({ key: 'user', filter: { _id: 'user' }, set: { v: 'first' }, size: 2 * MB }),
      // Small enough for the current command, but it must not overtake the write before it.
      batcher.write({ key: 'user', filter: { _id: 'user' }, set: { v: 'second' }, size: 10 }),
    ]);
    const userWrites = applied.filter((write) => write.key === 'user').map((write) => write.value);
    assert.deepEqual(userWrites, ['first', 'second']);
  });

  it('when writes to different keys arrive together, they share one command', async () => {
    const applied: Array<{ key: string; value: unknown }> = [];
    let commands = 0;
    const inner = recordingDb(applied);
    const db = {
      command: (command: never) => {
        commands += 1;
        return inner.command(command);
      },
    } as unknown as mongo.Db;
    const batcher = new StateWriteBatcher(() => ({ db, name: 'botstate' }));
    await Promise.all(
      ['a', 'b', 'c'].map((key) => batcher.write({ key, filter: { _id: key }, set: { v: key }, size: 10 })),
    );
    assert.equal(commands, 1);
    assert.deepEqual(
      applied.map((write) => write.key),
      ['a', 'b', 'c'],
    );
  });
});
