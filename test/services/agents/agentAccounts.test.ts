import { strict as assert } from 'node:assert';
import { AgentAccounts } from '../../../src/services/agents/agentAccounts';
import { agentModel } from '../../../src/services/agents/agentModel';
import { AgentSessions } from '../../../src/services/agents/agentSessions';
import {
  AccountDisabledError,
  AccountExistsError,
  AccountNotFoundError,
  InvalidCredentialsError,
  NoSessionError,
  WeakPasswordError,
} from '../../../src/services/agents/errors';
import { PasswordHasher } from '../../../src/services/agents/passwordHasher';
import { agentSessionModel } from '../../../src/services/agents/sessionModel';
import { ValidationError } from '../../../src/services/errors';
import { FakeClock } from '../../fixtures/tickets';
import { startTestStore, type TestStore } from '../../support/testStore';

/** Cheap parameters keep the suite quick; the parameters are stored with each hash either way. */
const FAST = new PasswordHasher({ N: 2 ** 12, r: 8, p: 1 });
const PASSWORD = 'correct horse battery';

describe('AgentAccounts (store)', () => {
  let store: TestStore;
  let accounts: AgentAccounts;
  let sessions: AgentSessions;
  let clock: FakeClock;

  before(async () => {
    store = await startTestStore();
  });
  after(async () => {
    await store.close();
  });
  beforeEach(async () => {
    await agentModel(store.connection).deleteMany({});
    await agentSessionModel(store.connection).deleteMany({});
    clock = new FakeClock('2026-12-01T09:00:00Z');
    sessions = new AgentSessions({
      connection: store.connection,
      settings: { idleMinutes: 30, maxHours: 8 },
      clock,
    });
    accounts = new AgentAccounts({ connection: store.connection, sessions, hasher: FAST, clock });
    await sessions.init();
    await accounts.init();
  });

  const stored = () => agentModel(store.connection).find({}).lean();

  it('when an agent is added, the email is stored normalised, the password only as a scrypt hash', async () => {
    const view = await accounts.add({
      email: '  Sam@Example.COM ',
      name: ' Sam Lee ',
      role: 'agent',
      password: PASSWORD,
    });
    assert.equal(view.email, 'sam@example.com');
    assert.equal(view.name, 'Sam Lee');
    assert.ok(!('passwordHash' in view));
    const [doc] = await stored();
    assert.equal(doc.email, 'sam@example.com');
    assert.equal(doc.disabled, false);
    assert.equal(doc.createdAt.toISOString(), '2026-12-01T09:00:00.000Z');
    assert.match(doc.passwordHash, /^scrypt\$4096\$8\$1\$/);
    assert.ok(!doc.passwordHash.includes(PASSWORD));
  });

  it('when the same email is added again in other letter case, it is refused and the first account is unchanged', async () => {
    await accounts.add({ email: 'sam@example.com', name: 'Sam', role: 'agent', password: PASSWORD });
    await assert.rejects(
      accounts.add({
        email: 'SAM@example.com',
        name: 'Other',
        role: 'supervisor',
        password: 'another password 2',
      }),
      AccountExistsError,
    );
    const docs = await stored();
    assert.deepEqual(
      docs.map((doc) => [doc.email, doc.name, doc.role]),
      [['sam@example.com', 'Sam', 'agent']],
    );
  });

  for (const [why, password, email] of [
    ['shorter than 12 characters', 'short pass', 'a@example.com'],
    ['one character repeated', 'aaaaaaaaaaaaaaaa', 'a@example.com'],
    ['the email address itself', 'longer.address@example.com', 'longer.address@example.com'],
  ] as const) {
    it(`when the password is ${why}, nothing is stored (a strong one is accepted)`, async () => {
      await assert.rejects(accounts.add({ email, name: 'A', role: 'agent', password }), WeakPasswordError);
      assert.equal((await stored()).length, 0);
      await accounts.add({ email, name: 'A', role: 'agent', password: PASSWORD });
      assert.equal((await stored()).length, 1);
    });
  }

  it('when the email, name or role is bad, it answers a ValidationError naming the field and stores nothing', async () => {
    await assert.rejects(
      accounts.add({ email: 'not-an-email', name: 'A', role: 'agent', password: PASSWORD }),
      (error: unknown) => error instanceof ValidationError && /email/.test(error.message),
    );
    await assert.rejects(
      accounts.add({ email: 'a@example.com', name: 'A', role: 'admin', password: PASSWORD }),
      (error: unknown) => error instanceof ValidationError && /role/.test(error.message),
    );
    await assert.rejects(
      accounts.add({ email: 'a@example.com', name: '<script>', role: 'agent', password: PASSWORD }),
      (error: unknown) => error instanceof ValidationError && /name/.test(error.message),
    );
    assert.equal((await stored()).length, 0);
  });

  it('when the email is unknown or the password wrong, the same error with the same message; the right one signs in', async () => {
    await accounts.add({ email: 'sam@example.com', name: 'Sam', role: 'agent', password: PASSWORD });
    const unknown = await accounts
      .verifyCredentials('nobody@example.com', PASSWORD)
      .catch((error: unknown) => error);
    const wrong = await accounts
      .verifyCredentials('sam@example.com', 'wrong password!!')
      .catch((error: unknown) => error);
    assert.ok(unknown instanceof InvalidCredentialsError);
    assert.ok(wrong instanceof InvalidCredentialsError);
    assert.equal(unknown.message, wrong.message);
    assert.equal((await stored())[0].lastSignInAt, undefined);
    const agent = await accounts.verifyCredentials(' SAM@example.com', PASSWORD);
    assert.equal(agent.email, 'sam@example.com');
    assert.equal((await stored())[0].lastSignInAt?.toISOString(), '2026-12-01T09:00:00.000Z');
  });

  it('when a hash was made with older parameters, a successful sign-in re-hashes it with today’s', async () => {
    await new AgentAccounts({
      connection: store.connection,
      sessions,
      hasher: new PasswordHasher({ N: 2 ** 11, r: 8, p: 1 }),
    }).add({ email: 'old@example.com', name: 'Old', role: 'agent', password: PASSWORD });
    assert.match((await stored())[0].passwordHash, /^scrypt\$2048\$/);
    await accounts.verifyCredentials('old@example.com', PASSWORD);
    assert.match((await stored())[0].passwordHash, /^scrypt\$4096\$/);
    await accounts.verifyCredentials('old@example.com', PASSWORD);
  });

  it('when an account is disabled, its sessions end and sign-in is refused (another agent’s session lives on)', async () => {
    const sam = await accounts.add({
      email: 'sam@example.com',
      name: 'Sam',
      role: 'agent',
      password: PASSWORD,
    });
    const kim = await accounts.add({
      email: 'kim@example.com',
      name: 'Kim',
      role: 'agent',
      password: PASSWORD,
    });
    const samSession = await sessions.create(sam);
    const kimSession = await sessions.create(kim);
    await accounts.disable('Sam@example.com');
    await assert.rejects(sessions.authenticate(samSession.token), NoSessionError);
    assert.equal((await sessions.authenticate(kimSession.token)).agent.email, 'kim@example.com');
    await assert.rejects(accounts.verifyCredentials('sam@example.com', PASSWORD), AccountDisabledError);
    await assert.rejects(
      accounts.verifyCredentials('sam@example.com', 'wrong password!!'),
      InvalidCredentialsError,
    );
    assert.equal((await accounts.list()).find((agent) => agent.email === 'sam@example.com')?.disabled, true);
  });

  it('when an unknown account is disabled, it answers not found and changes nothing', async () => {
    await accounts.add({ email: 'sam@example.com', name: 'Sam', role: 'agent', password: PASSWORD });
    await assert.rejects(accounts.disable('nobody@example.com'), AccountNotFoundError);
    assert.equal((await stored())[0].disabled, false);
  });

  it('when accounts are listed, they come sorted by email without any password hash', async () => {
    await accounts.add({ email: 'zoe@example.com', name: 'Zoe', role: 'supervisor', password: PASSWORD });
    await accounts.add({ email: 'al@example.com', name: 'Al', role: 'agent', password: PASSWORD });
    const list = await accounts.list();
    assert.deepEqual(
      list.map((agent) => [agent.email, agent.role]),
      [
        ['al@example.com', 'agent'],
        ['zoe@example.com', 'supervisor'],
      ],
    );
    assert.ok(list.every((agent) => !JSON.stringify(agent).includes('scrypt')));
  });
});
