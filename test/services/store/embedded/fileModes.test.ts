import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import pino from 'pino';
import { EmbeddedMongoServer } from '../../../../src/services/store/embedded/embeddedMongoServer';

async function modeOf(file: string): Promise<number> {
  return (await fs.stat(file)).mode & 0o777;
}

describe('embedded store file modes', () => {
  let parent: string;

  beforeEach(async () => {
    parent = await fs.mkdtemp(path.join(os.tmpdir(), 'store-modes-'));
  });

  afterEach(async () => {
    await fs.rm(parent, { recursive: true, force: true });
  });

  async function writeAndClose(dataDir: string, logger = pino({ level: 'silent' })): Promise<void> {
    const server = new EmbeddedMongoServer({ dataDir, thread: 'inline', logger });
    await server.start();
    const mongo = new MongoClient(server.localUri, { serverSelectionTimeoutMS: 2_000 });
    try {
      await mongo.db('app').collection('tickets').insertOne({ ticket: 'RMA-1' });
      assert.equal(await modeOf(dataDir), 0o700, 'data directory while running');
      for (const file of ['store.journal', 'store.lock', 'store.sock'])
        assert.equal(await modeOf(path.join(dataDir, file)), 0o600, file);
    } finally {
      await mongo.close();
      await server.close();
    }
  }

  it('when the store creates its data directory, the directory is 0700 and the journal, lock and socket 0600', async () => {
    const dataDir = path.join(parent, 'data');
    await writeAndClose(dataDir);
    assert.equal(await modeOf(dataDir), 0o700);
    assert.equal(await modeOf(path.join(dataDir, 'store.journal')), 0o600);
  });

  it('when an older version left the directory 0755 and the journal 0644, start-up tightens both, warns, and keeps the data', async () => {
    const dataDir = path.join(parent, 'data');
    await writeAndClose(dataDir);
    await fs.chmod(dataDir, 0o755);
    await fs.chmod(path.join(dataDir, 'store.journal'), 0o644);
    // A snapshot left half-written by a crash, readable by everyone.
    await fs.writeFile(path.join(dataDir, 'store.journal.compact'), 'partial', { mode: 0o644 });

    const lines: Array<Record<string, unknown>> = [];
    const logger = pino(
      { level: 'warn' },
      { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
    );
    const server = new EmbeddedMongoServer({ dataDir, thread: 'inline', logger });
    await server.start();
    const mongo = new MongoClient(server.localUri, { serverSelectionTimeoutMS: 2_000 });
    try {
      assert.equal(await modeOf(dataDir), 0o700);
      assert.equal(await modeOf(path.join(dataDir, 'store.journal')), 0o600);
      assert.ok(
        lines.some((line) => line.was === '0755' && String(line.msg).includes('tightened')),
        JSON.stringify(lines),
      );
      const found = await mongo.db('app').collection('tickets').findOne({ ticket: 'RMA-1' });
      assert.equal(found?.ticket, 'RMA-1');
    } finally {
      await mongo.close();
      await server.close();
    }
  });
});
