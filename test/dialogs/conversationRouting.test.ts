import { strict as assert } from 'node:assert';
import type { TurnContext } from 'botbuilder';
import type { HumanHandoff } from '../../src/dialogs/ports';
import { UNANSWERED_COLLECTION, UnansweredQuestions } from '../../src/services/feedback/unansweredQuestions';
import { BotHarness, type TestChat } from './botHarness';

/** A handoff double that records the requests and leaves the bot in charge. */
class RecordingHandoff implements HumanHandoff {
  readonly requests: string[] = [];
  request(_context: TurnContext, reason: 'asked' | 'repeated_failures'): Promise<boolean> {
    this.requests.push(reason);
    return Promise.resolve(false);
  }
}

async function atCarMake(chat: TestChat): Promise<void> {
  await chat.say('Fix a problem');
  await chat.say('Connection');
  const prompt = await chat.say('2air');
  assert.match(prompt, /What make of car/);
}

describe('Answers that fit the question', () => {
  let harness: BotHarness;
  before(async () => {
    harness = await BotHarness.start();
  });
  after(async () => {
    await harness.close();
  });

  it('when one message asks several questions, each gets its answer', async () => {
    const reply = await harness
      .chat()
      .say('hw long 4 repair? n who pays shippin? also is it free if its under warranty');
    assert.match(reply, /about 14 business days/);
    assert.match(reply, /CarlinKit pays the shipping both ways/);
    assert.match(reply, /1-year warranty/);
  });

  it('when the customer gives the purchase month and asks about the warranty, it gives their own verdict at once', async () => {
    const reply = await harness.chat().say('I bought it in October 2025, is it still under warranty?');
    assert.match(
      reply,
      /Bought in October 2025, it's still under warranty[\s\S]*at least until 30 September 2026/,
    );
    assert.match(reply, /first assessment/);
  });

  it('when the purchase date is more than a year ago, the verdict says the warranty has ended and what the repair costs', async () => {
    const reply = await harness
      .chat()
      .say('bought my U2W Plus on 3 January 2025, is it covered by warranty?');
    assert.match(reply, /warranty ended on 2 January 2026[\s\S]*quote the cost first/);
  });

  it('when the month alone cannot decide, it says it depends on the day and asks for it', async () => {
    const reply = await harness.chat().say('got it in March 2025, still under warranty?');
    assert.match(reply, /depends on the day[\s\S]*exact purchase date/);
  });

  it('when the customer cracked or stepped on it, it is told damage is likely not covered, not "free, shipping both ways"', async () => {
    const reply = await harness
      .chat()
      .say(
        'I stepped on it and the case is cracked, bought it in December 2025, is that covered by warranty?',
      );
    assert.match(reply, /likely not covered/);
    assert.doesNotMatch(reply, /free and CarlinKit pays shipping both ways/);
  });

  it('when a damage story carries a date that is not the purchase date, no warranty verdict is made from it', async () => {
    const reply = await harness.chat().say('I dropped it yesterday and now the case is cracked');
    assert.match(reply, /likely not covered/);
    assert.doesNotMatch(reply, /bought on|first assessment/);
  });

  it('when the customer asks what happens if they decline the quote, it answers that, not the cost paragraph again', async () => {
    const reply = await harness.chat().say("what if I don't accept the quote?");
    assert.match(reply, /sent back to you unrepaired/);
  });

  it('when the customer asks about customs from abroad, it says what the page covers and that it is silent on customs', async () => {
    const reply = await harness
      .chat()
      .say('I live in Germany, do I pay customs when I send it from another country?');
    assert.match(reply, /says nothing about customs[\s\S]*'agent'/);
  });
});

describe('Honest routing for what the bot cannot do', () => {
  let harness: BotHarness;
  before(async () => {
    harness = await BotHarness.start();
  });
  after(async () => {
    await harness.close();
  });

  it('when the customer wants a refund, it says the shop they bought from decides', async () => {
    const reply = await harness.chat().say('I want my money back, can I get a refund?');
    assert.match(reply, /decided by where you bought the product/);
  });

  it('when the customer asks where their order is, it points to the shop and offers the repair status', async () => {
    const reply = await harness.chat().say('where is my order? it has not arrived');
    assert.match(reply, /can't see shop orders/);
  });

  it('when the customer asks whether the 2air works in their car, it answers from the catalogue', async () => {
    const reply = await harness.chat().say('will the 2air work in my 2015 Mazda 3?');
    assert.match(reply, /CPC200-2AIR\) works in a car with factory wired CarPlay or wired Android Auto/);
  });

  it('when the product is another brand, it says only CarlinKit products are repaired and starts no registration', async () => {
    const chat = harness.chat();
    const reply = await chat.say('my Anker charger stopped working, how much is a repair?');
    assert.match(reply, /only repair and support CarlinKit products/);
    assert.doesNotMatch(reply, /Which CarlinKit product is it|troubleshooting first/);
  });

  it('when the customer asks how to contact the team, it goes through the handoff port', async () => {
    const handoff = new RecordingHandoff();
    await harness.chat({ handoff }).say("what's your email address? I want to contact you");
    assert.deepEqual(handoff.requests, ['asked']);
  });

  it('when a question is not understood, it is logged with personal data masked, and the report lists the most frequent gaps', async () => {
    const unanswered = new UnansweredQuestions(harness.store.connection, { retentionDays: 180 });
    await unanswered.init();
    await harness.store.connection.collection(UNANSWERED_COLLECTION).deleteMany({});
    const chat = harness.chat({ unanswered });
    const reply = await chat.say(
      'does the glovebox light flicker when mail goes to bob@example.com or +1 415 555 0199',
    );
    assert.match(reply, /didn't quite get that|Did you mean/);
    if (/Did you mean/.test(reply)) await chat.say('Something else');
    await harness
      .chat({ unanswered })
      .say('does the glovebox light flicker when mail goes to bob@example.com or +1 415 555 0199');
    const [gap] = await unanswered.report();
    assert.ok(gap, 'the question was logged');
    assert.doesNotMatch(gap.question, /bob@example\.com|555 0199/);
    assert.match(gap.question, /glovebox light flicker/);
    const indexes = await harness.store.connection.collection(UNANSWERED_COLLECTION).indexes();
    assert.ok(
      indexes.some((index) => index.expireAfterSeconds === 180 * 24 * 3600),
      'a TTL index keeps them 180 days',
    );
  });
});

describe('Tone', () => {
  let harness: BotHarness;
  before(async () => {
    harness = await BotHarness.start();
  });
  after(async () => {
    await harness.close();
  });

  it('when an angry customer shouts in the middle of a question, it apologises and offers the fast path instead of the next question', async () => {
    const chat = harness.chat();
    await atCarMake(chat);
    const reply = await chat.say('THIS IS THE THIRD TIME I AM ASKING!!! I WANT A REFUND');
    assert.match(reply, /sorry this has been so frustrating/);
    assert.doesNotMatch(reply, /What make of car/);
  });

  it('when the angry customer picks the repair form, the registration starts', async () => {
    const chat = harness.chat();
    await atCarMake(chat);
    await chat.say('this bot is useless');
    assert.match(await chat.say('Register the repair'), /Which CarlinKit product is it/);
  });

  it('when the customer shouts REFUND at the main menu, it apologises, answers about refunds and offers a person or the form', async () => {
    const chat = harness.chat();
    const replies = await chat.send('THIRD TIME I WRITE. I WANT A REFUND!!!');
    const text = replies.map((reply) => reply.text).join('\n');
    assert.match(text, /sorry[\s\S]*decided by where you bought/);
    assert.deepEqual(replies.at(-1)?.buttons, ['Talk to a person', 'Register the repair']);
  });

  it('when the customer says bye inside a question, it ends politely and the question carries on when they return', async () => {
    const chat = harness.chat();
    await atCarMake(chat);
    assert.match(await chat.say('Toyota'), /Which phone do you use/);
    const bye = await chat.say("I'll try that later, thanks");
    assert.match(bye, /talk later[\s\S]*kept everything/);
    assert.doesNotMatch(bye, /choose one of the options/);
    assert.match(await chat.say('hi again'), /Welcome back[\s\S]*Which phone do you use/);
    assert.doesNotMatch(await chat.say('iPhone'), /choose one of the options|Welcome back/);
  });
});
