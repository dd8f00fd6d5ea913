import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createApp, type App } from '../../src/app';
import { loadConfig, type AppConfig } from '../../src/config';
import { TicketService } from '../../src/services/tickets/ticketService';
import { ProductCatalogue } from '../../src/services/knowledge/productCatalogue';
import { memoryLogger } from '../support/silentLogger';

interface ReplyActivity {
  type: string;
  text?: string;
  suggestedActions?: { actions: Array<{ title: string }> };
  attachments?: Array<{ contentType: string }>;
}

/** A customer talking to the running app over HTTP, with the replies in the response (expectReplies). */
class HttpCustomer {
  readonly conversationId = `http-${randomUUID()}`;
  private sequence = 0;

  constructor(
    /** Read on every request: after a restart the app listens on a new port. */
    private readonly base: () => string,
    // The Emulator's shape: web chat itself runs through the local Direct Line, not this route.
    private readonly channelId = 'emulator',
    private readonly userId = `user-${randomUUID().slice(0, 8)}`,
  ) {}

  async send(activity: Record<string, unknown>): Promise<{ status: number; activities: ReplyActivity[] }> {
    this.sequence += 1;
    const response = await fetch(`${this.base()}/api/messages`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        id: `${this.conversationId}-${this.sequence}`,
        channelId: this.channelId,
        serviceUrl: 'http://127.0.0.1:9',
        conversation: { id: this.conversationId },
        from: { id: this.userId, name: 'Customer' },
        recipient: { id: 'bot', name: 'CarlinKit Support' },
        deliveryMode: 'expectReplies',
        ...activity,
      }),
    });
    const body = (await response.json()) as { activities?: ReplyActivity[] };
    return { status: response.status, activities: body.activities ?? [] };
  }

  async say(text: string): Promise<string> {
    const { status, activities } = await this.send({ type: 'message', text });
    assert.equal(status, 200);
    return activities.map((activity) => activity.text ?? '').join('\n');
  }
}

describe('Support bot through POST /api/messages (the assembled app)', () => {
  let dataDir: string;
  let config: AppConfig;
  let app: App | undefined;
  let base: string;

  async function startApp(): Promise<void> {
    app = await createApp(config, {
      logger: memoryLogger().logger,
      now: () => new Date('2026-03-12T02:00:00Z'),
    });
    const address = await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${address.port}`;
  }

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'support-bot-'));
    // No MONGODB_URI: the embedded store, durable under DATA_DIR, as in a default deployment.
    config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: dataDir });
    await startApp();
  });

  afterEach(async () => {
    await app?.stop();
    app = undefined;
    await rm(dataDir, { recursive: true, force: true });
  });

  it('when web chat opens a conversation, the welcome comes back in the response with the main choices', async () => {
    const customer = new HttpCustomer(() => base);
    const { status, activities } = await customer.send({
      type: 'conversationUpdate',
      membersAdded: [{ id: 'user' }, { id: 'bot' }],
    });
    assert.equal(status, 200);
    assert.equal(activities.length, 1);
    assert.match(activities[0].text ?? '', /CarlinKit support assistant/);
    assert.deepEqual(
      activities[0].suggestedActions?.actions.map((action) => action.title),
      ['Fix a problem', 'Register a repair', 'Repair status', 'Repair questions', 'Talk to a person'],
    );
  });

  it('when the app restarts in the middle of a registration, the conversation continues where the customer was', async () => {
    const customer = new HttpCustomer(() => base);
    await customer.say('there is no sound from my carplay adapter');
    await customer.say('U2W Plus');
    await customer.say('skip');
    await customer.say('No sound');
    for (let step = 0; step < 3; step += 1) await customer.say('no');
    assert.match(await customer.say('yes'), /serial number/);
    await customer.say('U2WPLUS000777');
    assert.match(await customer.say('2026-02-01'), /Where did you buy it\?/);

    // Restart: a new process would build everything again from the same data directory.
    await app!.stop();
    app = undefined;
    await startApp();

    assert.match(
      await customer.say('AliExpress'),
      /order number/,
      'the next answer is taken for the next question',
    );
    for (const answer of [
      'skip',
      'skip',
      'Kai Müller',
      '+49 151 23456789',
      'kai@example.com',
      'Hauptstraße 5',
      'skip',
      'München',
      'Bayern',
      '80331',
    ]) {
      await customer.say(answer);
    }
    const summary = await customer.send({ type: 'message', text: 'Germany' });
    const card = summary.activities.at(-1)?.attachments?.[0];
    assert.equal(card?.contentType, 'application/vnd.microsoft.card.adaptive');
    const done = await customer.send({ type: 'message', value: { choice: 'confirm' } });
    const text = done.activities.map((activity) => activity.text ?? '').join('\n');
    const ticketNumber = /ticket number is (CK-[A-Z0-9]+)/.exec(text)?.[1];
    assert.ok(ticketNumber, text);
    assert.match(text, /under warranty until 31 January 2027/);

    // The ticket is in the durable store, with the troubleshooting steps the customer tried before the restart.
    const tickets = new TicketService({
      connection: app!.database.connection,
      catalogue: ProductCatalogue.load(),
      logger: memoryLogger().logger,
      repairs: config.repairs,
    });
    const ticket = await tickets.get(ticketNumber);
    assert.equal(ticket.product.serialNumber, 'U2WPLUS000777');
    assert.equal(ticket.product.faultCategory, 'audio');
    assert.equal(ticket.product.troubleshootingTried.length, 3);
    assert.equal(ticket.customer.returnAddress.city, 'München');
    assert.equal(ticket.origin.channel, 'emulator');
  });

  it('when conversation state is stored, it is in the store, not in memory', async () => {
    const customer = new HttpCustomer(() => base);
    await customer.say('Repair status');
    const keys = (await app!.database.connection.collection('botstate').find({}).toArray()).map((doc) =>
      String(doc._id),
    );
    assert.ok(
      keys.some((key) => key.includes(customer.conversationId)),
      keys.join(', '),
    );
  });
});
