import { strict as assert } from 'node:assert';
import { agentModel } from '../../../src/services/agents/agentModel';
import { agentSessionModel } from '../../../src/services/agents/sessionModel';
import { HandoffService } from '../../../src/services/handoff/handoffService';
import { SupportHours } from '../../../src/services/handoff/supportHours';
import type { CustomerDelivery, CustomerNotice, DeliveryTarget } from '../../../src/services/handoff/types';
import { startConsoleHarness, type ConsoleHarness } from '../../support/agentConsoleHarness';
import { memoryLogger } from '../../support/silentLogger';
import { startTestStore, type TestStore } from '../../support/testStore';

/** What reached the customer through this instance (it can reach only when `here`). */
class RecordingDelivery implements CustomerDelivery {
  readonly sent: Array<{ conversationId: string; notice: CustomerNotice }> = [];
  constructor(private readonly here: boolean) {}
  canDeliver(): boolean {
    return this.here;
  }
  deliver(target: DeliveryTarget, notice: CustomerNotice): Promise<void> {
    this.sent.push({ conversationId: target.conversationId, notice });
    return Promise.resolve();
  }
  typing(): Promise<void> {
    return Promise.resolve();
  }
  resumeBot(): Promise<void> {
    return Promise.resolve();
  }
}

describe('agent console over the handoff service (claims, two instances on one store)', function () {
  this.timeout(30_000);
  let store: TestStore;
  const started: Array<{ harness: ConsoleHarness; service: HandoffService }> = [];
  let counter = 0;

  async function instance(name: string, delivery: RecordingDelivery) {
    const service = new HandoffService({
      connection: store.connection,
      settings: {
        hours: SupportHours.alwaysOpen(),
        queueTimeoutMinutes: 10,
        eventPollMs: 25,
        instanceId: name,
      },
      logger: memoryLogger().logger,
      delivery,
    });
    await service.init();
    service.start();
    const harness = await startConsoleHarness(store, service);
    started.push({ harness, service });
    return { harness, service };
  }

  const escalate = async (service: HandoffService, text: string): Promise<string> => {
    const conversationId = `conv-${++counter}-${Date.now()}`;
    const reference = { conversation: { id: conversationId }, channelId: 'webchat' };
    await service.recordCustomerMessage(conversationId, { text, channel: 'webchat', reference });
    await service.escalate({ conversationId, channel: 'webchat', reason: 'asked', context: {}, reference });
    return conversationId;
  };

  before(async () => {
    store = await startTestStore();
  });

  afterEach(async () => {
    for (const { harness, service } of started.splice(0)) {
      await harness.close();
      await service.stop();
    }
    await agentSessionModel(store.connection).deleteMany({});
    await agentModel(store.connection).deleteMany({});
  });

  after(async () => {
    await store.close();
  });

  it('when two agents claim the same conversation at once, exactly one gets it and the other is told who has it', async () => {
    const { harness, service } = await instance('a', new RecordingDelivery(true));
    const sam = await harness.signIn('sam@example.com');
    const kim = await harness.signIn('kim@example.com');
    for (let round = 0; round < 5; round += 1) {
      const conversationId = await escalate(service, `round ${round}: my screen is black`);
      const claim = (agent: typeof sam) =>
        harness.call('POST', `/agent/api/conversations/${conversationId}/claim`, {
          body: {},
          cookie: agent.cookie,
          csrf: agent.csrf,
        });
      const replies = await Promise.all([claim(sam), claim(kim)]);
      const statuses = replies.map((reply) => reply.status).sort();
      assert.deepEqual(statuses, [200, 409], JSON.stringify(replies.map((reply) => reply.body)));
      const winner = replies.find((reply) => reply.status === 200)!;
      const loser = replies.find((reply) => reply.status === 409)!;
      const holder = (winner.body.conversation as { handoff: { agent: { name: string } } }).handoff.agent
        .name;
      assert.match(loser.body.error?.message ?? '', new RegExp(`^${holder} already has this conversation`));
      const view = await service.get(conversationId);
      assert.equal(view.handoff?.agent?.name, holder);
      assert.equal(view.history.filter((action) => action.kind === 'claimed').length, 1);
    }
  });

  it('when the agent is on instance A and the customer on instance B, messages pass both ways through the store', async () => {
    const a = await instance('a', new RecordingDelivery(false));
    const bDelivery = new RecordingDelivery(true);
    const b = await instance('b', bDelivery);
    const sam = await a.harness.signIn('sam@example.com');
    const { socket } = await a.harness.connect({ cookie: sam.cookie, csrf: sam.csrf });
    assert.ok(socket);

    // The customer escalates and writes on B; the console on A sees both without asking.
    const conversationId = await escalate(b.service, 'I want to talk to a person');
    await socket.waitFor((e) => e.type === 'queued' && e.conversationId === conversationId, 'queued on A');
    await b.service.recordCustomerMessage(conversationId, { text: 'It is about my order <b>#12</b>' });
    const message = await socket.waitFor(
      (e) => e.type === 'customer_message' && e.conversationId === conversationId,
      'the customer message on A',
    );
    assert.equal((message.entry as { text: string }).text, 'It is about my order <b>#12</b>');

    // The agent claims and replies on A; B (which holds the customer's chat) delivers it.
    const claim = await a.harness.call('POST', `/agent/api/conversations/${conversationId}/claim`, {
      body: {},
      cookie: sam.cookie,
      csrf: sam.csrf,
    });
    assert.equal(claim.status, 200, JSON.stringify(claim.body));
    const reply = await a.harness.call('POST', `/agent/api/conversations/${conversationId}/reply`, {
      body: { text: 'Hi, Sam here. Let me look.' },
      cookie: sam.cookie,
      csrf: sam.csrf,
    });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const deadline = Date.now() + 5_000;
    while (!bDelivery.sent.some((one) => one.notice.text === 'Hi, Sam here. Let me look.')) {
      if (Date.now() > deadline) throw new Error(`B delivered only: ${JSON.stringify(bDelivery.sent)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    // Instance B's console API shows the same conversation, held by Sam.
    const onB = await b.harness.call('GET', `/agent/api/conversations/${conversationId}`, {
      cookie: sam.cookie,
    });
    assert.equal(onB.status, 200);
    const view = onB.body.conversation as {
      handoff: { agent: { name: string } };
      transcript: Array<{ from: string; text: string }>;
    };
    assert.equal(view.handoff.agent.name, 'Sam');
    assert.ok(
      view.transcript.some((entry) => entry.from === 'agent' && entry.text === 'Hi, Sam here. Let me look.'),
    );
    socket.close();
  });

  it('when an agent replies to a conversation another agent holds, it answers 409 and nothing is sent', async () => {
    const delivery = new RecordingDelivery(true);
    const { harness, service } = await instance('a', delivery);
    const sam = await harness.signIn('sam@example.com');
    const kim = await harness.signIn('kim@example.com');
    const conversationId = await escalate(service, 'hello?');
    const post = (agent: typeof sam, action: string, body: unknown) =>
      harness.call('POST', `/agent/api/conversations/${conversationId}/${action}`, {
        body,
        cookie: agent.cookie,
        csrf: agent.csrf,
      });
    assert.equal((await post(kim, 'claim', {})).status, 200);
    await service.settle();
    const before = delivery.sent.length;
    const reply = await post(sam, 'reply', { text: 'I am not Kim' });
    assert.equal(reply.status, 409);
    assert.match(reply.body.error?.message ?? '', /Kim already has this conversation/);
    await service.settle();
    assert.equal(delivery.sent.length, before);
    assert.ok(!(await service.get(conversationId)).transcript.some((entry) => entry.text === 'I am not Kim'));
  });
});
