/**
 * `npm run bench:store [-- --uri mongodb://… --inline]`: the embedded store through mongoose, 50 concurrent
 * clients: durable inserts/s of a ticket-sized document and findOne/s on a unique-indexed field over
 * 10,000 documents. With --uri (or BENCH_MONGODB_URI) the same figures against that server too;
 * with --inline also with the store on the benchmark's own thread instead of its worker thread.
 * Not a test: it prints a table, targets and met / not met.
 * Profiling: `node --require tsx/cjs --cpu-prof --cpu-prof-dir=DIR bench/store.ts` writes one profile
 * per thread, the store's worker thread included (EmbeddedMongoServer passes the flag on).
 */
import { calculateObjectSize } from 'bson';
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import mongoose, { Schema, type Connection, type Model } from 'mongoose';
import { EmbeddedMongoServer } from '../src/services/store/embedded/embeddedMongoServer';
import { printTable } from './table';

const CONCURRENCY = 50;
const DOCUMENTS = 10_000;
const LOOKUPS = 20_000;
const TARGET_INSERTS_PER_SECOND = 2_000;
const TARGET_FINDONE_PER_SECOND = 5_000;

interface BenchTicket {
  number: string;
  status: string;
  channel: string;
  customer: { name: string; email: string; phone: string; address: string; country: string };
  product: {
    sku: string;
    serial: string;
    firmware: string;
    orderNo: string;
    retailer: string;
    purchasedAt: Date;
  };
  issue: { category: string; description: string; troubleshootingDone: string[] };
  history: Array<{ at: Date; from: string; to: string; by: string; note: string }>;
}

function ticketModel(connection: Connection): Model<BenchTicket> {
  const schema = new Schema<BenchTicket>(
    {
      number: { type: String, required: true, unique: true },
      status: { type: String, index: true },
      channel: String,
      customer: { name: String, email: String, phone: String, address: String, country: String },
      product: {
        sku: String,
        serial: String,
        firmware: String,
        orderNo: String,
        retailer: String,
        purchasedAt: Date,
      },
      issue: { category: String, description: String, troubleshootingDone: [String] },
      history: [{ at: Date, from: String, to: String, by: String, note: String }],
    },
    { timestamps: true, collection: 'tickets' },
  );
  return connection.model<BenchTicket>('BenchTicket', schema);
}

function ticket(n: number): BenchTicket {
  const now = new Date();
  return {
    number: `RMA-${String(n).padStart(7, '0')}`,
    status: 'awaiting-shipment',
    channel: n % 3 === 0 ? 'sms' : 'webchat',
    customer: {
      name: 'Alexandra Example-Customer',
      email: `customer${n}@example.com`,
      phone: `+1555${String(n).padStart(7, '0')}`,
      address: '1200 Example Boulevard, Apartment 42B, Springfield, IL 62704',
      country: 'US',
    },
    product: {
      sku: 'CPC200-U2W-PLUS',
      serial: `CK${String(n * 7919).padStart(12, '0')}`,
      firmware: '2025.10.15.1708',
      orderNo: `112-${String(n).padStart(7, '0')}-5551234`,
      retailer: 'amazon.com',
      purchasedAt: new Date('2026-01-15T00:00:00Z'),
    },
    issue: {
      category: 'disconnects',
      description:
        'The adapter connects to CarPlay wirelessly but drops the connection every five to ten minutes while driving, ' +
        'usually when navigation and music run together. It reconnects by itself after about thirty seconds. ' +
        'Car: 2019 Honda Accord, iPhone 15 on iOS 19.1. Tried a different USB port and a shorter cable. '.repeat(
          2,
        ),
      troubleshootingDone: ['reboot-adapter', 'forget-bluetooth', 'update-firmware', 'change-wifi-channel'],
    },
    history: [
      { at: now, from: 'new', to: 'open', by: 'bot', note: 'created from web chat' },
      { at: now, from: 'open', to: 'approved', by: 'agent:lin', note: 'within 12 months, free repair' },
      { at: now, from: 'approved', to: 'awaiting-shipment', by: 'bot', note: 'return label sent by e-mail' },
    ],
  };
}

/** This process's main thread's CPU time so far in µs (Linux /proc, 10 ms ticks); null elsewhere. */
function mainThreadCpuMicros(): number | null {
  try {
    const fields = readFileSync(`/proc/${process.pid}/task/${process.pid}/stat`, 'utf8')
      .replace(/^.*\) /, '')
      .split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return null;
  }
}

/** Runs `total` operations with `concurrency` workers; returns operations per second and latencies. */
async function run(total: number, concurrency: number, operation: (i: number) => Promise<unknown>) {
  let next = 0;
  const latencies: number[] = [];
  const cpuBefore = process.cpuUsage();
  const mainBefore = mainThreadCpuMicros();
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < total; i = next++) {
        const t0 = process.hrtime.bigint();
        await operation(i);
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  latencies.sort((a, b) => a - b);
  const pct = (p: number): number =>
    latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  // CPU time of this process per operation (client and, for the embedded store, server): a figure that
  // stays meaningful when other work shares the machine and wall-clock rates drop.
  const cpuMicros = (cpu.user + cpu.system) / total;
  // The main thread runs the client (mongoose + driver); the rest is the store's worker thread, V8's
  // GC helpers and libuv's pool. Which side a change helps shows here.
  const mainAfter = mainThreadCpuMicros();
  const mainMicros = mainBefore === null || mainAfter === null ? null : (mainAfter - mainBefore) / total;
  return { perSecond: total / seconds, p50: pct(0.5), p99: pct(0.99), cpuMicros, mainMicros };
}

interface Figures {
  label: string;
  inserts: Awaited<ReturnType<typeof run>>;
  findOneLean: Awaited<ReturnType<typeof run>>;
  findOneDocument: Awaited<ReturnType<typeof run>>;
  /** The store's own heap with the documents loaded (embedded store only: serverStatus.embedded). */
  storeHeapMB: number | null;
}

async function measure(label: string, uri: string): Promise<Figures> {
  const connection = mongoose.createConnection(uri, {
    dbName: `bench_store_${process.pid}_${Date.now()}`,
    maxPoolSize: CONCURRENCY + 10,
  });
  await connection.asPromise();
  try {
    const Ticket = ticketModel(connection);
    await Ticket.init();
    // Warm up the JIT and the connection pool (not counted).
    await run(500, CONCURRENCY, (i) => Ticket.create(ticket(1_000_000 + i)));
    await Ticket.deleteMany({});
    const inserts = await run(DOCUMENTS, CONCURRENCY, (i) => Ticket.create(ticket(i)));
    const pick = (i: number): string => `RMA-${String((i * 7_919) % DOCUMENTS).padStart(7, '0')}`;
    await run(1_000, CONCURRENCY, (i) => Ticket.findOne({ number: pick(i) }).lean());
    const findOneLean = await run(LOOKUPS, CONCURRENCY, async (i) => {
      const found = await Ticket.findOne({ number: pick(i) }).lean();
      if (!found) throw new Error(`ticket ${pick(i)} not found`);
    });
    const findOneDocument = await run(LOOKUPS / 2, CONCURRENCY, (i) => Ticket.findOne({ number: pick(i) }));
    const status = await connection.db!.admin().command({ serverStatus: 1 });
    const embedded: unknown = status.embedded;
    const heap =
      embedded !== null && typeof embedded === 'object'
        ? (embedded as { heapUsedMB?: unknown }).heapUsedMB
        : null;
    await connection.dropDatabase();
    return {
      label,
      inserts,
      findOneLean,
      findOneDocument,
      storeHeapMB: typeof heap === 'number' ? heap : null,
    };
  } finally {
    await connection.close();
  }
}

function verdict(value: number, target: number): string {
  return value >= target ? 'met' : 'NOT met';
}

function printResults(results: Figures[]): void {
  const rows: string[][] = [
    ['server', 'measure', 'ops/s', 'p50 ms', 'p99 ms', 'CPU µs/op', 'main thread', 'target', 'result'],
  ];
  for (const result of results) {
    const embedded = result.label.startsWith('embedded');
    const line = (name: string, figures: Figures['inserts'], target: number | null): string[] => [
      result.label,
      name,
      figures.perSecond.toFixed(0),
      figures.p50.toFixed(2),
      figures.p99.toFixed(2),
      figures.cpuMicros.toFixed(0),
      figures.mainMicros === null ? '-' : figures.mainMicros.toFixed(0),
      target === null ? '-' : `>= ${target}`,
      target === null || !embedded ? '-' : verdict(figures.perSecond, target),
    ];
    rows.push(line(`durable insertOne (${CONCURRENCY} writers)`, result.inserts, TARGET_INSERTS_PER_SECOND));
    rows.push(
      line(
        `findOne unique field, lean (${CONCURRENCY} readers)`,
        result.findOneLean,
        TARGET_FINDONE_PER_SECOND,
      ),
    );
    rows.push(line(`findOne unique field, hydrated`, result.findOneDocument, null));
  }
  printTable('store benchmark (through mongoose)', rows);
  console.log(
    'CPU µs/op: all threads of this process (client, store, GC helpers); main thread: the client (mongoose + driver), and the store too when inline.',
  );
  for (const result of results) {
    if (result.storeHeapMB !== null) {
      console.log(`${result.label}: store heap with ${DOCUMENTS} tickets loaded: ${result.storeHeapMB} MB`);
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { uri: { type: 'string' }, inline: { type: 'boolean' } },
    strict: true,
  });
  const externalUri = values.uri ?? process.env.BENCH_MONGODB_URI;
  const size = calculateObjectSize({ ...ticket(1), createdAt: new Date(), updatedAt: new Date(), __v: 0 });
  console.log(
    `store benchmark: ${DOCUMENTS} tickets of ${size} bytes, ${LOOKUPS} lookups, ${CONCURRENCY} concurrent clients, ` +
      `${os.cpus().length} CPUs, Node ${process.version}`,
  );

  // The store as `npm start` runs it (worker thread); with --inline also on the benchmark's own thread.
  const threads: Array<'worker' | 'inline'> = values.inline ? ['worker', 'inline'] : ['worker'];
  const results: Figures[] = [];
  for (const thread of threads) {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-store-'));
    const server = new EmbeddedMongoServer({ dataDir, thread });
    try {
      await server.start();
      // The way the app connects (database.ts): through the store's Unix socket when it has one.
      results.push(await measure(`embedded (${thread}, durable)`, server.localUri));
    } finally {
      await server.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  }
  if (externalUri)
    results.push(await measure(`mongodb ${externalUri.replace(/\/\/[^@/]*@/, '//***@')}`, externalUri));
  printResults(results);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
