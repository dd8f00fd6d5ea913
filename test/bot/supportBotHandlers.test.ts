import { strict as assert } from 'node:assert';
import { MemoryStorage, type Activity } from 'botbuilder';
import { DialogEvents, type DialogContext, type DialogEvent } from 'botbuilder-dialogs';
import { JsonConversationState } from '../../src/bot/jsonBotState';
import { SupportBot } from '../../src/bot/supportBot';
import { MainDialog } from '../../src/dialogs/mainDialog';
import type { SupportDialogDeps } from '../../src/dialogs/ports';
import { BotHarness, catalogue, faq, troubleshooting } from '../dialogs/botHarness';
import { testRecognizer } from '../dialogs/testRecognizer';
import { memoryLogger } from '../support/silentLogger';

/** The app's MainDialog, noting every activityReceived event that reaches it before bubbling on. */
class ObservedMainDialog extends MainDialog {
  constructor(
    deps: SupportDialogDeps,
    private readonly received: string[],
  ) {
    super(deps);
  }

  protected override async onPreBubbleEvent(dc: DialogContext, event: DialogEvent): Promise<boolean> {
    if (event.name === DialogEvents.activityReceived)
      this.received.push(`${dc.context.activity.conversation.id}: ${(event.value as Activity).text}`);
    return super.onPreBubbleEvent(dc, event);
  }
}

describe('SupportBot as a Bot Framework ActivityHandler', () => {
  let harness: BotHarness;
  before(async () => {
    harness = await BotHarness.start();
  });
  after(async () => harness.close());

  it('when a dialog is active, activityReceived reaches onPreBubbleEvent on every turn of every conversation, not only the first after start-up', async () => {
    const received: string[] = [];
    const chat = harness.chat({
      conversationId: 'first',
      mainDialog: (deps) => new ObservedMainDialog(deps, received),
    });
    // The first message begins the main dialog: nothing is on the stack yet to receive the event.
    assert.match(await chat.say('there is no sound from my carplay adapter'), /Which CarlinKit product/);
    assert.match(await chat.say('U2W Plus'), /What make of car/);
    assert.match(await chat.say('skip'), /What's wrong with the sound\?/);
    // The same bot, a second conversation (the bot keeps no turn state from one turn to the next).
    chat.adapter.conversation = {
      ...chat.adapter.conversation,
      conversation: { ...chat.adapter.conversation.conversation, id: 'second' },
    };
    assert.match(await chat.say('there is no sound from my carplay adapter'), /Which CarlinKit product/);
    assert.match(await chat.say('U2W Plus'), /What make of car/);

    assert.deepEqual(received, ['first: U2W Plus', 'first: skip', 'second: U2W Plus']);
  });

  it('when an onMessage and an onDialog handler are added to the bot, both run on every message after the dialog answered', async () => {
    const chat = harness.chat();
    const seen: string[] = [];
    chat.bot.onMessage(async (context, next) => {
      seen.push(`message: ${context.activity.text ?? ''}`);
      await next();
    });
    chat.bot.onDialog(async (context, next) => {
      seen.push(`dialog: ${context.activity.text ?? ''}`);
      await next();
    });

    assert.match(await chat.say('there is no sound from my carplay adapter'), /Which CarlinKit product/);
    assert.match(await chat.say('U2W Plus'), /What make of car/);
    assert.deepEqual(seen, [
      'message: there is no sound from my carplay adapter',
      'dialog: there is no sound from my carplay adapter',
      'message: U2W Plus',
      'dialog: U2W Plus',
    ]);
  });

  it('when web chat opens the conversation, the added onDialog handler runs after the welcome', async () => {
    const chat = harness.chat();
    const seen: string[] = [];
    chat.bot.onDialog(async (context, next) => {
      seen.push(context.activity.type);
      await next();
    });
    const welcome = await chat.open();
    assert.ok(welcome.length > 0, 'the welcome was sent');
    assert.deepEqual(seen, ['conversationUpdate']);
  });

  it('when the app builds its bot, its state is the JSON-compared BotState (test/bot/jsonBotState.test.ts shows it writes what the SDK writes)', async () => {
    const { bot, conversationState } = SupportBot.create({
      storage: new MemoryStorage(),
      recognizer: await testRecognizer(),
      catalogue,
      faq,
      troubleshooting,
      tickets: harness.tickets,
      ratings: harness.ratings,
      logger: memoryLogger().logger,
    });
    assert.ok(bot instanceof SupportBot);
    assert.ok(conversationState instanceof JsonConversationState);
  });
});
