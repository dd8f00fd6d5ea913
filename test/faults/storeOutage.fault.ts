import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FakeTwilioApi } from '../support/fakeTwilio';
import { ACCOUNT_SID, AUTH_TOKEN, AppProcess, FROM_NUMBER, freePort } from './support/appProcess';
import { SmsChannel, WebChatChannel } from './support/customers';
import { messageSid, postSignedTwilioForm } from '../support/twilioWebhook';
import { recordFigures } from './support/report';

const root = path.resolve(__dirname, '..', '..');

/**
 * The store on its own (`npm run db`), as a separate MongoDB server would run; resolves with the
 * first URI it prints (its owner-only Unix socket, no login needed by the same user).
 */
async function startStore(dataDir: string, port: number): Promise<{ child: ChildProcess; uri: string }> {
  const child = spawn(
    process.execPath,
    ['dist/src/services/store/embedded/cli.js', '--port', String(port), '--host', '127.0.0.1'],
    {
      cwd: root,
      env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'error' },
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  const uri = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the store exited (${code})`)));
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const first = output.split('\n').find((line) => line.startsWith('mongodb://'));
      if (first && output.includes('\n')) resolve(first.trim());
    });
  });
  return { child, uri };
}

async function killStore(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('Faults: the database goes away and comes back', function () {
  this.timeout(0);

  it('when the store is down, customers are told to try again, Twilio gets 5xx, /readyz fails, nothing crashes; it recovers by itself', async () => {
    const storeDir = await mkdtemp(path.join(os.tmpdir(), 'ck-faults-store-'));
    const appDir = await mkdtemp(path.join(os.tmpdir(), 'ck-faults-app-'));
    const storePort = await freePort();
    const twilio = await FakeTwilioApi.start({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
    const first = await startStore(storeDir, storePort);
    let store = first.child;
    const app = new AppProcess({
      dataDir: appDir,
      port: await freePort(),
      twilioBaseUrl: twilio.baseUrl,
      env: { MONGODB_URI: first.uri },
    });
    try {
      await app.start();
      const base = (): string => app.baseUrl;
      const web = await WebChatChannel.open(base);
      const sms = new SmsChannel(base, twilio, '+14155550199');
      // Positive control: both channels answer while the store is up.
      assert.ok(await web.send('how long does a repair take?'));
      assert.ok(await sms.send('how long does a repair take?'));
      await sleep(1_500);
      assert.match((await web.read()).join('\n'), /business days/);
      assert.match((await sms.read()).join('\n'), /business days/);
      await killStore(store);
      const downAt = performance.now();
      // Readiness notices.
      let ready = 200;
      for (let i = 0; i < 50 && ready === 200; i += 1) {
        ready = (await fetch(`${app.baseUrl}/readyz`)).status;
        if (ready === 200) await sleep(100);
      }
      const readyzFailedMs = performance.now() - downAt;
      assert.equal(ready, 503, '/readyz fails while the store is down');

      // A web chat message while the store is down: the POST is refused (the client retries) or the
      // customer is told the bot has trouble; never silence, never a 500 without a message.
      const webPost = await fetch(
        `${app.baseUrl}/v3/directline/conversations/${web.conversationId}/activities`,
        {
          method: 'POST',
          headers: {
            Authorization: `Bearer ${(web as unknown as { token: string }).token}`,
            'Content-Type': 'application/json',
          },
          body: JSON.stringify({ type: 'message', text: 'how much is a repair?' }),
          signal: AbortSignal.timeout(30_000),
        },
      ).catch((error: unknown) => new Response(String(error), { status: 599 }));
      const webStatus = webPost.status;
      const webBody = await webPost.text();

      // An SMS webhook while the store is down: 5xx, so Twilio retries it later.
      const params = {
        MessageSid: messageSid(),
        AccountSid: ACCOUNT_SID,
        From: '+14155550199',
        To: FROM_NUMBER,
        Body: 'how much is a repair?',
        NumMedia: '0',
      };
      const hook = await postSignedTwilioForm({
        localBaseUrl: app.baseUrl,
        publicBaseUrl: app.baseUrl,
        path: '/api/sms',
        authToken: AUTH_TOKEN,
        params,
      });
      const smsStatus = hook.status;
      await hook.arrayBuffer();
      assert.ok(smsStatus >= 500, `the SMS webhook answers 5xx while the store is down (got ${smsStatus})`);
      assert.equal(webStatus, 503, `web chat POST while the store is down: ${webBody}`);
      assert.match(webBody, /trouble on our side[\s\S]*try again in a moment/);
      await sleep(2_000);

      // The store comes back on the same data.
      store = (await startStore(storeDir, storePort)).child;
      const upAt = performance.now();
      for (;;) {
        if ((await fetch(`${app.baseUrl}/readyz`)).status === 200) break;
        assert.ok(performance.now() - upAt < 60_000, '/readyz back within 60 s');
        await sleep(100);
      }
      const recoveredMs = performance.now() - upAt;
      // Twilio retries the same webhook: now accepted, and the turn runs.
      const retried = await postSignedTwilioForm({
        localBaseUrl: app.baseUrl,
        publicBaseUrl: app.baseUrl,
        path: '/api/sms',
        authToken: AUTH_TOKEN,
        params,
      });
      assert.equal(retried.status, 200);
      await retried.arrayBuffer();
      assert.ok(await web.send('how long is the warranty?'));
      await sleep(2_000);
      const webAfter = (await web.read()).join('\n');
      const smsAfter = (await sms.read()).join('\n');
      assert.match(webAfter, /warranty/i, 'web chat answers again');
      assert.match(smsAfter, /repair/i, 'the SMS Twilio retried got its answer');
      assert.deepEqual(app.unexpectedExits, [], 'the app never crashed');

      process.stdout.write(
        `      /readyz failed ${Math.round(readyzFailedMs)} ms after the store died; web chat POST while down: ${webStatus}; SMS webhook: ${smsStatus}; ready again ${Math.round(recoveredMs)} ms after the store returned\n      web chat while down: ${webBody.slice(0, 200)}\n`,
      );
      recordFigures('faults', 'storeOutage', {
        readyzFailedMs: Math.round(readyzFailedMs),
        webChatStatusWhileDown: webStatus,
        smsWebhookStatusWhileDown: smsStatus,
        recoveredMs: Math.round(recoveredMs),
        crashes: app.unexpectedExits.length,
      });
    } finally {
      await app.stop();
      if (store.exitCode === null) await killStore(store);
      await twilio.close();
      await rm(storeDir, { recursive: true, force: true });
      await rm(appDir, { recursive: true, force: true });
    }
  });
});
