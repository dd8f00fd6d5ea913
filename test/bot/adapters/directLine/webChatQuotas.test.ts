import assert from 'node:assert/strict';
import http from 'node:http';
import {
  activities,
  call,
  multipartBody,
  say,
  startConversation,
  startHarness,
  waitForActivities,
  type Harness,
  type StartedConversation,
} from './harness';

/** A JPEG by its magic bytes, of the given size. */
const jpeg = (bytes: number) =>
  Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(bytes - 4, 7)]);

describe('web chat quotas: what one conversation may store', () => {
  let harness: Harness;
  let conversation: StartedConversation;

  async function open(env: Record<string, string>): Promise<void> {
    harness = await startHarness({ env });
    conversation = await startConversation(harness);
    await waitForActivities(harness, conversation, (all) => all.length === 1);
  }

  afterEach(async () => {
    await harness.close();
  });

  const stored = async (collection: string) =>
    harness.store.connection
      .collection(collection)
      .countDocuments({ conversationId: conversation.conversationId });

  function upload(files: Buffer[], activity?: Record<string, unknown>) {
    const parts: Parameters<typeof multipartBody>[0] = files.map((data, index) => ({
      name: 'file',
      filename: `photo${index}.jpg`,
      contentType: 'image/jpeg',
      data,
    }));
    if (activity)
      parts.unshift({
        name: 'activity',
        contentType: 'application/vnd.microsoft.activity',
        data: Buffer.from(JSON.stringify(activity)),
      });
    const { body, contentType } = multipartBody(parts);
    return call<{ id?: string; error?: { code: string; message: string } }>(
      harness,
      'POST',
      `/v3/directline/conversations/${conversation.conversationId}/upload?userId=${conversation.userId}`,
      { token: conversation.token, body, headers: { 'Content-Type': contentType } },
    );
  }

  function post(activity: Record<string, unknown>) {
    return call<{ id?: string; error?: { code: string; message: string } }>(
      harness,
      'POST',
      `/v3/directline/conversations/${conversation.conversationId}/activities`,
      { token: conversation.token, json: activity },
    );
  }

  it('when uploads would pass WEBCHAT_MAX_UPLOAD_MB, it answers 413 and stores no photo, no message and runs no turn', async () => {
    await open({ WEBCHAT_MAX_UPLOAD_MB: '1' });

    const first = await upload([jpeg(600 * 1024)]);
    await waitForActivities(harness, conversation, (all) =>
      all.some((a) => a.text?.startsWith('got 1 photo')),
    );
    const logBefore = await stored('directline_activities');
    const second = await upload([jpeg(600 * 1024)]);

    assert.equal(first.status, 200);
    assert.equal(second.status, 413);
    assert.equal(second.body.error?.code, 'payload_too_large');
    assert.match(second.body.error?.message ?? '', /limit of 1 MB/);
    assert.equal(await stored('directline_uploads'), 1);
    assert.equal(await stored('directline_activities'), logBefore);
    assert.equal(harness.bot.received.filter((a) => a.attachments?.length).length, 1);
  });

  it('when the conversation is at its photo limit, a 30 MB upload is refused with 413 before its body is sent', async () => {
    await open({ WEBCHAT_MAX_PHOTOS: '1' });
    assert.equal((await upload([jpeg(1000)])).status, 200);

    // Declares 30 MB and sends only the first bytes: the answer must not wait for the rest.
    const status = await new Promise<number>((resolve, reject) => {
      const request = http.request(
        `${harness.base}/v3/directline/conversations/${conversation.conversationId}/upload`,
        {
          method: 'POST',
          headers: {
            Authorization: `Bearer ${conversation.token}`,
            'Content-Type': 'multipart/form-data; boundary=x',
            'Content-Length': String(30 * 1024 * 1024),
          },
        },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
          request.destroy();
        },
      );
      request.on('error', reject);
      request.write('--x\r\n');
    });

    assert.equal(status, 413);
    assert.equal(await stored('directline_uploads'), 1);
  });

  it('when photos would pass WEBCHAT_MAX_PHOTOS, it answers 413 and stores none of them', async () => {
    await open({ WEBCHAT_MAX_PHOTOS: '3' });

    const two = await upload([jpeg(1000), jpeg(1000)]);
    const twoMore = await upload([jpeg(1000), jpeg(1000)]);
    const lastOne = await upload([jpeg(1000)]);
    const overLimit = await upload([jpeg(1000)]);

    assert.deepEqual([two.status, twoMore.status, lastOne.status, overLimit.status], [200, 413, 200, 413]);
    assert.match(twoMore.body.error?.message ?? '', /limit of 3 photos/);
    assert.equal(await stored('directline_uploads'), 3);
  });

  it('when the customer passes WEBCHAT_MAX_MESSAGES, it answers 429, stores nothing and runs no turn; a new chat works', async () => {
    await open({ WEBCHAT_MAX_MESSAGES: '3' });

    const allowed = [];
    for (const text of ['one', 'two', 'three']) allowed.push((await say(harness, conversation, text)).status);
    await waitForActivities(harness, conversation, (all) => all.some((a) => a.text === 'echo: three'));
    const logBefore = await stored('directline_activities');
    const fourth = await say(harness, conversation, 'four');
    const fresh = await startConversation(harness);
    const inNewChat = await say(harness, fresh, 'four');

    assert.deepEqual(allowed, [200, 200, 200]);
    assert.equal(fourth.status, 429);
    assert.match(JSON.stringify(fourth.body), /limit of 3 messages/);
    assert.equal(await stored('directline_activities'), logBefore);
    assert.ok(
      !harness.bot.received.some(
        (a) => a.text === 'four' && a.conversation?.id === conversation.conversationId,
      ),
    );
    assert.equal(inNewChat.status, 200);
  });

  for (const field of ['channelData', 'value', 'entities'] as const) {
    it(`when ${field} is over 8 KB, it answers 413 and stores nothing; just under 8 KB is accepted`, async () => {
      await open({});
      const sized = (bytes: number): unknown => {
        const filler = 'x'.repeat(bytes);
        if (field === 'entities') return [{ type: 'note', filler }];
        return { clientActivityID: 'c1', filler };
      };

      const small = await post({ type: 'message', text: 'fits', [field]: sized(7 * 1024) });
      await waitForActivities(harness, conversation, (all) => all.some((a) => a.text === 'echo: fits'));
      const logBefore = await stored('directline_activities');
      const big = await post({ type: 'message', text: 'too big', [field]: sized(9 * 1024) });

      assert.equal(small.status, 200);
      assert.equal(big.status, 413);
      assert.match(big.body.error?.message ?? '', new RegExp(`${field} is \\d+ bytes`));
      assert.equal(await stored('directline_activities'), logBefore);
      assert.ok(!harness.bot.received.some((a) => a.text === 'too big'));
    });
  }

  it('when a 1 MB channelData arrives, the body is refused with 413 before it is parsed, and nothing is stored', async () => {
    await open({});
    const logBefore = await stored('directline_activities');

    const big = await post({
      type: 'message',
      text: 'huge',
      channelData: { filler: 'x'.repeat(1024 * 1024) },
    });

    assert.equal(big.status, 413);
    assert.equal(await stored('directline_activities'), logBefore);
  });

  it("when an upload's activity carries an oversized channelData, it answers 413 and stores no photo", async () => {
    await open({});

    const result = await upload([jpeg(1000)], {
      type: 'message',
      text: 'photo',
      channelData: { filler: 'x'.repeat(9 * 1024) },
    });

    assert.equal(result.status, 413);
    assert.equal(await stored('directline_uploads'), 0);
    assert.equal((await activities(harness, conversation)).activities.length, 1);
  });
});
