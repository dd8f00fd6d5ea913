import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import {
  NotificationDispatcher,
  type DispatcherOptions,
} from '../../../src/services/notifications/notificationDispatcher';
import { SmsSendError } from '../../../src/services/notifications/smsSender';
import { EmbeddedMongoServer } from '../../../src/services/store/embedded/embeddedMongoServer';
import { ticketModel, type TicketDoc } from '../../../src/services/tickets/ticketModel';
import { TicketOutbox } from '../../../src/services/tickets/ticketOutbox';
import type { TicketService } from '../../../src/services/tickets/ticketService';
import {
  FakeClock,
  FakeSmsSender,
  MAILING_ADDRESS,
  makeTicketService,
  registration,
} from '../../fixtures/tickets';
import { memoryLogger } from '../../support/silentLogger';
import { startTestStore, type TestStore } from '../../support/testStore';

const outage = (): SmsSendError => new SmsSendError('Twilio answered 503', 'provider_unavailable', true, 503);

describe('NotificationDispatcher (outbox on the embedded store)', () => {
  let store: TestStore;
  let clock: FakeClock;
  let service: TicketService;
  let sms: FakeSmsSender;

  before(async () => {
    store = await startTestStore();
  });

  after(async () => {
    await store.close();
  });

  beforeEach(async () => {
    await ticketModel(store.connection).deleteMany({});
    clock = new FakeClock('2026-11-16T02:00:00Z');
    ({ service } = makeTicketService(store.connection, { clock }));
    await service.init();
    sms = new FakeSmsSender();
  });

  const dispatcher = (options: DispatcherOptions = {}, logger = memoryLogger()) =>
    new NotificationDispatcher(
      { outbox: new TicketOutbox(store.connection), sms, logger: logger.logger },
      { clock, random: () => 1, backoffBaseMs: 10_000, ...options },
    );
  const outboxOf = async (ticketNumber: string): Promise<TicketDoc['outbox']> =>
    (await ticketModel(store.connection).findOne({ ticketNumber }).lean<TicketDoc>().exec())!.outbox;
  const register = () =>
    service.register(registration(), {
      idempotencyKey: `k-${Math.random().toString(36).slice(2)}`,
      actor: 'customer',
    });

  it('when a ticket is registered, its SMS goes to the customer once, keyed by the notification id, and is recorded as sent', async () => {
    const ticket = await register();
    const report = await dispatcher().runOnce();

    assert.equal(report.sent, 1);
    assert.equal(sms.sent.length, 1);
    assert.equal(sms.sent[0]?.to, '+14155550100');
    assert.match(sms.sent[0]?.body ?? '', new RegExp(ticket.ticketNumber));
    const [entry] = await outboxOf(ticket.ticketNumber);
    assert.equal(entry?.status, 'sent');
    assert.equal(sms.sent[0]?.idempotencyKey, entry?.id);
    assert.match(entry?.providerMessageId ?? '', /^SM/);
    assert.equal((await dispatcher().runOnce()).claimed, 0, 'nothing left to send');
    assert.equal(sms.calls.length, 1);
  });

  it('when Twilio is down, notifications wait with growing backoff and all go out once it is back', async () => {
    const tickets = await Promise.all([register(), register(), register()]);
    sms.failures = [outage(), outage(), outage()];
    const worker = dispatcher();

    assert.deepEqual(await worker.runOnce(), {
      claimed: 3,
      sent: 0,
      retrying: 3,
      failed: 0,
      suppressed: 0,
      released: 0,
    });
    for (const ticket of tickets) {
      const [entry] = await outboxOf(ticket.ticketNumber);
      assert.equal(entry?.status, 'pending');
      assert.equal(entry?.attempts, 1);
      assert.equal(entry?.lastError, 'provider_unavailable (503)');
      assert.equal(entry?.nextAttemptAt?.getTime(), clock.now().getTime() + 10_000);
    }
    assert.equal((await worker.runOnce()).claimed, 0, 'not before the backoff');

    clock.advance(10_000);
    sms.failures = [outage(), outage(), outage()];
    await worker.runOnce();
    assert.equal(
      (await outboxOf(tickets[0].ticketNumber))[0]?.nextAttemptAt?.getTime(),
      clock.now().getTime() + 20_000,
      'doubled',
    );

    clock.advance(20_000);
    assert.equal((await worker.runOnce()).sent, 3);
    assert.equal(sms.sent.length, 3);
    for (const ticket of tickets) assert.equal((await outboxOf(ticket.ticketNumber))[0]?.status, 'sent');
  });

  it('when Twilio asks to wait longer than the backoff (Retry-After), the retry waits that long', async () => {
    const ticket = await register();
    sms.failures = [new SmsSendError('Twilio 429', 'rate_limited', true, 20429, 120_000)];
    await dispatcher().runOnce();
    const [entry] = await outboxOf(ticket.ticketNumber);
    assert.equal(entry?.status, 'pending');
    assert.equal(entry?.nextAttemptAt?.getTime(), clock.now().getTime() + 120_000);
  });

  it('when the backoff is computed, it doubles per attempt, is capped, and jitter keeps it between 50 % and 100 %', () => {
    const fixed = (random: number) =>
      dispatcher({ random: () => random, backoffBaseMs: 1_000, backoffMaxMs: 8_000 });
    assert.deepEqual(
      [1, 2, 3, 4, 5, 9].map((attempt) => fixed(1).backoffMs(attempt)),
      [1_000, 2_000, 4_000, 8_000, 8_000, 8_000],
    );
    assert.equal(fixed(0).backoffMs(3), 2_000);
    assert.equal(fixed(0.5).backoffMs(3), 3_000);
  });

  it('when every attempt fails, the notification ends as failed after maxAttempts, is logged without personal data, and can be re-queued', async () => {
    const ticket = await register();
    const logs = memoryLogger();
    const worker = dispatcher({ maxAttempts: 3 }, logs);
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      sms.failures = [outage()];
      await worker.runOnce();
      clock.advance(3_600_000);
    }
    const [entry] = await outboxOf(ticket.ticketNumber);
    assert.equal(entry?.status, 'failed');
    assert.equal(entry?.attempts, 3);
    assert.equal((await worker.runOnce()).claimed, 0, 'a failed notification is not retried by itself');
    const log = logs.lines.join('\n');
    assert.match(log, /notification failed after the last attempt/);
    assert.match(log, new RegExp(ticket.ticketNumber));
    assert.ok(!log.includes('4155550100'), 'no phone number in the logs');
    assert.ok(!log.includes('CarlinKit: we got'), 'no SMS text in the logs');

    const view = await service.retryNotification(ticket.ticketNumber, entry.id, { actor: 'agent:mei' });
    assert.equal(view.notifications?.[0]?.status, 'pending');
    assert.equal((await worker.runOnce()).sent, 1);
    assert.equal((await outboxOf(ticket.ticketNumber))[0]?.status, 'sent');
  });

  it('when SMS is not configured at all, notifications keep waiting past maxAttempts instead of failing', async () => {
    const ticket = await register();
    const worker = dispatcher({ maxAttempts: 2, backoffMaxMs: 60_000 });
    for (let attempt = 0; attempt < 4; attempt += 1) {
      sms.failures = [new SmsSendError('SMS is not configured', 'not_configured', true)];
      assert.equal((await worker.runOnce()).retrying, 1);
      clock.advance(60_000);
    }
    const [entry] = await outboxOf(ticket.ticketNumber);
    assert.equal(entry?.status, 'pending');
    assert.equal(entry?.attempts, 4);
    assert.equal((await worker.runOnce()).sent, 1, 'once SMS works, it goes out');
  });

  it('when the customer has opted out, the notification is suppressed at once and never retried', async () => {
    const ticket = await register();
    sms.failures = [new SmsSendError('Recipient opted out (STOP)', 'opted_out', false, 21610)];
    assert.equal((await dispatcher().runOnce()).suppressed, 1);
    clock.advance(86_400_000);
    assert.equal((await dispatcher().runOnce()).claimed, 0);
    assert.equal((await outboxOf(ticket.ticketNumber))[0]?.status, 'suppressed');
    assert.equal(sms.calls.length, 1);
  });

  it('when the sender throws something unexpected, it is treated as temporary and retried', async () => {
    const ticket = await register();
    sms.failures = [new Error('socket hang up')];
    assert.equal((await dispatcher().runOnce()).retrying, 1);
    assert.equal((await outboxOf(ticket.ticketNumber))[0]?.lastError, 'unknown');
  });

  it('when two dispatchers poll at the same time, each notification is sent exactly once', async () => {
    const tickets = await Promise.all(Array.from({ length: 12 }, () => register()));
    const first = dispatcher({ owner: 'a', batchSize: 50 });
    const second = dispatcher({ owner: 'b', batchSize: 50 });
    for (let round = 0; round < 5; round += 1) await Promise.all([first.runOnce(), second.runOnce()]);
    assert.equal(sms.sent.length, 12);
    assert.equal(new Set(sms.sent.map((message) => message.idempotencyKey)).size, 12);
    for (const ticket of tickets) assert.equal((await outboxOf(ticket.ticketNumber))[0]?.status, 'sent');
  });

  it('when a dispatcher dies after claiming, another one sends the notification once its lease has run out, with the same idempotency key', async () => {
    const ticket = await register();
    const claimed = await new TicketOutbox(store.connection).claimDue({
      now: clock.now(),
      leaseMs: 60_000,
      owner: 'crashed',
      limit: 10,
    });
    assert.equal(claimed.length, 1);

    const survivor = dispatcher({ owner: 'survivor' });
    assert.equal((await survivor.runOnce()).claimed, 0, 'the lease still holds');
    clock.advance(60_000);
    assert.equal((await survivor.runOnce()).sent, 1);
    assert.equal(sms.sent[0]?.idempotencyKey, claimed[0]?.id);
    const [entry] = await outboxOf(ticket.ticketNumber);
    assert.equal(entry?.status, 'sent');
    assert.equal(entry?.attempts, 2);
  });

  it('when an instance dies holding a lease, its restart (same instance id) takes the work over at once, before the lease ends', async () => {
    const ticket = await register();
    // What a killed process leaves behind: a claim in its name, never finished.
    const [held] = await new TicketOutbox(store.connection).claimDue({
      now: clock.now(),
      leaseMs: 60_000,
      owner: 'instance-1',
      limit: 10,
    });
    assert.ok(held);
    const other = dispatcher({ owner: 'instance-2' });
    assert.equal((await other.runOnce()).claimed, 0, 'control: another live instance respects the lease');

    const restarted = dispatcher({ owner: 'instance-1' });
    assert.equal(await restarted.recover(), 1);
    const report = await restarted.runOnce();

    assert.equal(report.sent, 1, 'sent without waiting for the lease to run out');
    assert.equal(sms.sent[0]?.idempotencyKey, held.id, 'with the same idempotency key as the lost attempt');
    const [entry] = await outboxOf(ticket.ticketNumber);
    assert.equal(entry?.status, 'sent');
    assert.equal(entry?.attempts, 2, 'the lost attempt stays counted');
  });

  it('when started, a dispatcher reclaims its own leftover claims and sends them on its first poll', async () => {
    await register();
    await new TicketOutbox(store.connection).claimDue({
      now: clock.now(),
      leaseMs: 60_000,
      owner: 'instance-1',
      limit: 10,
    });
    const worker = dispatcher({ owner: 'instance-1', pollIntervalMs: 10_000 });
    worker.start();
    try {
      while (sms.sent.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    } finally {
      await worker.stop();
    }
    assert.equal(sms.sent.length, 1);
  });

  it('when a live dispatcher’s send outlasts its lease, it renews the lease and another live dispatcher never sends the same message', async () => {
    const ticket = await register();
    let open!: () => void;
    sms.gate = new Promise<void>((resolve) => (open = resolve));
    const slow = dispatcher({ owner: 'a', leaseMs: 60_000, renewEveryMs: 5 });
    const other = dispatcher({ owner: 'b', leaseMs: 60_000 });
    const sending = slow.runOnce();
    while (sms.calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));

    for (let minute = 0; minute < 3; minute += 1) {
      clock.advance(40_000);
      // Give the renewal timer a few beats to write the new lease.
      await new Promise((resolve) => setTimeout(resolve, 40));
      const report = await other.runOnce();
      assert.equal(report.claimed, 0, `after ${(minute + 1) * 40} s the lease is still a's`);
    }
    open();
    assert.equal((await sending).sent, 1);
    assert.equal((await other.runOnce()).claimed, 0);
    assert.equal(sms.calls.length, 1, 'one send in all');
    assert.equal((await outboxOf(ticket.ticketNumber))[0]?.status, 'sent');
  });

  it('when stopped during a send, stop() waits for it and records it; the rest of the batch is handed back untried', async () => {
    await Promise.all([register(), register(), register()]);
    let open!: () => void;
    sms.gate = new Promise<void>((resolve) => (open = resolve));
    const worker = dispatcher({ concurrency: 1, pollIntervalMs: 10 });
    worker.start();
    while (sms.calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));

    let stopped = false;
    const stopping = worker.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(stopped, false, 'stop() waits for the send in flight');
    open();
    await stopping;

    assert.equal(sms.sent.length, 1);
    const all = (await ticketModel(store.connection).find().lean<TicketDoc[]>().exec()).map(
      (doc) => doc.outbox[0],
    );
    assert.deepEqual(all.map((entry) => entry.status).sort(), ['pending', 'pending', 'sent']);
    for (const entry of all.filter((candidate) => candidate.status === 'pending'))
      assert.equal(entry.attempts, 0, 'a released claim costs no attempt');

    sms.gate = undefined;
    assert.equal((await dispatcher().runOnce()).sent, 2);
  });

  it('when running, it picks up a new ticket event on its next poll without being told', async () => {
    const worker = dispatcher({ pollIntervalMs: 20 });
    worker.start();
    try {
      const ticket = await register();
      await service.act(ticket.ticketNumber, { type: 'review' }, { actor: 'agent:mei' });
      await service.act(
        ticket.ticketNumber,
        { type: 'approve', mailingAddress: MAILING_ADDRESS },
        { actor: 'agent:mei' },
      );
      const deadline = Date.now() + 5_000;
      while (sms.sent.length < 2 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 10));
    } finally {
      await worker.stop();
    }
    assert.equal(sms.sent.length, 2);
    assert.match(
      sms.sent[1]?.body ?? '',
      /approved\. Please mail your CPC200-CCPA to: CarlinKit After-sales/,
    );
  });
});

describe('NotificationDispatcher across a restart of the whole process (durable store)', () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'tickets-outbox-'));
  });

  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Starts the store from dataDir, runs `work`, then shuts everything down, as a process would. */
  async function runProcess<T>(work: (connection: mongoose.Connection) => Promise<T>): Promise<T> {
    const server = new EmbeddedMongoServer({ dataDir });
    await server.start();
    const connection = mongoose.createConnection(server.localUri, {
      dbName: 'carlinkit',
      serverSelectionTimeoutMS: 5_000,
    });
    try {
      await connection.asPromise();
      return await work(connection);
    } finally {
      await connection.close();
      await server.close();
    }
  }

  it('when the process restarts, sent notifications are not sent again and pending ones (even after a failure) still go out', async () => {
    const clock = new FakeClock('2026-11-16T02:00:00Z');
    const sms = new FakeSmsSender();
    const numbers = await runProcess(async (connection) => {
      const { service } = makeTicketService(connection, { clock });
      await service.init();
      const sent = await service.register(registration(), { idempotencyKey: 'restart-1', actor: 'customer' });
      const worker = new NotificationDispatcher(
        { outbox: new TicketOutbox(connection), sms, logger: memoryLogger().logger },
        { clock, random: () => 1 },
      );
      await worker.runOnce();
      const delayed = await service.register(registration(), {
        idempotencyKey: 'restart-2',
        actor: 'customer',
      });
      sms.failures = [outage()];
      await worker.runOnce();
      await worker.stop();
      return { sent: sent.ticketNumber, delayed: delayed.ticketNumber };
    });
    assert.equal(sms.sent.length, 1);

    clock.advance(3_600_000);
    await runProcess(async (connection) => {
      const worker = new NotificationDispatcher(
        { outbox: new TicketOutbox(connection), sms, logger: memoryLogger().logger },
        { clock, random: () => 1 },
      );
      await worker.runOnce();
      await worker.runOnce();
      const docs = await ticketModel(connection).find().lean<TicketDoc[]>().exec();
      const status = Object.fromEntries(docs.map((doc) => [doc.ticketNumber, doc.outbox[0]?.status]));
      assert.deepEqual(status, { [numbers.sent]: 'sent', [numbers.delayed]: 'sent' });
    });
    assert.equal(sms.sent.length, 2, 'each notification exactly once across the restart');
    assert.deepEqual(
      sms.sent.map((message) => message.body.match(/CK-[A-Z0-9]+/)?.[0]),
      [numbers.sent, numbers.delayed],
    );
  });
});
