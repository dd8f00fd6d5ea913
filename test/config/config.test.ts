import assert from 'node:assert/strict';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env, '/srv/bot');
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  assert.fail('expected a ConfigError');
}

describe('loadConfig', () => {
  it('when nothing is set, it runs locally on port 3978 with the embedded store under ./data and no cloud', () => {
    const config = loadConfig({}, '/srv/bot');
    assert.equal(config.http.port, 3978);
    assert.equal(config.store.mongodbUri, undefined);
    assert.equal(config.store.dataDir, path.resolve('/srv/bot', 'data'));
    assert.equal(config.clu, undefined);
    assert.equal(config.botAuth.MicrosoftAppId, undefined);
    assert.equal(config.http.publicBaseUrl, 'http://localhost:3978');
    assert.deepEqual(config.repairs.holidays, []);
    assert.equal(config.repairs.turnaroundBusinessDays, 14);
  });

  it('when a variable is set to an empty string, it is treated as unset', () => {
    const config = loadConfig({ MONGODB_URI: '', MicrosoftAppId: '', CLU_ENDPOINT: '' }, '/srv/bot');
    assert.equal(config.store.mongodbUri, undefined);
    assert.equal(config.botAuth.MicrosoftAppId, undefined);
    assert.equal(config.clu, undefined);
  });

  it('when EMBEDDED_STORE_TCP_PORT is unset or empty the embedded store gets no TCP; set, it listens there (127.0.0.1 unless told); a bad one is named', () => {
    assert.equal(loadConfig({}, '/srv/bot').store.embeddedTcp, undefined);
    assert.equal(loadConfig({ EMBEDDED_STORE_TCP_PORT: '' }, '/srv/bot').store.embeddedTcp, undefined);
    assert.deepEqual(loadConfig({ EMBEDDED_STORE_TCP_PORT: '27017' }, '/srv/bot').store.embeddedTcp, {
      host: '127.0.0.1',
      port: 27017,
    });
    assert.deepEqual(
      loadConfig({ EMBEDDED_STORE_TCP_PORT: '27018', EMBEDDED_STORE_TCP_HOST: '10.0.0.5' }, '/srv/bot').store
        .embeddedTcp,
      { host: '10.0.0.5', port: 27018 },
    );
    const problems = problemsOf({ EMBEDDED_STORE_TCP_PORT: '70000' });
    assert.ok(
      problems.some((p) => p.startsWith('EMBEDDED_STORE_TCP_PORT:')),
      problems.join('\n'),
    );
  });

  it('when values are valid, it parses them into typed settings', () => {
    const config = loadConfig(
      {
        PORT: '8080',
        MONGODB_URI: 'mongodb://db:27017/support',
        PUBLIC_BASE_URL: 'https://support.example.com/',
        REPAIR_HOLIDAYS: '2026-10-01, 2026-10-02',
        CLU_ENDPOINT: 'https://clu.example.com',
        CLU_KEY: 'k',
        CLU_PROJECT_NAME: 'p',
        CLU_DEPLOYMENT_NAME: 'd',
      },
      '/srv/bot',
    );
    assert.equal(config.http.port, 8080);
    assert.equal(config.store.mongodbUri, 'mongodb://db:27017/support');
    assert.equal(config.http.publicBaseUrl, 'https://support.example.com');
    assert.deepEqual(config.repairs.holidays, ['2026-10-01', '2026-10-02']);
    assert.equal(config.clu?.projectName, 'p');
  });

  it('when several values are bad, it names every bad variable and why', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      MONGODB_URI: 'postgres://x',
      LOG_LEVEL: 'loud',
      REPAIR_HOLIDAYS: '1 May',
    });
    assert.ok(
      problems.some((p) => p.startsWith('PORT:')),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => p.startsWith('MONGODB_URI:') && p.includes('mongodb://')),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => p.startsWith('LOG_LEVEL:')),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => p.startsWith('REPAIR_HOLIDAYS') && p.includes('YYYY-MM-DD')),
      problems.join('\n'),
    );
  });

  it('when only part of the CLU settings is set, it names the missing ones', () => {
    const problems = problemsOf({ CLU_ENDPOINT: 'https://clu.example.com', CLU_KEY: 'k' });
    assert.ok(problems.some((p) => p.startsWith('CLU_PROJECT_NAME:')));
    assert.ok(problems.some((p) => p.startsWith('CLU_DEPLOYMENT_NAME:')));
  });

  it('when a MicrosoftAppId has no password, it refuses to start', () => {
    const problems = problemsOf({ MicrosoftAppId: '00000000-0000-0000-0000-000000000001' });
    assert.ok(problems.some((p) => p.startsWith('MicrosoftAppPassword:')));
  });

  it('when Twilio is half configured, it says what is missing', () => {
    const problems = problemsOf({ TWILIO_ACCOUNT_SID: 'AC' + '0'.repeat(32) });
    assert.ok(problems.some((p) => p.startsWith('TWILIO_AUTH_TOKEN:')));
    assert.ok(problems.some((p) => p.startsWith('TWILIO_FROM_NUMBER:')));
  });

  it('when the store is embedded, conversation state is cached (32 MB); with a shared MongoDB it is not, unless asked for', () => {
    assert.equal(loadConfig({}, '/srv/bot').store.stateCacheBytes, 32 * 1024 * 1024);
    const shared = { MONGODB_URI: 'mongodb://db:27017/support' };
    assert.equal(loadConfig(shared, '/srv/bot').store.stateCacheBytes, 0);
    assert.equal(
      loadConfig({ ...shared, STATE_CACHE: 'on', STATE_CACHE_MB: '8' }, '/srv/bot').store.stateCacheBytes,
      8 * 1024 * 1024,
    );
    assert.equal(loadConfig({ STATE_CACHE: 'off' }, '/srv/bot').store.stateCacheBytes, 0);
    assert.equal(loadConfig({ STATE_CACHE_MB: '0' }, '/srv/bot').store.stateCacheBytes, 0);
  });

  it('when the state cache settings are not understood, it names them', () => {
    const problems = problemsOf({ STATE_CACHE: 'sometimes', STATE_CACHE_MB: '-1' });
    assert.ok(
      problems.some((p) => p.startsWith('STATE_CACHE:')),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => p.startsWith('STATE_CACHE_MB:')),
      problems.join('\n'),
    );
  });

  it('when the agent session settings are unset they are 60 idle minutes and 12 hours; set, they are used; bad ones are named', () => {
    assert.deepEqual(loadConfig({}, '/srv/bot').agentSessions, { idleMinutes: 60, maxHours: 12 });
    assert.deepEqual(
      loadConfig({ AGENT_SESSION_IDLE_MINUTES: '15', AGENT_SESSION_MAX_HOURS: '9' }, '/srv/bot')
        .agentSessions,
      { idleMinutes: 15, maxHours: 9 },
    );
    const problems = problemsOf({ AGENT_SESSION_IDLE_MINUTES: '0', AGENT_SESSION_MAX_HOURS: 'long' });
    assert.ok(
      problems.some((problem) => problem.startsWith('AGENT_SESSION_IDLE_MINUTES: ')),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((problem) => problem.startsWith('AGENT_SESSION_MAX_HOURS: ')),
      problems.join('\n'),
    );
  });

  it('when a secret is too short to be safe, it refuses it', () => {
    const problems = problemsOf({ BACKOFFICE_TOKEN: 'short' });
    assert.ok(problems.some((p) => p.startsWith('BACKOFFICE_TOKEN:')));
  });
});
