import assert from 'node:assert/strict';
import { SmsOutboundLog } from '../../../src/services/sms/smsOutboundLog';
import { startTestStore, type TestStore } from '../../support/testStore';

const at = new Date('2026-11-20T10:00:00Z');
const SID = `SM${'f'.repeat(32)}`;

describe('SmsOutboundLog', () => {
  let store: TestStore;
  let log: SmsOutboundLog;
  beforeEach(async () => {
    store = await startTestStore();
    log = new SmsOutboundLog(store.connection);
  });
  afterEach(async () => store.close());

  it('when the same key begins twice before the provider answered, the second attempt is in doubt since the first began; after a provider error, a plain retry; after it answered, already sent', async () => {
    const later = new Date(at.getTime() + 60_000);
    assert.deepEqual(await log.begin('k1', '+8613800138000', 'hi', at), { kind: 'new' });
    assert.deepEqual(await log.begin('k1', '+8613800138000', 'hi', later), { kind: 'in_doubt', since: at });
    await log.attemptFailed('k1', later);
    assert.deepEqual(await log.begin('k1', '+8613800138000', 'hi', later), { kind: 'retry' });
    await log.accepted('k1', SID, 'queued', later);
    assert.deepEqual(await log.begin('k1', '+8613800138000', 'hi', later), {
      kind: 'already_sent',
      providerMessageId: SID,
    });
    assert.equal((await log.get('k1'))?.attempts, 4);
  });

  it('when the status callback arrives before the send was recorded, the delivered status is kept and the details are filled in', async () => {
    assert.equal(
      await log.recordStatus(
        { idempotencyKey: 'k2', providerMessageId: SID, to: '+8613800138000' },
        'delivered',
        undefined,
        at,
      ),
      true,
    );
    await log.recordAccepted(
      { idempotencyKey: 'k2', to: '+8613800138000', body: 'Your repair shipped.' },
      SID,
      'queued',
      at,
    );
    const record = await log.get('k2');
    assert.equal(record?.status, 'delivered');
    assert.equal(record?.body, 'Your repair shipped.');
    assert.equal(record?.providerMessageId, SID);
  });

  it('when a callback carries no key, the record is found by the provider id; an unknown id is reported as not found', async () => {
    await log.recordAccepted({ idempotencyKey: 'k3', to: '+8613800138000', body: 'x' }, SID, 'queued', at);
    assert.equal(await log.recordStatus({ providerMessageId: SID }, 'failed', '30003', at), true);
    assert.equal(
      await log.recordStatus({ providerMessageId: `SM${'0'.repeat(32)}` }, 'failed', undefined, at),
      false,
    );
    const record = await log.get('k3');
    assert.equal(record?.status, 'failed');
    assert.equal(record?.errorCode, '30003');
  });
});
