import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConversationState, MemoryStorage, type TurnContext } from 'botbuilder';
import { startTestStore } from '../../../support/testStore';
import {
  say,
  startConversation,
  startHarness,
  waitForActivities,
  type DirectLineActivityJson,
} from './harness';

const QUESTION = 'Is everything correct?';
const TICKET = 'Your ticket number is CK-TEST0001.';
const UNKNOWN = "Sorry, I didn't get that.";
const WELCOME = 'Welcome to CarlinKit support!';

/**
 * A bot shaped like SupportBot: it answers from its conversation state and saves the state at the
 * end of the turn. `killAfterSave` stands for a kill -9 right after the state write: the turn ends
 * there, before its replies reach the log. `turnsRun` shows how often a turn really ran.
 */
function stepBot(conversationState: ConversationState, killAfterSave: (text: string) => boolean) {
  const step = conversationState.createProperty<number>('step');
  const bot = {
    turnsRun: 0,
    run: async (context: TurnContext): Promise<void> => {
      if (context.activity.type === 'conversationUpdate') {
        await context.sendActivity(WELCOME);
        await conversationState.saveChanges(context, false);
      }
      if (context.activity.type !== 'message') return;
      bot.turnsRun += 1;
      const current = (await step.get(context)) ?? 0;
      await context.sendActivity([QUESTION, TICKET][current] ?? UNKNOWN);
      await step.set(context, current + 1);
      await conversationState.saveChanges(context, false);
      if (killAfterSave(context.activity.text ?? '')) throw new Error('killed after the state was saved');
    },
  };
  return bot;
}

const botTexts = (log: DirectLineActivityJson[]): Array<string | undefined> =>
  log.filter((activity) => activity.from.role === 'bot' && activity.type === 'message').map((a) => a.text);

describe('web chat turns resumed after a crash between the state write and the log', () => {
  it('when the process died after a turn saved its state and the customer sends the message again after the restart, the saved replies reach the log and the turn does not run again', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'directline-resume-'));
    const store = await startTestStore();
    // The bot's state store outlives the process, as the real one does.
    const conversationState = new ConversationState(new MemoryStorage());
    try {
      const before = stepBot(conversationState, (text) => text === 'Confirm and submit');
      const first = await startHarness({ store, dataDir, turns: { bot: before, conversationState } });
      const conversation = await startConversation(first);
      await say(first, conversation, 'register a repair');
      await waitForActivities(first, conversation, (all) => botTexts(all).includes(QUESTION));
      await say(first, conversation, 'Confirm and submit');
      for (let waited = 0; first.turnErrors.length === 0 && waited < 5_000; waited += 25)
        await new Promise((resolve) => setTimeout(resolve, 25));
      await first.close({ keepStore: true });

      const after = stepBot(conversationState, () => false);
      const second = await startHarness({ store, dataDir, turns: { bot: after, conversationState } });
      try {
        await say(second, conversation, 'Confirm and submit');
        await waitForActivities(second, conversation, (all) => botTexts(all).includes(TICKET));
        await say(second, conversation, 'thanks');
        const log = await waitForActivities(second, conversation, (all) => botTexts(all).includes(UNKNOWN));

        assert.equal(first.turnErrors.length, 1);
        assert.deepEqual(botTexts(log), [WELCOME, QUESTION, TICKET, UNKNOWN]);
        assert.equal(after.turnsRun, 1, 'only "thanks" ran a turn');
      } finally {
        await second.close({ keepStore: true });
      }
    } finally {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('when the customer writes something new after replies were lost that way, they get those replies first and their message is answered as usual', async () => {
    const conversationState = new ConversationState(new MemoryStorage());
    let killed = false;
    const bot = stepBot(conversationState, (text) => {
      if (killed || text !== 'Confirm and submit') return false;
      killed = true;
      return true;
    });
    const harness = await startHarness({ turns: { bot, conversationState } });
    try {
      const conversation = await startConversation(harness);
      await say(harness, conversation, 'register a repair');
      await waitForActivities(harness, conversation, (all) => botTexts(all).includes(QUESTION));
      await say(harness, conversation, 'Confirm and submit');
      await say(harness, conversation, 'hello?');
      const log = await waitForActivities(harness, conversation, (all) => botTexts(all).includes(UNKNOWN));

      assert.deepEqual(botTexts(log), [WELCOME, QUESTION, TICKET, UNKNOWN]);
      assert.equal(bot.turnsRun, 3);
    } finally {
      await harness.close();
    }
  });

  it('when the server restarts after the welcome, the next message is answered without the welcome again', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'directline-resume-'));
    const store = await startTestStore();
    const conversationState = new ConversationState(new MemoryStorage());
    try {
      const first = await startHarness({
        store,
        dataDir,
        turns: { bot: stepBot(conversationState, () => false), conversationState },
      });
      const conversation = await startConversation(first);
      await waitForActivities(first, conversation, (all) => botTexts(all).includes(WELCOME));
      await first.close({ keepStore: true });

      const second = await startHarness({
        store,
        dataDir,
        turns: { bot: stepBot(conversationState, () => false), conversationState },
      });
      try {
        await say(second, conversation, 'register a repair');
        const log = await waitForActivities(second, conversation, (all) => botTexts(all).includes(QUESTION));

        assert.deepEqual(botTexts(log), [WELCOME, QUESTION]);
      } finally {
        await second.close({ keepStore: true });
      }
    } finally {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
