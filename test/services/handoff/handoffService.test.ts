import { strict as assert } from 'node:assert';
import { ConflictError, NotFoundError, ValidationError } from '../../../src/services/errors';
import { HandoffService, type HandoffSettings } from '../../../src/services/handoff/handoffService';
import { SupportHours } from '../../../src/services/handoff/supportHours';
import type {
  CustomerDelivery,
  CustomerNotice,
  DeliveryTarget,
  HandoffEvent,
} from '../../../src/services/handoff/types';
import { FakeClock } from '../../fixtures/tickets';
import { memoryLogger } from '../../support/silentLogger';
import { startTestStore, type TestStore } from '../../support/testStore';

/** Records what would reach the customer; `here` decides whether this instance can reach them. */
class RecordingDelivery implements CustomerDelivery {
  readonly sent: Array<{ conversationId: string; notice: CustomerNotice }> = [];
  readonly resumed: Array<{ conversationId: string; askRating: boolean }> = [];
  typed = 0;
  constructor(private readonly here: (target: DeliveryTarget) => boolean = () => true) {}
  canDeliver(target: DeliveryTarget): boolean {
    return this.here(target);
  }
  deliver(target: DeliveryTarget, notice: CustomerNotice): Promise<void> {
    this.sent.push({ conversationId: target.conversationId, notice });
    return Promise.resolve();
  }
  typing(): Promise<void> {
    this.typed += 1;
    return Promise.resolve();
  }
  resumeBot(target: DeliveryTarget, options: { askRating: boolean }): Promise<void> {
    this.resumed.push({ conversationId: target.conversationId, askRating: options.askRating });
    return Promise.resolve();
  }
  texts(conversationId?: string): string[] {
    return this.sent
      .filter((one) => !conversationId || one.conversationId === conversationId)
      .map((one) => one.notice.text);
  }
}

const SAM = { agentId: 'agent-sam', name: 'Sam' };
const ALEX = { agentId: 'agent-alex', name: 'Alex' };

describe('HandoffService (store)', () => {
  let store: TestStore;
  let clock: FakeClock;
  let delivery: RecordingDelivery;
  let service: HandoffService;
  let counter = 0;

  const settings = (overrides: Partial<HandoffSettings> = {}): HandoffSettings => ({
    hours: SupportHours.alwaysOpen(),
    queueTimeoutMinutes: 10,
    eventPollMs: 50,
    instanceId: 'test-a',
    ...overrides,
  });

  const make = async (
    overrides: Partial<HandoffSettings> = {},
    here?: (target: DeliveryTarget) => boolean,
  ) => {
    const recording = new RecordingDelivery(here);
    const made = new HandoffService({
      connection: store.connection,
      settings: settings(overrides),
      logger: memoryLogger().logger,
      clock,
      delivery: recording,
    });
    await made.init();
    return { service: made, delivery: recording };
  };

  const newConversation = () => `conv-${++counter}-${Date.now()}`;

  const escalate = (conversationId: string, channel = 'webchat') =>
    service.escalate({
      conversationId,
      channel,
      reason: 'asked',
      context: { product: 'CPC200-CCPA' },
      reference: { conversation: { id: conversationId }, channelId: channel },
    });

  before(async () => {
    store = await startTestStore();
  });
  after(async () => {
    await store.close();
  });
  beforeEach(async () => {
    for (const name of ['handoffs', 'handoff_conversations', 'handoff_transcripts', 'handoff_actions']) {
      await store.connection.collection(name).deleteMany({});
    }
    clock = new FakeClock('2026-12-02T10:00:00Z');
    ({ service, delivery } = await make());
  });
  afterEach(async () => {
    await service.stop();
  });

  it('when a customer escalates, the conversation is queued with its place and the agent sees it in the queue', async () => {
    const first = newConversation();
    const second = newConversation();
    const a = await escalate(first);
    clock.advance(1000);
    const b = await escalate(second);
    assert.equal(a.position, 1);
    assert.equal(b.position, 2);
    assert.equal(a.afterHours, false);
    assert.equal(await service.isHandedOff(first), true);
    const queue = await service.queue();
    assert.deepEqual(
      queue.map((view) => [view.conversationId, view.state, view.position]),
      [
        [first, 'queued', 1],
        [second, 'queued', 2],
      ],
    );
    assert.equal(queue[0]?.context.product, 'CPC200-CCPA');
  });

  it('when a supervisor asks for today’s handoffs, closed ones are listed with their waits', async () => {
    const id = newConversation();
    await escalate(id);
    clock.advance(90_000);
    await service.claim(id, SAM);
    await service.close(id, SAM);
    const [today] = await service.handoffsSince(new Date('2026-12-02T00:00:00Z'));
    assert.equal(today?.state, 'closed');
    assert.equal((today?.claimedAt?.getTime() ?? 0) - (today?.queuedAt.getTime() ?? 0), 90_000);
  });

  it('when the customer escalates twice, one handoff is queued', async () => {
    const id = newConversation();
    const first = await escalate(id);
    const again = await escalate(id);
    assert.equal(again.handoffId, first.handoffId);
    assert.equal(again.alreadyHandedOff, true);
    assert.equal((await service.queue()).length, 1);
  });

  it('when two agents claim at once, exactly one wins and the other is told who has it', async () => {
    const id = newConversation();
    await escalate(id);
    const results = await Promise.allSettled([service.claim(id, SAM), service.claim(id, ALEX)]);
    const won = results.filter((result) => result.status === 'fulfilled');
    const lost = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    assert.equal(won.length, 1);
    assert.equal(lost.length, 1);
    assert.ok(lost[0]?.reason instanceof ConflictError);
    const holder = (await service.get(id)).handoff?.agent;
    assert.ok(holder);
    assert.match((lost[0]?.reason as Error).message, new RegExp(`${holder.name} already has`));
  });

  it('when an agent claims, the customer is told the agent joined and the claim is in the history', async () => {
    const id = newConversation();
    await escalate(id);
    await service.claim(id, SAM);
    await service.settle();
    assert.deepEqual(delivery.texts(id), ['Sam from support joined the chat.']);
    const view = await service.get(id);
    assert.equal(view.handoff?.state, 'with_agent');
    assert.deepEqual(
      view.history.map((action) => [action.kind, action.agent.name]),
      [['claimed', 'Sam']],
    );
  });

  it('when a customer writes while handed off, the message is stored and published to agents', async () => {
    const id = newConversation();
    await escalate(id);
    const events: HandoffEvent[] = [];
    const unsubscribe = service.subscribe((event) => events.push(event));
    const recorded = await service.recordCustomerMessage(id, { text: 'my screen is black' });
    unsubscribe();
    assert.equal(recorded.handedOff, true);
    const relayed = events.find((event) => event.type === 'customer_message');
    assert.ok(relayed && relayed.type === 'customer_message');
    assert.equal(relayed.entry.text, 'my screen is black');
    const transcript = (await service.get(id)).transcript;
    assert.deepEqual(
      transcript.map((entry) => [entry.from, entry.text]),
      [['customer', 'my screen is black']],
    );
  });

  it('when a conversation is not handed off, its messages are still recorded for agents but not relayed', async () => {
    const id = newConversation();
    const recorded = await service.recordCustomerMessage(id, {
      text: 'hello',
      channel: 'webchat',
      reference: { conversation: { id } },
    });
    await service.recordBotMessage(id, ['Hi! How can I help?', 'Pick one:']);
    assert.equal(recorded.handedOff, false);
    assert.deepEqual(
      (await service.get(id)).transcript.map((entry) => [entry.seq, entry.from, entry.text]),
      [
        [1, 'customer', 'hello'],
        [2, 'bot', 'Hi! How can I help?'],
        [3, 'bot', 'Pick one:'],
      ],
    );
    const live = await service.liveConversations();
    assert.ok(live.some((one) => one.conversationId === id && one.lastCustomerText === 'hello'));
  });

  it('when the same customer message is recorded twice (a retried turn), it is stored once', async () => {
    const id = newConversation();
    await escalate(id);
    await service.recordCustomerMessage(id, { text: 'photo attached', messageId: 'act-1' });
    await service.recordCustomerMessage(id, { text: 'photo attached', messageId: 'act-1' });
    assert.equal((await service.get(id)).transcript.length, 1);
  });

  it('when a bot turn is finished, its customer message and replies are stored together, in order, and a retry adds nothing', async () => {
    const id = newConversation();
    const input = { text: 'hello', channel: 'webchat', messageId: 'act-7' } as const;
    const begun = await service.beginTurn(id, input);
    assert.equal(begun.handedOff, false);
    // Nothing is written at the start (one read): the customer entry waits for the end of the turn.
    await assert.rejects(service.get(id), NotFoundError);
    const replies = Array.from({ length: 10 }, (_, index) => `reply ${index + 1}`);
    await service.finishTurn(begun.turn, replies);
    const retried = await service.beginTurn(id, input);
    await service.finishTurn(retried.turn, ['reply 1 again']);
    const next = await service.beginTurn(id, { text: 'thanks', messageId: 'act-8' });
    await service.finishTurn(next.turn, ['You are welcome']);

    const transcript = (await service.get(id)).transcript;
    assert.deepEqual(
      transcript.map((entry) => entry.text),
      ['hello', ...replies, 'thanks', 'You are welcome'],
    );
    const seqs = transcript.map((entry) => entry.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
    );
    assert.equal(new Set(seqs).size, seqs.length);
  });

  it('when an agent takes over while a bot turn runs, the turn’s entries come after the takeover’s, each seq once', async () => {
    const id = newConversation();
    const first = await service.beginTurn(id, { text: 'hello', messageId: 'b-1', reference: { id } });
    await service.finishTurn(first.turn, ['Hi!']);
    const begun = await service.beginTurn(id, { text: 'my screen is black', messageId: 'b-2' });
    await service.takeOver(id, SAM);
    await service.settle();
    await service.finishTurn(begun.turn, ['Did this help?']);

    const transcript = (await service.get(id)).transcript;
    assert.deepEqual(
      transcript.map((entry) => entry.from),
      ['customer', 'bot', 'system', 'customer', 'bot'],
    );
    assert.deepEqual(
      transcript.slice(3).map((entry) => entry.text),
      ['my screen is black', 'Did this help?'],
    );
    const seqs = transcript.map((entry) => entry.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
    );
    assert.equal(new Set(seqs).size, seqs.length);
    // The next message goes to the agent.
    const next = await service.beginTurn(id, { text: 'hello?', messageId: 'b-3' });
    assert.equal(next.handedOff, true);
  });

  it('when a person has the conversation at the start of a turn, the message is stored and published before the turn goes on', async () => {
    const id = newConversation();
    await escalate(id);
    const events: HandoffEvent[] = [];
    const unsubscribe = service.subscribe((event) => events.push(event));
    const begun = await service.beginTurn(id, { text: 'still black', messageId: 'act-9' });
    unsubscribe();
    assert.equal(begun.handedOff, true);
    assert.equal(begun.handoff?.state, 'queued');
    assert.ok(
      events.some((event) => event.type === 'customer_message' && event.entry.text === 'still black'),
    );
    assert.deepEqual(
      (await service.get(id)).transcript.map((entry) => [entry.from, entry.text]),
      [['customer', 'still black']],
    );
  });

  it('when the holder replies, the reply is stored before it is delivered; anyone else is refused', async () => {
    const id = newConversation();
    await escalate(id);
    await assert.rejects(service.reply(id, SAM, 'hi'), ConflictError);
    await service.claim(id, SAM);
    await assert.rejects(service.reply(id, ALEX, 'hi'), /Sam already has/);
    await assert.rejects(service.reply(id, SAM, '   '), ValidationError);
    await assert.rejects(service.reply(id, SAM, 'x'.repeat(4001)), ValidationError);
    const entry = await service.reply(id, SAM, 'Try another USB cable, please.');
    await service.settle();
    assert.equal(entry.from, 'agent');
    assert.equal(entry.agentName, 'Sam');
    assert.deepEqual(delivery.texts(id), [
      'Sam from support joined the chat.',
      'Try another USB cable, please.',
    ]);
    const stored = await store.connection
      .collection('handoff_transcripts')
      .findOne({ _id: entry.messageId as never });
    assert.ok(stored?.deliveredAt);
  });

  it('when the agent hands back, the customer is told and the bot resumes asking for a rating', async () => {
    const id = newConversation();
    await escalate(id);
    await service.claim(id, SAM);
    await service.handBack(id, SAM);
    await service.settle();
    assert.equal(await service.isHandedOff(id), false);
    assert.deepEqual(delivery.texts(id).slice(-1), ["Sam left; you're back with the assistant."]);
    assert.deepEqual(delivery.resumed, [{ conversationId: id, askRating: true }]);
    const view = await service.get(id);
    assert.equal(view.handoff?.state, 'closed');
    assert.deepEqual(
      view.history.map((action) => action.kind),
      ['claimed', 'handed_back'],
    );
  });

  it('when a claimed conversation is claimed again or a closed one is claimed, nothing changes', async () => {
    const id = newConversation();
    await escalate(id);
    await service.claim(id, SAM);
    await assert.rejects(service.claim(id, ALEX), /Sam already has/);
    await service.close(id, SAM);
    await assert.rejects(service.claim(id, ALEX), ConflictError);
    await assert.rejects(service.claim(newConversation(), ALEX), NotFoundError);
  });

  it('when the customer cancels waiting, they are back with the bot and those behind move up', async () => {
    const first = newConversation();
    const second = newConversation();
    await escalate(first);
    clock.advance(1000);
    await escalate(second);
    assert.equal(await service.cancelByCustomer(first), true);
    await service.settle();
    assert.equal(await service.isHandedOff(first), false);
    assert.deepEqual(delivery.texts(second), ["You're next in the queue."]);
    const queue = await service.queue();
    assert.deepEqual(
      queue.map((view) => [view.conversationId, view.position]),
      [[second, 1]],
    );
  });

  it('when an SMS customer moves up the queue, no text is sent until an agent joins', async () => {
    const first = newConversation();
    const second = newConversation();
    await escalate(first);
    clock.advance(1000);
    await escalate(second, 'sms');
    await service.cancelByCustomer(first);
    await service.settle();
    assert.deepEqual(delivery.texts(second), []);
    await service.claim(second, SAM);
    await service.settle();
    assert.deepEqual(delivery.texts(second), ['Sam from support joined the chat.']);
  });

  it('when a customer waits longer than the timeout, they are offered to carry on with the bot or leave a message, once', async () => {
    const id = newConversation();
    await escalate(id);
    clock.advance(9 * 60_000);
    assert.equal(await service.sweep(), 0);
    clock.advance(2 * 60_000);
    assert.equal(await service.sweep(), 1);
    assert.equal(await service.sweep(), 0);
    await service.settle();
    assert.match(delivery.texts(id).join('\n'), /Leave a message here.*or say 'never mind'/);
  });

  it('when the team is away, the customer is told when it is back and the message waits in the queue', async () => {
    await service.stop();
    ({ service, delivery } = await make({
      hours: SupportHours.parse('Mon-Fri 09:00-18:00', 'Europe/London'),
    }));
    clock.set('2026-12-05T12:00:00Z'); // a Saturday
    const id = newConversation();
    const result = await escalate(id);
    assert.equal(result.afterHours, true);
    assert.equal(result.backAt?.toISOString(), '2026-12-07T09:00:00.000Z');
    assert.equal((await service.queue())[0]?.afterHours, true);
    clock.advance(60 * 60_000);
    assert.equal(await service.sweep(), 0, 'a left message is not offered the timeout');
  });

  it('when an agent takes over a live bot conversation, it is with that agent at once', async () => {
    const id = newConversation();
    await service.recordCustomerMessage(id, {
      text: 'hi',
      channel: 'webchat',
      reference: { conversation: { id } },
    });
    const view = await service.takeOver(id, SAM);
    assert.equal(view.state, 'with_agent');
    assert.equal(view.reason, 'agent_takeover');
    assert.equal(await service.isHandedOff(id), true);
    await assert.rejects(service.takeOver(id, ALEX), /Sam already has/);
    await assert.rejects(service.takeOver(newConversation(), ALEX), NotFoundError);
  });

  it('when the instance that reaches the customer relays the agent, each message and typing indicator goes out once, as it is stored', async () => {
    service.start();
    const id = newConversation();
    await escalate(id);
    await service.claim(id, SAM);
    await service.typing(id, SAM);
    await service.reply(id, SAM, 'One moment, please.');
    // Sent by the reply itself, not later by the bus.
    assert.deepEqual(delivery.texts(id), ['Sam from support joined the chat.', 'One moment, please.']);
    await service.pollEvents();
    await service.settle();
    assert.equal(delivery.typed, 1);
    assert.deepEqual(delivery.texts(id), ['Sam from support joined the chat.', 'One moment, please.']);
    const stored = await store.connection
      .collection('handoff_transcripts')
      .find({ conversationId: id, from: { $in: ['agent', 'system'] } })
      .toArray();
    assert.ok(stored.every((doc) => doc.deliveredAt && doc.pending === undefined));
  });

  it('when the holder transfers, the other agent holds it and only they may reply', async () => {
    const id = newConversation();
    await escalate(id);
    await service.claim(id, SAM);
    const moved = await service.transfer(id, SAM, ALEX.agentId);
    assert.equal(moved.agent?.agentId, ALEX.agentId);
    await assert.rejects(service.reply(id, SAM, 'still me'), ConflictError);
    await service.reply(id, { agentId: ALEX.agentId, name: ALEX.agentId }, 'Hello, Alex here');
  });

  it('when the agent is on another instance, only the instance that can reach the customer delivers, once', async () => {
    await service.stop();
    const agentSide = await make({ instanceId: 'a' }, () => false);
    const customerSide = await make({ instanceId: 'b' }, () => true);
    service = agentSide.service;
    try {
      customerSide.service.start();
      const id = newConversation();
      await customerSide.service.escalate({
        conversationId: id,
        channel: 'webchat',
        reason: 'asked',
        context: {},
        reference: { conversation: { id } },
      });
      await agentSide.service.claim(id, SAM);
      await agentSide.service.reply(id, SAM, 'Hello from A');
      await customerSide.service.pollEvents();
      await customerSide.service.pollEvents();
      await customerSide.service.settle();
      assert.deepEqual(agentSide.delivery.texts(id), []);
      assert.deepEqual(customerSide.delivery.texts(id), [
        'Sam from support joined the chat.',
        'Hello from A',
      ]);
    } finally {
      await customerSide.service.stop();
    }
  });

  it('when no instance could reach the customer as the agent replied, the reply is sent once one can, exactly once', async () => {
    await service.stop();
    const nowhere = await make({ instanceId: 'a' }, () => false);
    service = nowhere.service;
    const id = newConversation();
    await escalate(id);
    await service.claim(id, SAM);
    await service.reply(id, SAM, 'Are you there?');
    await service.settle();
    assert.deepEqual(nowhere.delivery.texts(id), []);

    const later = await make({ instanceId: 'b' });
    assert.equal(await later.service.redeliver(), 2);
    assert.equal(await later.service.redeliver(), 0);
    assert.deepEqual(later.delivery.texts(id), ['Sam from support joined the chat.', 'Are you there?']);
  });

  it('when an instance died between claiming a delivery and sending it, it sends it after its restart', async () => {
    const id = newConversation();
    await escalate(id);
    await service.claim(id, SAM);
    await service.settle();
    // As if the process died mid-send: claimed by this instance, never delivered.
    const transcripts = store.connection.collection('handoff_transcripts');
    await transcripts.updateMany(
      { conversationId: id, from: 'system' },
      { $set: { pending: true, deliveryClaim: 'test-a' }, $unset: { deliveredAt: '' } },
    );
    const restarted = await make({ instanceId: 'test-a' });
    restarted.service.start();
    try {
      await restarted.service.settle();
      assert.deepEqual(restarted.delivery.texts(id), ['Sam from support joined the chat.']);
    } finally {
      await restarted.service.stop();
    }
  });
});
