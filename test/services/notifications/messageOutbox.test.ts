import { strict as assert } from 'node:assert';
import { CombinedOutbox } from '../../../src/services/notifications/combinedOutbox';
import { MessageOutbox } from '../../../src/services/notifications/messageOutbox';
import {
  NotificationDispatcher,
  type DispatcherOptions,
} from '../../../src/services/notifications/notificationDispatcher';
import { OutboundMessages } from '../../../src/services/notifications/outboundMessages';
import { SmsSendError } from '../../../src/services/notifications/smsSender';
import { ticketModel } from '../../../src/services/tickets/ticketModel';
import { TicketOutbox } from '../../../src/services/tickets/ticketOutbox';
import { FakeClock, FakeSmsSender, makeTicketService, registration } from '../../fixtures/tickets';
import { memoryLogger } from '../../support/silentLogger';
import { startTestStore, type TestStore } from '../../support/testStore';

const CUSTOMER = '+8613800138000';
const outage = (): SmsSendError => new SmsSendError('Twilio answered 503', 'provider_unavailable', true, 503);

describe('the one outbox: messages and ticket SMS through one dispatcher', () => {
  let store: TestStore;
  let clock: FakeClock;
  let sms: FakeSmsSender;
  let messages: MessageOutbox;

  before(async () => {
    store = await startTestStore();
  });

  after(async () => {
    await store.close();
  });

  beforeEach(async () => {
    await ticketModel(store.connection).deleteMany({});
    await store.connection.collection('outbox').deleteMany({});
    clock = new FakeClock('2026-11-16T02:00:00Z');
    sms = new FakeSmsSender();
    messages = new MessageOutbox(store.connection);
  });

  const dispatcher = (options: DispatcherOptions = {}) =>
    new NotificationDispatcher(
      {
        outbox: new CombinedOutbox([new TicketOutbox(store.connection), messages]),
        sms,
        logger: memoryLogger().logger,
      },
      { clock, random: () => 1, backoffBaseMs: 10_000, ...options },
    );
  const reply = (id: string, body: string) => ({
    id,
    kind: 'reply' as const,
    to: CUSTOMER,
    body,
    orderKey: CUSTOMER,
  });

  it('when a ticket SMS and a reply are both due, one dispatcher sends both, each once, with its own idempotency key', async () => {
    const { service } = makeTicketService(store.connection, { clock });
    await service.init();
    const ticket = await service.register(registration(), {
      idempotencyKey: 'outbox-key-1',
      actor: 'customer',
    });
    await messages.enqueue([reply('reply:SM1:0', 'you said: hi')], { now: clock.now() });

    const report = await dispatcher().runOnce();

    assert.equal(report.sent, 2);
    assert.deepEqual(
      sms.sent.map((message) => message.idempotencyKey).sort(),
      [(await service.get(ticket.ticketNumber)).notifications?.[0]?.id, 'reply:SM1:0'].sort(),
    );
    assert.equal((await dispatcher().runOnce()).claimed, 0);
    assert.equal(await messages.countUnfinished(), 0);
  });

  it('when the same message id is enqueued twice (a turn handed over again after a crash), it is stored and sent once', async () => {
    const worker = dispatcher();
    const outbound = new OutboundMessages({ outbox: messages, dispatcher: worker, clock });
    const first = await outbound.send([reply('reply:SM2:0', 'once')]);
    const second = await outbound.send([reply('reply:SM2:0', 'once')]);
    assert.deepEqual(
      first.map((result) => result.outcome),
      ['sent'],
    );
    assert.deepEqual(second, [], 'nothing new to deliver');
    assert.equal((await worker.runOnce()).claimed, 0);
    assert.equal(sms.calls.length, 1);
  });

  it('when the first of two replies to a number fails for a while, the second never overtakes it, and both go out once with the one retry policy', async () => {
    const worker = dispatcher();
    const outbound = new OutboundMessages({ outbox: messages, dispatcher: worker, clock });
    sms.failures = [outage()];
    const results = await outbound.send([
      reply('reply:SM3:0', 'first part'),
      reply('reply:SM3:1', 'second part'),
    ]);
    assert.deepEqual(
      results.map((result) => result.outcome),
      ['retrying', 'released'],
    );

    assert.equal((await worker.runOnce()).sent, 0, 'the second waits behind the first, due in 10 s');
    clock.advance(10_000);
    assert.equal((await worker.runOnce()).sent, 2);
    assert.deepEqual(
      sms.sent.map((message) => message.body),
      ['first part', 'second part'],
    );
    assert.equal(sms.calls.length, 3);
  });

  it('when a reply to a number is still waiting for a retry, the next turn’s reply to that number waits behind it instead of overtaking it', async () => {
    const worker = dispatcher();
    const outbound = new OutboundMessages({ outbox: messages, dispatcher: worker, clock });
    sms.failures = [outage()];
    assert.deepEqual(
      (await outbound.send([reply('reply:SM6:0', 'earlier')])).map((result) => result.outcome),
      ['retrying'],
    );

    assert.deepEqual(await outbound.send([reply('reply:SM7:0', 'later')]), [], 'not sent now');
    assert.equal((await worker.runOnce()).sent, 0);
    clock.advance(10_000);
    assert.equal((await worker.runOnce()).sent, 2);
    assert.deepEqual(
      sms.sent.map((message) => message.body),
      ['earlier', 'later'],
    );
  });

  it('when an instance dies holding replies, its restart sends them at once, while two live dispatchers never send one twice', async () => {
    await messages.enqueue(
      [
        reply('reply:SM4:0', 'held'),
        { ...reply('reply:SM5:0', 'other'), to: '+447700900123', orderKey: '+447700900123' },
      ],
      {
        now: clock.now(),
        leasedTo: { owner: 'instance-1', leaseMs: 30_000 },
      },
    );
    const live = dispatcher({ owner: 'instance-2' });
    assert.equal(
      (await live.runOnce()).claimed,
      0,
      'control: the dead instance’s lease is respected by others',
    );

    const restarted = dispatcher({ owner: 'instance-1' });
    assert.equal(await restarted.recover(), 2);
    const reports = await Promise.all([
      restarted.runOnce(),
      live.runOnce(),
      restarted.runOnce(),
      live.runOnce(),
    ]);

    assert.equal(
      reports.reduce((sum, report) => sum + report.sent, 0),
      2,
    );
    assert.equal(sms.calls.length, 2);
    assert.equal(new Set(sms.calls.map((message) => message.idempotencyKey)).size, 2);
  });
});
