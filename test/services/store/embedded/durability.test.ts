import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mongoose, { Schema, type Connection, type Model } from 'mongoose';

const CLI = path.resolve(__dirname, '../../../../src/services/store/embedded/cli.ts');
const JOURNAL = 'store.journal';

interface RunningStore {
  child: ChildProcess;
  uri: string;
  exited: Promise<void>;
}

/** Runs `npm run db`'s entry point as a child process on a data directory and waits for its URI. */
async function spawnStore(dataDir: string): Promise<RunningStore> {
  const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), CLI, '--port', '0'], {
    env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn', NODE_ENV: 'test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const uri = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`store did not start: ${stderr}`)), 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n').find((candidate) => candidate.startsWith('mongodb://'));
      if (line) {
        clearTimeout(timer);
        resolve(line.trim());
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`store exited with ${String(code)}: ${stderr}`));
    });
  });
  return { child, uri, exited };
}

async function stopStore(store: RunningStore, signal: NodeJS.Signals): Promise<void> {
  if (store.child.exitCode === null && store.child.signalCode === null) store.child.kill(signal);
  await store.exited;
}

interface TicketDoc {
  key: string;
  writer: number;
  status: string;
  customer: { name: string; email: string; phone: string; address: string };
  product: { sku: string; serial: string; firmware: string };
  notes: Array<{ at: Date; by: string; text: string }>;
}

function ticketModel(connection: Connection): Model<TicketDoc> {
  const schema = new Schema<TicketDoc>(
    {
      key: { type: String, required: true, unique: true },
      writer: Number,
      status: String,
      customer: { name: String, email: String, phone: String, address: String },
      product: { sku: String, serial: String, firmware: String },
      notes: [{ at: Date, by: String, text: String }],
    },
    { timestamps: true },
  );
  return (
    (connection.models.DurableTicket as Model<TicketDoc> | undefined) ??
    connection.model<TicketDoc>('DurableTicket', schema)
  );
}

function ticket(key: string, writer: number): TicketDoc {
  return {
    key,
    writer,
    status: 'open',
    customer: {
      name: 'Customer Name',
      email: 'someone@example.com',
      phone: '+15550100',
      address: '1 Long Street, Springfield',
    },
    product: { sku: 'U2W-PLUS', serial: `SN${key}`, firmware: '2025.10.15.1' },
    notes: [
      {
        at: new Date(),
        by: 'bot',
        text: 'Adapter disconnects after a few minutes on a 2019 car. '.repeat(8),
      },
    ],
  };
}

async function connect(uri: string): Promise<Connection> {
  const connection = mongoose.createConnection(uri, {
    dbName: 'durability',
    serverSelectionTimeoutMS: 3_000,
    maxPoolSize: 60,
  });
  await connection.asPromise();
  return connection;
}

describe('embedded store durability (child process, kill -9)', function () {
  this.timeout(120_000);
  let dataDir: string;
  const running: RunningStore[] = [];
  const connections: Connection[] = [];

  beforeEach(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'embedded-store-'));
  });

  afterEach(async () => {
    for (const connection of connections.splice(0)) await connection.close(true).catch(() => undefined);
    for (const store of running.splice(0)) await stopStore(store, 'SIGKILL');
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  async function start(): Promise<{ store: RunningStore; connection: Connection; Ticket: Model<TicketDoc> }> {
    const store = await spawnStore(dataDir);
    running.push(store);
    const connection = await connect(store.uri);
    connections.push(connection);
    const Ticket = ticketModel(connection);
    await Ticket.init();
    return { store, connection, Ticket };
  }

  it('when the store is killed with SIGKILL during 50 concurrent writers, every acknowledged write is there after restart', async () => {
    const first = await start();
    const acknowledged: string[] = [];
    const updated = new Map<string, string>();
    let stop = false;
    const writers = Array.from({ length: 50 }, async (_, writer) => {
      for (let i = 0; !stop; i++) {
        const key = `${writer}-${i}`;
        try {
          await first.Ticket.create(ticket(key, writer));
          acknowledged.push(key);
          if (i % 4 === 3) {
            // Updates must be as durable as inserts.
            await first.Ticket.updateOne({ key }, { $set: { status: 'received' } });
            updated.set(key, 'received');
          }
        } catch {
          return;
        }
      }
    });
    while (acknowledged.length < 1_500) await new Promise((resolve) => setTimeout(resolve, 20));
    first.store.child.kill('SIGKILL');
    await first.store.exited;
    stop = true;
    await Promise.all(writers);
    await first.connection.close(true);

    const second = await start();
    const found = new Set(
      (await second.Ticket.find({ key: { $in: acknowledged } }, { key: 1, status: 1 }).lean()).map(
        (doc) => doc.key,
      ),
    );
    const missing = acknowledged.filter((key) => !found.has(key));
    assert.deepEqual(
      missing,
      [],
      `${missing.length} of ${acknowledged.length} acknowledged inserts were lost`,
    );
    const statuses = await second.Ticket.find(
      { key: { $in: [...updated.keys()] } },
      { key: 1, status: 1 },
    ).lean();
    assert.equal(statuses.length, updated.size);
    assert.ok(
      statuses.every((doc) => doc.status === 'received'),
      'an acknowledged update was lost',
    );
    // The unique index survived the crash and is still enforced.
    await assert.rejects(
      second.Ticket.create(ticket(acknowledged[0], 0)),
      (error: { code?: number }) => error.code === 11000,
    );
  });

  it('when the journal ends with a torn record, start-up drops it, keeps everything before it and compacts', async () => {
    const first = await start();
    await first.Ticket.create([ticket('a', 1), ticket('b', 1)]);
    await stopStore(first.store, 'SIGKILL');
    await first.connection.close(true);
    const journal = path.join(dataDir, JOURNAL);
    // A frame header announcing 4 KB followed by only a few bytes: what a crash mid-write leaves.
    const torn = Buffer.alloc(20);
    torn.writeUInt32LE(4096, 0);
    await fs.appendFile(journal, torn);
    const tornSize = (await fs.stat(journal)).size;

    const second = await start();
    assert.deepEqual(
      (await second.Ticket.find({}, { key: 1 }).sort({ key: 1 }).lean()).map((doc) => doc.key),
      ['a', 'b'],
    );
    assert.ok((await fs.stat(journal)).size < tornSize, 'the torn tail was compacted away');
    await second.Ticket.create(ticket('c', 1));
    await stopStore(second.store, 'SIGKILL');
    await second.connection.close(true);

    const third = await start();
    assert.equal(await third.Ticket.countDocuments(), 3);
  });

  it('when the store is stopped with SIGTERM, it flushes, releases its lock and a restart sees everything', async () => {
    const first = await start();
    await first.Ticket.create(ticket('x', 1));
    await first.connection.close();
    await stopStore(first.store, 'SIGTERM');
    assert.equal(first.store.child.exitCode, 0);
    await assert.rejects(fs.access(path.join(dataDir, 'store.lock')));
    const second = await start();
    assert.equal(await second.Ticket.countDocuments({ key: 'x' }), 1);
  });

  it('when a second store is started on a directory a live store holds, it refuses to start', async () => {
    await start();
    await assert.rejects(spawnStore(dataDir), /in use by process/);
  });
});
