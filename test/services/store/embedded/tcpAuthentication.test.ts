import assert from 'node:assert/strict';
import { MongoClient } from 'mongodb';
import mongoose from 'mongoose';
import pino from 'pino';
import { uriWithCredentials } from '../../../../src/services/store/embedded/auth/storeCredentials';
import { EmbeddedMongoServer } from '../../../../src/services/store/embedded/embeddedMongoServer';

const LOGIN = { username: 'carlinkit', password: 'Zq3-vX9_kP2mT7wR4yL8nB6cJ1hF5dG0' };

function isCode(code: number): (error: unknown) => boolean {
  return (error) => (error as { code?: number }).code === code;
}

describe('embedded store over TCP: SCRAM-SHA-256 login', () => {
  let server: EmbeddedMongoServer;
  let tcpUri: string;
  const clients: MongoClient[] = [];
  const logLines: Array<Record<string, unknown>> = [];

  before(async () => {
    const logger = pino(
      { level: 'debug' },
      { write: (line: string) => logLines.push(JSON.parse(line) as Record<string, unknown>) },
    );
    server = new EmbeddedMongoServer({ dataDir: null, thread: 'inline', tcp: { port: 0, ...LOGIN }, logger });
    await server.start();
    tcpUri = server.tcpUri!;
  });

  afterEach(async () => {
    for (const mongo of clients.splice(0)) await mongo.close(true);
  });

  after(async () => {
    await server.close();
  });

  async function connect(uri: string): Promise<MongoClient> {
    const mongo = new MongoClient(uri, { serverSelectionTimeoutMS: 2_000, connectTimeoutMS: 2_000 });
    clients.push(mongo);
    await mongo.connect();
    return mongo;
  }

  async function owner(): Promise<MongoClient> {
    return connect(server.localUri);
  }

  it('when a TCP client without credentials reads or writes, it gets 13 Unauthorized and nothing changes; with the login the same commands work', async () => {
    const seeded = await owner();
    await seeded
      .db('carlinkit')
      .collection('tickets')
      .insertOne({ ticketNumber: 'RMA-1', phone: '+15550100' });

    const anonymous = await connect(tcpUri);
    const tickets = anonymous.db('carlinkit').collection('tickets');
    await assert.rejects(tickets.find({}).toArray(), (error: unknown) => {
      const { code, codeName, message } = error as { code?: number; codeName?: string; message?: string };
      return code === 13 && codeName === 'Unauthorized' && /requires authentication/.test(message ?? '');
    });
    await assert.rejects(
      anonymous.db('carlinkit').collection('ticketoutboxes').insertOne({ to: '+15559999', body: 'x' }),
      isCode(13),
    );
    await assert.rejects(anonymous.db('admin').command({ listDatabases: 1 }), isCode(13));
    assert.equal(await seeded.db('carlinkit').collection('ticketoutboxes').countDocuments(), 0);

    const authenticated = await connect(uriWithCredentials(tcpUri, LOGIN));
    const same = authenticated.db('carlinkit');
    assert.deepEqual(
      (await same.collection('tickets').find({}).toArray()).map((doc) => doc.ticketNumber as string),
      ['RMA-1'],
    );
    await same.collection('ticketoutboxes').insertOne({ to: '+15559999', body: 'x' });
    assert.equal(await seeded.db('carlinkit').collection('ticketoutboxes').countDocuments(), 1);
    const status = await authenticated.db('admin').command({ connectionStatus: 1 });
    assert.deepEqual((status.authInfo as { authenticatedUsers: unknown }).authenticatedUsers, [
      { user: 'carlinkit', db: 'admin' },
    ]);
    await same.collection('ticketoutboxes').deleteMany({});
  });

  it('when a TCP client has not logged in, the handshake commands MongoDB allows before a login are answered', async () => {
    const anonymous = await connect(tcpUri);
    const admin = anonymous.db('admin');
    for (const command of [
      { hello: 1 },
      { isMaster: 1 },
      { ping: 1 },
      { buildInfo: 1 },
      { connectionStatus: 1 },
    ]) {
      assert.equal((await admin.command(command)).ok, 1, JSON.stringify(command));
    }
    const status = await admin.command({ connectionStatus: 1 });
    assert.deepEqual((status.authInfo as { authenticatedUsers: unknown }).authenticatedUsers, []);
    const hello = await admin.command({ hello: 1, saslSupportedMechs: 'admin.carlinkit' });
    assert.deepEqual(hello.saslSupportedMechs, ['SCRAM-SHA-256']);
  });

  it('when the password is wrong, the login is refused with 18 AuthenticationFailed; the right one in the same URI shape succeeds', async () => {
    await assert.rejects(
      connect(uriWithCredentials(tcpUri, { ...LOGIN, password: `${LOGIN.password}x` })),
      (error: unknown) => {
        const { code, message } = error as { code?: number; message?: string };
        return code === 18 && /Authentication failed/.test(message ?? '');
      },
    );
    const good = await connect(uriWithCredentials(tcpUri, LOGIN));
    assert.equal((await good.db('admin').command({ ping: 1 })).ok, 1);
    assert.ok(
      logLines.some(
        (line) => line.msg === 'embedded store: authentication failed' && line.reason === 'wrong password',
      ),
    );
    assert.ok(!JSON.stringify(logLines).includes(LOGIN.password), 'the password never reaches the log');
  });

  it('when the username is unknown or the login is made against another database, it is refused with 18', async () => {
    await assert.rejects(connect(uriWithCredentials(tcpUri, { ...LOGIN, username: 'root' })), isCode(18));
    const otherSource = uriWithCredentials(tcpUri, LOGIN).replace('authSource=admin', 'authSource=carlinkit');
    await assert.rejects(connect(otherSource), isCode(18));
  });

  it('when the driver picks the mechanism itself (no authMechanism), it negotiates SCRAM-SHA-256 and logs in; SCRAM-SHA-1 is refused', async () => {
    const negotiated = uriWithCredentials(tcpUri, LOGIN).replace('&authMechanism=SCRAM-SHA-256', '');
    assert.ok(!negotiated.includes('authMechanism'));
    const mongo = await connect(negotiated);
    assert.equal((await mongo.db('admin').command({ ping: 1 })).ok, 1);
    const sha1 = uriWithCredentials(tcpUri, LOGIN).replace('SCRAM-SHA-256', 'SCRAM-SHA-1');
    await assert.rejects(connect(sha1), isCode(334));
  });

  it('when mongoose connects over TCP, it needs the login too: without it a query gets 13, with it the same query answers', async () => {
    const without = mongoose.createConnection(tcpUri, {
      dbName: 'carlinkit',
      serverSelectionTimeoutMS: 2_000,
    });
    const withLogin = mongoose.createConnection(uriWithCredentials(tcpUri, LOGIN), {
      dbName: 'carlinkit',
      serverSelectionTimeoutMS: 2_000,
    });
    try {
      await without.asPromise();
      await withLogin.asPromise();
      await assert.rejects(without.collection('tickets').countDocuments(), isCode(13));
      assert.equal(typeof (await withLogin.collection('tickets').countDocuments()), 'number');
    } finally {
      await without.close();
      await withLogin.close();
    }
  });

  it('when a saslContinue arrives with no saslStart before it, it is refused and the connection stays unauthenticated', async () => {
    const anonymous = await connect(tcpUri);
    const admin = anonymous.db('admin');
    await assert.rejects(
      admin.command({ saslContinue: 1, conversationId: 1, payload: Buffer.from('c=biws,r=x,p=AAAA') }),
      isCode(17),
    );
    await assert.rejects(admin.command({ listDatabases: 1 }), isCode(13));
  });

  it('when the password is not ASCII, it is SASLprep-ed as the driver does, so the same string logs in', async () => {
    // U+00AD (soft hyphen) maps to nothing and U+00A0 (no-break space) to a space under SASLprep.
    const unicode = { username: 'carlinkit', password: 'pässwörd\u00ADkennung\u00A0für-den-test' };
    const other = new EmbeddedMongoServer({ dataDir: null, thread: 'inline', tcp: { port: 0, ...unicode } });
    await other.start();
    try {
      const mongo = await connect(uriWithCredentials(other.tcpUri!, unicode));
      assert.equal((await mongo.db('admin').command({ ping: 1 })).ok, 1);
      await assert.rejects(
        connect(uriWithCredentials(other.tcpUri!, { ...unicode, password: 'passwort-kennung-fur-den-test' })),
        isCode(18),
      );
    } finally {
      for (const mongo of clients.splice(0)) await mongo.close(true);
      await other.close();
    }
  });

  it('when the same command comes over the Unix socket (owner-only), it needs no login', async () => {
    const local = await owner();
    assert.equal((await local.db('admin').command({ listDatabases: 1 })).ok, 1);
  });
});
