import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { deserialize, serialize, type Document } from 'bson';
import { MongoClient } from 'mongodb';
import pino from 'pino';
import { EmbeddedMongoServer } from '../../../../src/services/store/embedded/embeddedMongoServer';

const OP_REPLY = 1;
const OP_QUERY = 2004;
const OP_MSG = 2013;

function opQuery(requestId: number, namespace: string, query: Document): Buffer {
  const ns = Buffer.from(`${namespace}\0`, 'utf8');
  const body = Buffer.from(serialize(query));
  const frame = Buffer.alloc(16 + 4 + ns.length + 8 + body.length);
  frame.writeInt32LE(frame.length, 0);
  frame.writeInt32LE(requestId, 4);
  frame.writeInt32LE(OP_QUERY, 12);
  ns.copy(frame, 20);
  frame.writeInt32LE(-1, 20 + ns.length + 4);
  body.copy(frame, 20 + ns.length + 8);
  return frame;
}

function opMsg(requestId: number, body: Document, flags = 0): Buffer {
  const doc = Buffer.from(serialize(body));
  const frame = Buffer.alloc(16 + 4 + 1 + doc.length);
  frame.writeInt32LE(frame.length, 0);
  frame.writeInt32LE(requestId, 4);
  frame.writeInt32LE(OP_MSG, 12);
  frame.writeUInt32LE(flags, 16);
  doc.copy(frame, 21);
  return frame;
}

/** A raw wire-protocol client: send frames, read whole reply frames. */
class RawClient {
  private buffer = Buffer.alloc(0);
  private waiting: Array<(frame: Buffer) => void> = [];
  readonly closed: Promise<void>;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      while (this.buffer.length >= 4 && this.buffer.length >= this.buffer.readInt32LE(0)) {
        const length = this.buffer.readInt32LE(0);
        const frame = this.buffer.subarray(0, length);
        this.buffer = this.buffer.subarray(length);
        this.waiting.shift()?.(frame);
      }
    });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static async connect(socketPath: string): Promise<RawClient> {
    const socket = net.connect(socketPath);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new RawClient(socket);
  }

  send(frame: Buffer): void {
    this.socket.write(frame);
  }

  reply(): Promise<Buffer> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  destroy(): void {
    this.socket.destroy();
  }
}

describe('EmbeddedMongoServer', () => {
  const servers: EmbeddedMongoServer[] = [];
  const clients: MongoClient[] = [];
  const dirs: string[] = [];

  async function startServer(
    options: Partial<ConstructorParameters<typeof EmbeddedMongoServer>[0]> = {},
  ): Promise<EmbeddedMongoServer> {
    const server = new EmbeddedMongoServer({ dataDir: null, thread: 'inline', ...options });
    await server.start();
    servers.push(server);
    return server;
  }

  async function client(server: EmbeddedMongoServer): Promise<MongoClient> {
    const mongo = new MongoClient(server.localUri, { serverSelectionTimeoutMS: 2_000 });
    await mongo.connect();
    clients.push(mongo);
    return mongo;
  }

  async function tempDir(): Promise<string> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'embedded-server-'));
    dirs.push(dir);
    return dir;
  }

  afterEach(async () => {
    for (const mongo of clients.splice(0)) await mongo.close(true);
    for (const server of servers.splice(0)) await server.close();
    for (const dir of dirs.splice(0)) await fs.rm(dir, { recursive: true, force: true });
  });

  describe('on its worker thread (the default)', function () {
    // Loading the worker from TypeScript sources takes a few seconds on a busy machine.
    this.timeout(60_000);

    it('when started without a thread option, it serves from a worker, relays its logs and closes cleanly', async () => {
      const lines: Array<Record<string, unknown>> = [];
      const logger = pino(
        { level: 'info' },
        { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
      );
      const dataDir = await tempDir();
      const server = new EmbeddedMongoServer({ dataDir, logger });
      servers.push(server);
      await server.start();
      assert.equal(server.socketPath, path.join(dataDir, 'store.sock'));
      const mongo = await client(server);
      await mongo
        .db('app')
        .collection('x')
        .insertOne({ _id: 'k' as never, v: 1 });
      assert.equal(
        (await mongo
          .db('app')
          .collection('x')
          .findOne({ _id: 'k' as never }))!.v,
        1,
      );
      await mongo.close();
      clients.length = 0;
      await server.close();
      servers.length = 0;
      assert.ok(lines.some((line) => line.msg === 'embedded store listening' && line.durable === true));
      assert.ok(lines.some((line) => line.msg === 'embedded store closed'));

      const reopened = new EmbeddedMongoServer({ dataDir });
      servers.push(reopened);
      await reopened.start();
      const again = await client(reopened);
      assert.equal(
        (await again
          .db('app')
          .collection('x')
          .findOne({ _id: 'k' as never }))!.v,
        1,
      );
    });

    it('when started in memory, it listens on a Unix socket in a private directory of its own that localUri reaches, both removed on close', async () => {
      const server = new EmbeddedMongoServer({ dataDir: null });
      servers.push(server);
      await server.start();
      const socketPath = server.socketPath;
      const socketDir = path.dirname(socketPath);
      assert.ok(socketDir.startsWith(path.join(os.tmpdir(), 'carlinkit-store-')), socketPath);
      assert.equal((await fs.stat(socketDir)).mode & 0o777, 0o700);
      assert.equal((await fs.stat(socketPath)).mode & 0o777, 0o600);
      assert.equal(server.port, null, 'no TCP unless asked for');
      assert.equal(server.localUri, `mongodb://${encodeURIComponent(socketPath)}/`);
      const mongo = new MongoClient(server.localUri, { serverSelectionTimeoutMS: 2_000 });
      clients.push(mongo);
      await mongo.db('app').collection('x').insertOne({ a: 1 });
      const you = await mongo.db('admin').command({ whatsmyuri: 1 });
      assert.equal(you.you, 'anonymous unix socket:27017');
      assert.equal(await mongo.db('app').collection('x').countDocuments(), 1);
      await mongo.close();
      clients.length = 0;
      await server.close();
      servers.length = 0;
      await assert.rejects(fs.stat(socketDir), { code: 'ENOENT' });
    });

    it('when the worker cannot start (the port is taken), start rejects with the reason', async () => {
      const login = { username: 'tools', password: 'a-password-for-this-test-only' };
      const first = await startServer({ tcp: { port: 0, ...login } });
      const second = new EmbeddedMongoServer({ dataDir: null, tcp: { port: first.port ?? 0, ...login } });
      await assert.rejects(second.start(), /EADDRINUSE/);
      await second.close();
    });
  });

  describe('wire protocol', () => {
    it('when a client opens with a legacy OP_QUERY isMaster, it gets an OP_REPLY describing a standalone server', async () => {
      const server = await startServer();
      const raw = await RawClient.connect(server.socketPath);
      raw.send(opQuery(7, 'admin.$cmd', { isMaster: 1, helloOk: true }));
      const frame = await raw.reply();
      raw.destroy();
      assert.equal(frame.readInt32LE(8), 7, 'responseTo is the request id');
      assert.equal(frame.readInt32LE(12), OP_REPLY);
      assert.equal(frame.readInt32LE(32), 1, 'one document returned');
      const body = deserialize(frame.subarray(36));
      assert.equal(body.ismaster, true);
      assert.equal(body.helloOk, true);
      assert.ok((body.maxWireVersion as number) >= 17);
      assert.equal(body.setName, undefined);
      assert.equal(typeof body.logicalSessionTimeoutMinutes, 'number');
    });

    it('when an OP_MSG carries moreToCome, no reply is sent; the next command is answered normally', async () => {
      const server = await startServer();
      const raw = await RawClient.connect(server.socketPath);
      raw.send(opMsg(1, { endSessions: [], $db: 'admin' }, 2));
      raw.send(opMsg(2, { ping: 1, $db: 'admin' }));
      const frame = await raw.reply();
      raw.destroy();
      assert.equal(frame.readInt32LE(8), 2, 'the only reply answers the ping');
      assert.equal(frame.readInt32LE(12), OP_MSG);
      assert.equal(deserialize(frame.subarray(21)).ok, 1);
    });

    it('when a command arrives split across many small packets, it is reassembled and answered', async () => {
      const server = await startServer();
      const raw = await RawClient.connect(server.socketPath);
      const frame = opMsg(3, { ping: 1, $db: 'admin' });
      for (const byte of frame) raw.send(Buffer.from([byte]));
      const reply = await raw.reply();
      raw.destroy();
      assert.equal(deserialize(reply.subarray(21)).ok, 1);
    });

    it('when a client sends garbage, its connection is closed and other clients are unaffected', async () => {
      const server = await startServer();
      const raw = await RawClient.connect(server.socketPath);
      raw.send(Buffer.from([255, 255, 255, 127, 1, 2, 3, 4]));
      await raw.closed;
      const mongo = await client(server);
      assert.equal((await mongo.db('admin').command({ ping: 1 })).ok, 1);
    });

    it('when a command fails, the reply has MongoDB error shape: ok 0, errmsg, code, codeName', async () => {
      const server = await startServer();
      const raw = await RawClient.connect(server.socketPath);
      raw.send(opMsg(4, { noSuchThing: 1, $db: 'admin' }));
      const reply = deserialize((await raw.reply()).subarray(21));
      raw.destroy();
      assert.deepEqual(reply, {
        ok: 0,
        errmsg: "no such command: 'noSuchThing'",
        code: 59,
        codeName: 'CommandNotFound',
      });
    });
  });

  describe('tools', () => {
    it('when mongosh or Compass connect, the admin and stats commands they send are answered', async () => {
      const server = await startServer();
      const mongo = await client(server);
      const admin = mongo.db('admin');
      const app = mongo.db('app');
      await app.collection('tickets').insertMany([{ n: 1 }, { n: 2 }]);
      await app.collection('tickets').createIndex({ n: 1 });
      for (const command of [
        { buildInfo: 1 },
        { getCmdLineOpts: 1 },
        { getParameter: 1, featureCompatibilityVersion: 1 },
        { getLog: 'startupWarnings' },
        { connectionStatus: 1 },
        { hostInfo: 1 },
        { serverStatus: 1 },
      ]) {
        assert.equal((await admin.command(command)).ok, 1, JSON.stringify(command));
      }
      const databases = await admin.command({ listDatabases: 1 });
      assert.ok((databases.databases as Array<{ name: string }>).some((database) => database.name === 'app'));
      const stats = await app.command({ dbStats: 1 });
      assert.equal(stats.objects, 2);
      assert.equal(stats.collections, 1);
      const [collStats] = await app
        .collection('tickets')
        .aggregate([{ $collStats: { storageStats: {} } }])
        .toArray();
      assert.equal((collStats.storageStats as { count: number }).count, 2);
      const indexStats = await app
        .collection('tickets')
        .aggregate([{ $indexStats: {} }])
        .toArray();
      assert.deepEqual(indexStats.map((index) => index.name as string).sort(), ['_id_', 'n_1']);
    });
  });

  describe('durability in process', () => {
    it('when the server restarts on its data directory, documents, updates, deletes, drops and indexes are as they were', async () => {
      const dataDir = await tempDir();
      const first = await startServer({ dataDir });
      const mongo = await client(first);
      const db = mongo.db('app');
      await db.collection('users').createIndex({ email: 1 }, { unique: true });
      await db.collection('users').insertMany([
        { email: 'a@x.y', n: 1 },
        { email: 'b@x.y', n: 2 },
        { email: 'c@x.y', n: 3 },
      ]);
      await db.collection('users').updateOne({ email: 'a@x.y' }, { $set: { n: 10 } });
      await db.collection('users').deleteOne({ email: 'b@x.y' });
      await db.collection('scratch').insertOne({ temp: true });
      await db.collection('scratch').drop();
      await mongo.close();
      clients.length = 0;
      await first.close();
      servers.length = 0;

      const second = await startServer({ dataDir });
      const again = (await client(second)).db('app');
      const users = await again
        .collection('users')
        .find({}, { projection: { _id: 0 } })
        .sort({ email: 1 })
        .toArray();
      assert.deepEqual(users, [
        { email: 'a@x.y', n: 10 },
        { email: 'c@x.y', n: 3 },
      ]);
      assert.deepEqual(
        (await again.listCollections().toArray()).map((entry) => entry.name),
        ['users'],
      );
      await assert.rejects(
        again.collection('users').insertOne({ email: 'c@x.y' }),
        (error: { code?: number }) => error.code === 11000,
      );
    });

    it('when the journal has many superseded records, start-up compacts it to the live state', async () => {
      const dataDir = await tempDir();
      const first = await startServer({ dataDir });
      const mongo = await client(first);
      const counters = mongo.db('app').collection<{ _id: string; n: number }>('counters');
      for (let i = 0; i < 300; i++)
        await counters.updateOne({ _id: 'c' }, { $inc: { n: 1 } }, { upsert: true });
      await mongo.close();
      clients.length = 0;
      await first.close();
      servers.length = 0;
      const journal = path.join(dataDir, 'store.journal');
      const grown = (await fs.stat(journal)).size;

      const second = await startServer({ dataDir });
      const compacted = (await fs.stat(journal)).size;
      assert.ok(compacted < grown / 10, `journal ${grown} → ${compacted} bytes`);
      const again = (await client(second)).db('app').collection<{ _id: string; n: number }>('counters');
      assert.equal((await again.findOne({ _id: 'c' }))!.n, 300);
    });
  });

  describe('capped collections and tailable cursors (for cross-instance relays)', () => {
    it('when a capped collection passes its max, the oldest documents go', async () => {
      const server = await startServer();
      const db = (await client(server)).db('app');
      await db.createCollection('events', { capped: true, size: 1_000_000, max: 3 });
      for (let i = 1; i <= 5; i++) await db.collection('events').insertOne({ i });
      assert.deepEqual(
        (await db.collection('events').find({}).toArray()).map((doc) => doc.i as number),
        [3, 4, 5],
      );
    });

    it('when a tailable awaitData cursor waits, a new matching insert is delivered to it', async () => {
      const server = await startServer();
      const mongo = await client(server);
      const db = mongo.db('app');
      await db.createCollection('relay', { capped: true, size: 1_000_000 });
      await db.collection('relay').insertOne({ conversation: 'c1', text: 'old' });
      const cursor = db
        .collection('relay')
        .find({ conversation: 'c1' }, { tailable: true, awaitData: true, maxAwaitTimeMS: 2_000 });
      assert.equal((await cursor.next())!.text, 'old');
      const next = cursor.next();
      await new Promise((resolve) => setTimeout(resolve, 50));
      await db.collection('relay').insertOne({ conversation: 'other', text: 'not for us' });
      await db.collection('relay').insertOne({ conversation: 'c1', text: 'new' });
      assert.equal((await next)!.text, 'new');
      await cursor.close();
    });

    it('when a tailable cursor is requested on a normal collection, it is refused', async () => {
      const server = await startServer();
      const db = (await client(server)).db('app');
      await db.collection('plain').insertOne({ a: 1 });
      await assert.rejects(
        db.collection('plain').find({}, { tailable: true }).toArray(),
        (error: { code?: number }) => error.code === 2,
      );
    });
  });

  describe('housekeeping', () => {
    it('when a TTL index date has passed, the monitor deletes the document', async () => {
      const server = await startServer({ ttlIntervalMs: 50 });
      const db = (await client(server)).db('app');
      await db.collection('tokens').createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
      await db.collection('tokens').insertMany([
        { token: 'old', expiresAt: new Date(Date.now() - 1_000) },
        { token: 'fresh', expiresAt: new Date(Date.now() + 60_000) },
      ]);
      for (
        let waited = 0;
        waited < 2_000 && (await db.collection('tokens').countDocuments()) > 1;
        waited += 50
      ) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.deepEqual(
        (await db.collection('tokens').find({}).toArray()).map((doc) => doc.token as string),
        ['fresh'],
      );
    });

    it('when a cursor sits idle past the timeout, it is reaped and getMore reports CursorNotFound', async () => {
      const server = await startServer({ cursorTimeoutMs: 100 });
      const db = (await client(server)).db('app');
      await db.collection('many').insertMany(Array.from({ length: 20 }, (_, i) => ({ i })));
      const first = await db.command({ find: 'many', batchSize: 5 });
      const id = (first.cursor as { id: unknown }).id;
      await new Promise((resolve) => setTimeout(resolve, 300));
      await assert.rejects(
        db.command({ getMore: id, collection: 'many' }),
        (error: { code?: number }) => error.code === 43,
      );
    });

    it('when a store that died left its socket file in the data directory, the next store replaces it', async () => {
      const dataDir = await tempDir();
      // A socket file nobody listens on: bound elsewhere, moved into place, its server closed.
      const stale = path.join(dataDir, 'store.sock');
      const bound = path.join(await tempDir(), 'dead.sock');
      const dead = net.createServer();
      await new Promise<void>((resolve) => dead.listen(bound, resolve));
      await fs.rename(bound, stale);
      await new Promise<void>((resolve) => dead.close(() => resolve()));
      assert.ok((await fs.lstat(stale)).isSocket());

      const server = await startServer({ dataDir });
      assert.equal(server.socketPath, stale);
      const mongo = await client(server);
      assert.equal((await mongo.db('admin').command({ ping: 1 })).ok, 1);
    });

    it('when the data directory path is too long to name a socket, the socket is in a private directory in tmpdir and there is still no TCP', async () => {
      const dataDir = path.join(await tempDir(), 'a-data-directory-with-a-rather-long-name'.repeat(3));
      const server = await startServer({ dataDir });
      const socketDir = path.dirname(server.socketPath);
      assert.ok(socketDir.startsWith(path.join(os.tmpdir(), 'carlinkit-store-')), server.socketPath);
      assert.equal((await fs.stat(socketDir)).mode & 0o777, 0o700);
      assert.equal(server.port, null);
      assert.equal(server.tcpUri, null);
      const mongo = await client(server);
      await mongo.db('app').collection('x').insertOne({ durable: true });
      assert.ok((await fs.stat(path.join(dataDir, 'store.journal'))).size > 0);
      await mongo.close();
      clients.length = 0;
      await server.close();
      servers.length = 0;
      await assert.rejects(fs.stat(socketDir), { code: 'ENOENT' });
    });

    it('when closed while a client is connected, close resolves and the socket stops accepting', async () => {
      const server = await startServer();
      const mongo = await client(server);
      await mongo.db('app').collection('x').insertOne({ a: 1 });
      const socketPath = server.socketPath;
      await server.close();
      await assert.rejects(
        new Promise((resolve, reject) =>
          net.connect(socketPath).once('connect', resolve).once('error', reject),
        ),
      );
    });
  });
});
