import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ObjectId, serialize, type Document } from 'bson';
import pino from 'pino';
import { Journal } from '../../../../src/services/store/embedded/journal';

const silent = pino({ level: 'silent' });

describe('Journal', () => {
  let dir: string;
  const open: Journal[] = [];

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'journal-'));
  });

  afterEach(async () => {
    for (const journal of open.splice(0)) await journal.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** Opens a journal whose state is a simple list of records; returns both. */
  async function openJournal(
    compactAfterBytes?: number,
    writes?: 'threadpool' | 'blocking',
  ): Promise<{ journal: Journal; state: Document[] }> {
    const state: Document[] = [];
    const journal = new Journal({ dir, logger: silent, compactAfterBytes, writes });
    await journal.open(
      (record) => state.push(record),
      () => state,
    );
    open.push(journal);
    return { journal, state };
  }

  it('when records are appended and synced, a reopened journal replays them in order', async () => {
    const first = await openJournal();
    for (let i = 0; i < 5; i++) {
      const record = { i, text: `record ${i}` };
      first.state.push(record);
      first.journal.append(record);
    }
    await first.journal.sync();
    await first.journal.close();
    open.length = 0;

    const second = await openJournal();
    assert.deepEqual(
      second.state.map((record) => record.i as number),
      [0, 1, 2, 3, 4],
    );
  });

  it('when many writers sync at once, they share fdatasync calls (group commit)', async () => {
    const { journal } = await openJournal();
    const writes = Array.from({ length: 200 }, (_, i) => {
      journal.append({ i });
      return journal.sync();
    });
    await Promise.all(writes);
    const { syncs, recordsSynced } = journal.stats;
    assert.equal(recordsSynced, 200);
    assert.ok(syncs < 20, `expected grouped fsyncs, got ${syncs} for 200 records`);
  });

  it('when sync resolves, the record is already in the file', async () => {
    const { journal } = await openJournal();
    const before = (await fs.stat(journal.file)).size;
    journal.append({ payload: 'x'.repeat(1000) });
    await journal.sync();
    assert.ok((await fs.stat(journal.file)).size >= before + 1000);
  });

  it('when the file ends in a torn frame, replay keeps the intact records and reports the torn tail', async () => {
    const first = await openJournal();
    first.state.push({ n: 1 });
    first.journal.append({ n: 1 });
    await first.journal.close();
    open.length = 0;
    await fs.appendFile(path.join(dir, 'store.journal'), Buffer.from([200, 0, 0, 0, 1, 2, 3]));

    const state: Document[] = [];
    const journal = new Journal({ dir, logger: silent });
    const stats = await journal.open(
      (record) => state.push(record),
      () => state,
    );
    open.push(journal);
    assert.equal(stats.tornTail, true);
    assert.deepEqual(
      state.map((record) => record.n as number),
      [1],
    );
  });

  it('when a record has a bad checksum, replay stops before it', async () => {
    const first = await openJournal();
    for (const n of [1, 2]) {
      first.state.push({ n });
      first.journal.append({ n });
    }
    await first.journal.close();
    open.length = 0;
    const file = path.join(dir, 'store.journal');
    const bytes = await fs.readFile(file);
    bytes[bytes.length - 3] ^= 0xff;
    await fs.writeFile(file, bytes);

    const second = await openJournal();
    assert.deepEqual(
      second.state.map((record) => record.n as number),
      [1],
    );
  });

  it('when the journal grows past the compaction threshold, it is rewritten from the live state', async () => {
    const { journal, state } = await openJournal(4096);
    // One live record rewritten many times: the file should stay near its size, not grow without bound.
    state.push({ counter: 0 });
    for (let i = 1; i <= 300; i++) {
      state[0] = { counter: i, padding: 'p'.repeat(100) };
      journal.append(state[0]);
      await journal.sync();
    }
    assert.ok((await fs.stat(journal.file)).size < 8192, 'the journal was compacted while running');
    await journal.close();
    open.length = 0;
    const reopened = await openJournal();
    assert.equal(reopened.state.at(-1)!.counter, 300);
  });

  it('when the directory holds a file that is not a journal, it refuses to open it', async () => {
    await fs.writeFile(path.join(dir, 'store.journal'), 'definitely not a journal');
    const journal = new Journal({ dir, logger: silent });
    await assert.rejects(
      journal.open(
        () => undefined,
        () => [],
      ),
      /not an embedded store journal/,
    );
  });

  it('when a directory is already open in this process, a second journal on it is refused until the first closes', async () => {
    await openJournal();
    const second = new Journal({ dir, logger: silent });
    await assert.rejects(
      second.open(
        () => undefined,
        () => [],
      ),
      /already open/,
    );
  });

  it('when a record carries a document already in BSON, the file holds the same bytes as appending it decoded', async () => {
    const doc = { _id: new ObjectId('665f1b2c3d4e5f6a7b8c9d0e'), name: 'Lin — 林', n: 1.5, at: new Date(0) };
    const { journal } = await openJournal();
    const before = (await fs.stat(journal.file)).size;
    journal.append({ op: 'insert', db: 'carlinkit', coll: 'tickets', doc });
    await journal.sync();
    const afterFirst = (await fs.stat(journal.file)).size;
    journal.appendWithDocument({ op: 'insert', db: 'carlinkit', coll: 'tickets' }, 'doc', serialize(doc));
    await journal.sync();
    const bytes = await fs.readFile(journal.file);
    const first = bytes.subarray(before, afterFirst);
    const second = bytes.subarray(afterFirst);
    assert.equal(second.toString('hex'), first.toString('hex'));
  });

  it('when records are bigger than the group buffer and the snapshot chunk, they are written and replayed whole', async () => {
    const first = await openJournal();
    const big = 'b'.repeat(600 * 1024);
    for (let i = 0; i < 8; i++) {
      const record = { i, big };
      first.state.push(record);
      first.journal.append(record);
    }
    await first.journal.sync();
    await first.journal.close();
    open.length = 0;
    // Reopening replays, then writes a ~4.8 MB snapshot (more than one chunk); open it once more to read that.
    const second = await openJournal();
    await second.journal.close();
    open.length = 0;
    const third = await openJournal();
    assert.deepEqual(
      third.state.map((record) => [record.i as number, (record.big as string).length]),
      Array.from({ length: 8 }, (_, i) => [i, big.length]),
    );
  });

  it('when group writes block the thread, writers in the same turn share one write and each is on disk when its sync resolves', async () => {
    const { journal } = await openJournal(undefined, 'blocking');
    const before = (await fs.stat(journal.file)).size;
    const writes = Array.from({ length: 100 }, (_, i) => {
      journal.append({ i, payload: 'x'.repeat(100) });
      return journal.sync().then(async () => (await fs.stat(journal.file)).size);
    });
    const sizes = await Promise.all(writes);
    assert.ok(sizes.every((size) => size >= before + 100 * 100));
    assert.deepEqual(journal.stats, { syncs: 1, recordsSynced: 100 });
    journal.append({ i: 100 });
    await journal.close();
    open.length = 0;
    const reopened = await openJournal();
    assert.equal(reopened.state.length, 101);
  });

  it('when group writes block the thread and the journal passes the compaction threshold, it still compacts', async () => {
    const { journal, state } = await openJournal(4096, 'blocking');
    state.push({ counter: 0 });
    for (let i = 1; i <= 300; i++) {
      state[0] = { counter: i, padding: 'p'.repeat(100) };
      journal.append(state[0]);
      await journal.sync();
    }
    assert.ok((await fs.stat(journal.file)).size < 8192, 'the journal was compacted while running');
  });
});
