import assert from 'node:assert/strict';
import {
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  ConversationState,
  MemoryStorage,
  type TurnContext,
} from 'botbuilder';
import { SmsIdentity } from '../../../../src/bot/adapters/twilioSms/smsIdentity';
import { toInboundActivity } from '../../../../src/bot/adapters/twilioSms/smsActivity';
import { SmsTurnRunner } from '../../../../src/bot/adapters/twilioSms/smsTurnRunner';
import type { InboundSms } from '../../../../src/services/sms/smsInbox';

const identity = new SmsIdentity('test-sms-id-secret-0123456789abcdef0123');

const inbound = (messageSid: string, body: string, receivedAt = '2026-12-03T07:00:00Z'): InboundSms => ({
  messageSid,
  accountSid: `AC${'1'.repeat(32)}`,
  from: '+8613800138000',
  to: '+14155550100',
  body,
  media: [],
  receivedAt: new Date(receivedAt),
});

/**
 * A two-step bot shaped like SupportBot: it answers from its conversation state and saves the state
 * at the end of the turn. Its step counter shows how often a turn really ran.
 */
function stepBot(conversationState: ConversationState) {
  const step = conversationState.createProperty<number>('step');
  const bot = {
    turnsRun: 0,
    run: async (context: TurnContext): Promise<void> => {
      bot.turnsRun += 1;
      const current = (await step.get(context)) ?? 0;
      await context.sendActivity(
        current === 0 ? 'Your ticket number is CK-TEST0001.' : "Sorry, I didn't get that.",
      );
      await step.set(context, current + 1);
      await conversationState.saveChanges(context, false);
    },
  };
  return bot;
}

describe('SmsTurnRunner', () => {
  const setup = () => {
    const conversationState = new ConversationState(new MemoryStorage());
    const auth = new ConfigurationBotFrameworkAuthentication({});
    const bot = stepBot(conversationState);
    // The messages whose replies reached the outbox (the inbox processor's part after the turn).
    const handedOver = new Set<string>();
    const runner = new SmsTurnRunner(new CloudAdapter(auth), auth, bot, undefined, conversationState, (sid) =>
      Promise.resolve(handedOver.has(sid)),
    );
    return { bot, runner, handedOver };
  };
  const texts = (activities: ReadonlyArray<{ text?: string }>): Array<string | undefined> =>
    activities.map((activity) => activity.text);

  it('when a message is resumed after a crash that came after its turn saved the state, its replies come back and the turn does not run again', async () => {
    const { bot, runner } = setup();
    const message = inbound('SM00000000000000000000000000000001', 'Confirm and submit');

    const first = await runner.run(toInboundActivity(message, identity), { verifiedPhone: message.from });
    // The crash: the replies never reached the outbox; the inbox hands the same message over again.
    const resumed = await runner.run(toInboundActivity(message, identity), { verifiedPhone: message.from });

    assert.deepEqual(texts(first), ['Your ticket number is CK-TEST0001.']);
    assert.deepEqual(texts(resumed), ['Your ticket number is CK-TEST0001.']);
    assert.equal(bot.turnsRun, 1);
  });

  it('when the next message arrives, its turn runs as usual', async () => {
    const { bot, runner, handedOver } = setup();
    const first = inbound('SM00000000000000000000000000000002', 'Confirm and submit');
    const next = inbound('SM00000000000000000000000000000003', 'thanks');

    await runner.run(toInboundActivity(first, identity), { verifiedPhone: first.from });
    handedOver.add(first.messageSid);
    const replies = await runner.run(toInboundActivity(next, identity), { verifiedPhone: next.from });

    assert.deepEqual(texts(replies), ["Sorry, I didn't get that."]);
    assert.equal(bot.turnsRun, 2);
  });

  it('when the customer sends the same message again while the first, whose turn saved the state before a crash, is still leased, the new one gets the saved replies and neither runs a second turn', async () => {
    const { bot, runner } = setup();
    const first = inbound('SM00000000000000000000000000000004', 'Confirm and submit');
    const again = inbound('SM00000000000000000000000000000005', 'Confirm and submit');

    // The crash: the first message's replies never reached the outbox; its lease still runs.
    await runner.run(toInboundActivity(first, identity), { verifiedPhone: first.from });
    const resent = await runner.run(toInboundActivity(again, identity), { verifiedPhone: again.from });
    // The lease runs out and the first message is taken up again.
    const resumed = await runner.run(toInboundActivity(first, identity), { verifiedPhone: first.from });

    assert.deepEqual(texts(resent), ['Your ticket number is CK-TEST0001.']);
    assert.deepEqual(texts(resumed), []);
    assert.equal(bot.turnsRun, 1);
  });

  it('when a new message comes after replies were lost that way, the saved replies come first, then its own', async () => {
    const { bot, runner } = setup();
    const first = inbound('SM00000000000000000000000000000006', 'Confirm and submit');
    const next = inbound('SM00000000000000000000000000000007', 'hello?');

    await runner.run(toInboundActivity(first, identity), { verifiedPhone: first.from });
    const replies = await runner.run(toInboundActivity(next, identity), { verifiedPhone: next.from });

    assert.deepEqual(texts(replies), ['Your ticket number is CK-TEST0001.', "Sorry, I didn't get that."]);
    assert.equal(bot.turnsRun, 2);
  });

  it('when a message held by a dead process is taken up after the customer sent it again and got the answer, it runs no second turn', async () => {
    const { bot, runner, handedOver } = setup();
    const held = inbound('SM00000000000000000000000000000008', 'Confirm and submit', '2026-12-03T07:00:00Z');
    const again = inbound('SM00000000000000000000000000000009', 'Confirm and submit', '2026-12-03T07:00:09Z');

    await runner.run(toInboundActivity(again, identity), { verifiedPhone: again.from });
    handedOver.add(again.messageSid);
    const late = await runner.run(toInboundActivity(held, identity), { verifiedPhone: held.from });

    assert.deepEqual(texts(late), []);
    assert.equal(bot.turnsRun, 1);
  });
});
