import assert from 'node:assert/strict';
import { promises as fs, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import pino from 'pino';
import { loadConfig } from '../../../src/config';
import { uriWithCredentials } from '../../../src/services/store/embedded/auth/storeCredentials';
import { openDatabase, type Database } from '../../../src/services/store/database';

/** TCP ports this process listens on (Linux: /proc/net/tcp{,6} entries in LISTEN whose socket is one of our fds). */
function listeningTcpPorts(): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (match) inodes.add(match[1]);
    } catch {
      // The fd closed while we looked.
    }
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.trim().split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [, local, , state] = fields;
      if (state === '0A' && inodes.has(fields[9])) ports.push(parseInt(local.split(':')[1], 16));
    }
  }
  return ports.sort((a, b) => a - b);
}

describe('openDatabase with the embedded store', function () {
  // The store runs on its worker thread, as in production: loading it from sources takes a while.
  this.timeout(60_000);
  let dataDir: string;
  let database: Database | undefined;
  const clients: MongoClient[] = [];
  let lines: Array<Record<string, unknown>>;
  let logger: pino.Logger;

  beforeEach(async () => {
    dataDir = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'app-store-')), 'data');
    lines = [];
    logger = pino(
      { level: 'debug' },
      { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
    );
  });

  afterEach(async () => {
    for (const mongo of clients.splice(0)) await mongo.close(true);
    await database?.close();
    database = undefined;
    await fs.rm(path.dirname(dataDir), { recursive: true, force: true });
  });

  async function connect(uri: string): Promise<MongoClient> {
    const mongo = new MongoClient(uri, { serverSelectionTimeoutMS: 2_000 });
    clients.push(mongo);
    await mongo.connect();
    return mongo;
  }

  it('when started with the default settings, the app reaches its store over the Unix socket and the store listens on no TCP port', async function () {
    if (process.platform !== 'linux') this.skip();
    const before = listeningTcpPorts();
    const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir });
    assert.equal(config.store.embeddedTcp, undefined);
    database = await openDatabase(config.store, logger);
    assert.equal(database.safeUri, `mongodb://${encodeURIComponent(path.join(dataDir, 'store.sock'))}/`);
    assert.equal(await database.ping(), true, 'the store answers through the socket');
    assert.deepEqual(listeningTcpPorts(), before);
    await assert.rejects(fs.stat(path.join(dataDir, 'store-credentials.json')), { code: 'ENOENT' });
  });

  it('when EMBEDDED_STORE_TCP_PORT is set, TCP needs the login generated into DATA_DIR (0600), whose password is never logged', async function () {
    if (process.platform !== 'linux') this.skip();
    const before = listeningTcpPorts();
    const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, EMBEDDED_STORE_TCP_PORT: '0' });
    database = await openDatabase(config.store, logger);
    const opened = listeningTcpPorts().filter((port) => !before.includes(port));
    assert.equal(opened.length, 1, 'one TCP listener');
    assert.ok(database.safeUri.includes('store.sock'), 'the app itself still uses the socket');

    const file = path.join(dataDir, 'store-credentials.json');
    assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
    assert.equal((await fs.stat(dataDir)).mode & 0o777, 0o700);
    const login = JSON.parse(await fs.readFile(file, 'utf8')) as { username: string; password: string };
    assert.ok(!JSON.stringify(lines).includes(login.password), 'the password is not in the log');
    const announced = lines.find((line) => String(line.msg).includes('TCP login generated'));
    assert.equal(announced?.credentials, file);

    const tcpUri = `mongodb://127.0.0.1:${opened[0]}/`;
    const anonymous = await connect(tcpUri);
    await assert.rejects(
      anonymous.db('carlinkit').collection('tickets').findOne({}),
      (error: unknown) => (error as { code?: number }).code === 13,
    );
    const authenticated = await connect(uriWithCredentials(tcpUri, login));
    assert.equal(await authenticated.db('carlinkit').collection('tickets').findOne({}), null);
  });

  it('when the app starts again on the same DATA_DIR, it keeps the login it generated the first time', async () => {
    const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, EMBEDDED_STORE_TCP_PORT: '0' });
    database = await openDatabase(config.store, logger);
    const file = path.join(dataDir, 'store-credentials.json');
    const first = await fs.readFile(file, 'utf8');
    await database.close();
    lines.length = 0;
    database = await openDatabase(config.store, logger);
    assert.equal(await fs.readFile(file, 'utf8'), first);
    assert.ok(lines.some((line) => String(line.msg).includes('requires the login in the credentials file')));
  });
});
