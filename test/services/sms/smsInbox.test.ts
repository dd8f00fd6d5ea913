import assert from 'node:assert/strict';
import { SmsInbox, type InboundSms } from '../../../src/services/sms/smsInbox';
import { startTestStore, type TestStore } from '../../support/testStore';

const at = new Date('2026-11-20T10:00:00Z');

function message(sid: string, overrides: Partial<InboundSms> = {}): InboundSms {
  return {
    messageSid: sid,
    accountSid: `AC${'1'.repeat(32)}`,
    from: '+8613800138000',
    to: '+14155550100',
    body: 'my carplay keeps disconnecting',
    media: [],
    receivedAt: at,
    ...overrides,
  };
}

const plus = (ms: number): Date => new Date(at.getTime() + ms);

describe('SmsInbox', () => {
  let store: TestStore;
  let inbox: SmsInbox;
  beforeEach(async () => {
    store = await startTestStore();
    inbox = new SmsInbox(store.connection, { retentionMs: 60_000 });
  });
  afterEach(async () => store.close());

  it('when many messages arrive together, each is stored once and a repeated MessageSid in the same batch is a duplicate', async () => {
    const results = await Promise.all([
      inbox.record(message('SM1'), plus(60_000)),
      inbox.record(message('SM2'), plus(60_000)),
      inbox.record(message('SM1'), plus(60_000)),
      inbox.record(
        message('SM3', { media: [{ url: 'https://x.test/m', contentType: 'image/png' }] }),
        plus(60_000),
      ),
    ]);
    assert.deepEqual(results, ['new', 'new', 'duplicate', 'new']);
    assert.equal(await inbox.record(message('SM2'), plus(60_000)), 'duplicate');
    assert.equal(await inbox.countUnfinished(), 3);
    assert.deepEqual((await inbox.get('SM3'))?.media, [
      { url: 'https://x.test/m', contentType: 'image/png' },
    ]);
  });

  it('when a message is finished, its text is dropped, it stops counting as unfinished, and a replay is still recognised', async () => {
    await inbox.record(message('SM1'), plus(60_000));
    await inbox.finish('SM1', 'done', plus(1_000));
    const entry = await inbox.get('SM1');
    assert.equal(entry?.state, 'done');
    assert.equal(entry?.body, '');
    assert.equal(await inbox.countUnfinished(), 0);
    assert.equal(await inbox.record(message('SM1'), plus(60_000)), 'duplicate');
  });

  it('when leases run out, claimDue hands each message to one caller only, oldest first, skipping what the caller holds', async () => {
    await inbox.record(message('SM-old', { receivedAt: plus(-5_000) }), plus(10_000));
    await inbox.record(message('SM-new'), plus(10_000));
    await inbox.record(message('SM-held'), plus(10_000));
    await inbox.record(message('SM-leased'), plus(120_000));
    const first = await inbox.claimDue(plus(20_000), plus(80_000), 10, (sid) => sid === 'SM-held');
    const second = await inbox.claimDue(plus(20_000), plus(80_000), 10);
    assert.deepEqual(
      first.map((entry) => entry.messageSid),
      ['SM-old', 'SM-new'],
    );
    assert.deepEqual(
      second.map((entry) => entry.messageSid),
      ['SM-held'],
    );
    assert.equal(first[0]?.attempts, 1);
  });

  it('when a lease is renewed, only the holder of the current lease succeeds', async () => {
    await inbox.record(message('SM1'), plus(10_000));
    assert.equal(await inbox.renewLease('SM1', plus(10_000), plus(70_000)), true);
    assert.equal(await inbox.renewLease('SM1', plus(10_000), plus(90_000)), false);
    const [claimed] = await inbox.claimDue(plus(75_000), plus(135_000), 10);
    assert.equal(claimed?.messageSid, 'SM1');
    assert.equal(await inbox.renewLease('SM1', plus(70_000), plus(150_000)), false);
  });

  it('when replies are planned twice, only the first plan counts', async () => {
    await inbox.record(message('SM1'), plus(10_000));
    assert.equal(
      await inbox.planReplies('SM1', 'turn', [{ body: 'first', compliance: false }], plus(1)),
      true,
    );
    assert.equal(
      await inbox.planReplies('SM1', 'turn', [{ body: 'second', compliance: false }], plus(2)),
      false,
    );
    const entry = await inbox.get('SM1');
    assert.equal(entry?.state, 'replying');
    assert.deepEqual(entry?.replies, [{ body: 'first', compliance: false }]);
  });
});
