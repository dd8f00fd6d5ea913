import assert from 'node:assert/strict';
import {
  activities,
  call,
  multipartBody,
  PNG_1X1,
  say,
  startConversation,
  startHarness,
  StreamClient,
  waitForActivities,
  type Harness,
  type StartedConversation,
} from './harness';

const HOUR = 3600_000;

describe('web chat sessions: absolute lifetime and "End chat"', () => {
  let harness: Harness;

  beforeEach(async () => {
    harness = await startHarness({ env: { DIRECTLINE_SESSION_MAX_HOURS: '2' } });
  });

  afterEach(async () => {
    await harness.close();
  });

  const refresh = (token: string) =>
    call<{ token?: string; expires_in?: number; error?: { message: string } }>(
      harness,
      'POST',
      '/v3/directline/tokens/refresh',
      { token },
    );
  const end = (conversation: { conversationId: string; token: string }) =>
    call(harness, 'POST', `/v3/directline/conversations/${conversation.conversationId}/end`, {
      token: conversation.token,
    });

  describe('DIRECTLINE_SESSION_MAX_HOURS', () => {
    it('when the page keeps refreshing, the tokens stop at the session limit and the conversation refuses them (403)', async () => {
      const conversation = await startConversation(harness);
      let token = conversation.token;
      const lifetimes: number[] = [];
      // Refresh every 50 minutes, as a page left open would (DirectLineJS refreshes every 15).
      for (let step = 1; step <= 2; step += 1) {
        harness.clock.offsetMs = step * 50 * 60_000;
        const refreshed = await refresh(token);
        assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
        token = refreshed.body.token!;
        lifetimes.push(refreshed.body.expires_in!);
      }
      harness.clock.offsetMs = 2 * HOUR;
      const tooLate = await refresh(token);
      const posted = await say(harness, { ...conversation, token }, 'still there?');

      // 60-minute tokens; the second one is cut to the 20 minutes left of the 2 hours.
      assert.equal(lifetimes[0], 3600);
      // (± a second: the wall clock ticks on between the start and the refresh.)
      assert.ok(lifetimes[1] >= 1198 && lifetimes[1] <= 1200, `second token lives ${lifetimes[1]} s`);
      assert.equal(tooLate.status, 403);
      assert.match(tooLate.body.error?.message ?? '', /time limit/);
      assert.equal(posted.status, 403);
    });
  });

  describe('End chat', () => {
    let conversation: StartedConversation;

    beforeEach(async () => {
      conversation = await startConversation(harness);
      await waitForActivities(harness, conversation, (all) => all.length === 1);
    });

    it('when the customer ends the chat, its token is refused everywhere with 403 and nothing more is stored', async () => {
      // Positive control: the token works before.
      assert.equal((await say(harness, conversation, 'hello')).status, 200);
      const before = await waitForActivities(harness, conversation, (all) =>
        all.some((a) => a.text === 'echo: hello'),
      );

      const ended = await end(conversation);
      const path = `/v3/directline/conversations/${conversation.conversationId}`;
      const statuses = {
        post: (await say(harness, conversation, 'after the end')).status,
        get: (await call(harness, 'GET', `${path}/activities`, { token: conversation.token })).status,
        resume: (await call(harness, 'GET', path, { token: conversation.token })).status,
        refresh: (await refresh(conversation.token)).status,
        restart: (
          await call(harness, 'POST', '/v3/directline/conversations', { token: conversation.token, json: {} })
        ).status,
        again: (await end(conversation)).status,
      };

      assert.equal(ended.status, 204);
      assert.deepEqual(statuses, {
        post: 403,
        get: 403,
        resume: 403,
        refresh: 403,
        restart: 403,
        again: 204,
      });
      const stored = await harness.store.connection
        .collection('directline_activities')
        .countDocuments({ conversationId: conversation.conversationId });
      assert.equal(stored, before.length);
      assert.ok(!harness.bot.received.some((a) => a.text === 'after the end'));
    });

    it("when the customer ends the chat, its open stream closes; another customer's chat carries on", async () => {
      const other = await startConversation(harness);
      const stream = await StreamClient.open(conversation.streamUrl);
      await stream.waitFor((all) => all.length >= 1);

      await end(conversation);
      const closed = await stream.closed;
      const otherPost = await say(harness, other, 'I am still here');

      assert.equal(closed.code, 4403);
      assert.equal(otherPost.status, 200);
      await waitForActivities(harness, other, (all) => all.some((a) => a.text === 'echo: I am still here'));
      // Reopening the stream with its (still unexpired) stream token gets nothing and is closed.
      const reopened = await StreamClient.open(conversation.streamUrl);
      assert.equal((await reopened.closed).code, 4403);
      assert.deepEqual(reopened.activities, []);
    });

    it('when the chat has ended, its token no longer reads its photos; the back office still does', async () => {
      const { body, contentType } = multipartBody([
        { name: 'file', filename: 'led.png', contentType: 'image/png', data: PNG_1X1 },
      ]);
      const uploaded = await call<{ id: string }>(
        harness,
        'POST',
        `/v3/directline/conversations/${conversation.conversationId}/upload`,
        { token: conversation.token, body, headers: { 'Content-Type': contentType } },
      );
      await waitForActivities(harness, conversation, (all) => all.some((a) => a.id === uploaded.body.id));
      const url = harness.bot.received.find((a) => a.id === uploaded.body.id)?.attachments?.[0]?.contentUrl;
      assert.ok(url);
      const path = new URL(url).pathname;
      const before = await call(harness, 'GET', path, { token: conversation.token });

      await end(conversation);
      const customer = await call(harness, 'GET', path, { token: conversation.token });
      const backOffice = await call(harness, 'GET', path, { token: 'backoffice-token-for-tests-0123456789' });

      assert.equal(before.status, 200);
      assert.equal(customer.status, 403);
      assert.equal(backOffice.status, 200);
    });

    it('when someone without the conversation token tries to end it, it answers 401/403 and the chat goes on', async () => {
      const stranger = await startConversation(harness);

      const noToken = await call(
        harness,
        'POST',
        `/v3/directline/conversations/${conversation.conversationId}/end`,
      );
      const wrongToken = await end({ conversationId: conversation.conversationId, token: stranger.token });
      const stillWorks = await say(harness, conversation, 'hello again');

      assert.equal(noToken.status, 401);
      assert.equal(wrongToken.status, 403);
      assert.equal(stillWorks.status, 200);
      assert.ok((await activities(harness, conversation)).activities.length >= 2);
    });
  });
});
