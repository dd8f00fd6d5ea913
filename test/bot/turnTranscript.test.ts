import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createApp, type App } from '../../src/app';
import { loadConfig } from '../../src/config';
import { memoryLogger } from '../support/silentLogger';

interface ReplyActivity {
  type: string;
  text?: string;
}

describe('The transcript of bot turns (POST /api/messages, the assembled app on the embedded store)', () => {
  let dataDir: string;
  let app: App;
  let base: string;
  const conversationId = (): string => `turns-${randomUUID()}`;

  /** Posts one message activity and returns the replies in the HTTP answer (expectReplies). */
  async function post(conversation: string, activityId: string, text: string): Promise<ReplyActivity[]> {
    const response = await fetch(`${base}/api/messages`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        type: 'message',
        id: activityId,
        text,
        channelId: 'emulator',
        serviceUrl: 'http://127.0.0.1:9',
        conversation: { id: conversation },
        from: { id: 'customer-1', name: 'Customer' },
        recipient: { id: 'bot', name: 'CarlinKit Support' },
        deliveryMode: 'expectReplies',
      }),
    });
    assert.equal(response.status, 200);
    const body = (await response.json()) as { activities?: ReplyActivity[] };
    return (body.activities ?? []).filter((activity) => activity.type === 'message' && activity.text);
  }

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'turn-transcript-'));
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: dataDir });
    app = await createApp(config, { logger: memoryLogger().logger });
    const address = await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${address.port}`;
  });

  afterEach(async () => {
    await app.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('when a turn is answered over HTTP, its message and the bot’s replies are already in the transcript, in order', async () => {
    const id = conversationId();
    const first = await post(id, 'a-1', 'there is no sound from my carplay adapter');
    const second = await post(id, 'a-2', 'U2W Plus');
    // Read at once after the answers: nothing is written after the turn is answered.
    const transcript = (await app.handoff.get(id)).transcript;
    assert.deepEqual(
      transcript.map((entry) => [entry.from, entry.text]),
      [
        ['customer', 'there is no sound from my carplay adapter'],
        ...first.map((reply) => ['bot', reply.text]),
        ['customer', 'U2W Plus'],
        ...second.map((reply) => ['bot', reply.text]),
      ],
    );
    assert.ok(first.length > 0 && second.length > 0);
    const seqs = transcript.map((entry) => entry.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
    );
    assert.equal(new Set(seqs).size, seqs.length);
  });

  it('when the same activity is posted twice (a retried turn), the transcript holds the message and the bot’s replies once', async () => {
    const id = conversationId();
    const replies = await post(id, 'retried-1', 'there is no sound from my carplay adapter');
    // The retry runs the turn again (the bot answers it); the transcript does not grow.
    assert.ok((await post(id, 'retried-1', 'there is no sound from my carplay adapter')).length > 0);
    const transcript = (await app.handoff.get(id)).transcript;
    assert.deepEqual(
      transcript.map((entry) => [entry.from, entry.text]),
      [
        ['customer', 'there is no sound from my carplay adapter'],
        ...replies.map((reply) => ['bot', reply.text]),
      ],
    );
  });
});
