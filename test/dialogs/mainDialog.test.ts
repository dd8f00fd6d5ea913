import { strict as assert } from 'node:assert';
import type { TurnContext } from 'botbuilder';
import type { HumanHandoff, TicketOperations } from '../../src/dialogs/ports';
import type { Recognizer } from '../../src/services/recognition/recognizer';
import { BotHarness, type TestChat } from './botHarness';
import { testRecognizer } from './testRecognizer';

/** Gets a registration to the serial-number question. */
async function atSerialNumber(chat: TestChat): Promise<void> {
  await chat.answers(['Register a repair', 'Register the repair']);
  const prompt = await chat.say('CPC200-CCPA');
  assert.match(prompt, /serial number/);
}

describe('Main dialog', () => {
  let harness: BotHarness;
  before(async () => {
    harness = await BotHarness.start();
  });
  after(async () => {
    await harness.close();
  });

  describe('welcome and help', () => {
    it('when a web chat opens, it welcomes the customer, says what it can do and offers the main choices', async () => {
      const chat = harness.chat({ channelId: 'webchat' });
      const [welcome] = await chat.open();
      assert.match(
        welcome.text,
        /CarlinKit support assistant[\s\S]*register a repair[\s\S]*repair's status[\s\S]*warranty/,
      );
      assert.deepEqual(welcome.buttons, [
        'Fix a problem',
        'Register a repair',
        'Repair status',
        'Repair questions',
        'Talk to a person',
      ]);
    });

    it('when web chat reconnects in the middle of a question, it does not restart the conversation', async () => {
      const chat = harness.chat({ channelId: 'webchat' });
      await chat.open();
      await atSerialNumber(chat);
      assert.deepEqual(await chat.open(), []);
      assert.match(await chat.say('ABC1234567'), /When did you buy it\?/);
    });

    it('when the customer asks for help, it lists what the bot can do and the commands', async () => {
      const chat = harness.chat();
      assert.match(
        await chat.say('help'),
        /Here's what I can do[\s\S]*'start over' or 'cancel', or 'agent'[\s\S]*What can I help you with\?/,
      );
    });

    it('when an SMS customer asks for help, it never suggests "cancel" or "stop", which are carrier opt-out words there', async () => {
      const chat = harness.chat({
        channelId: 'sms',
        userId: '+14155550123',
        channelFacts: { verifiedPhone: '+14155550123' },
      });
      const reply = await chat.say('what can you do');
      assert.match(reply, /'menu' or 'never mind', or 'agent'/);
      assert.doesNotMatch(reply, /'cancel'|'stop'/);
    });

    it('when the customer greets, it answers with the welcome', async () => {
      const chat = harness.chat();
      assert.match(await chat.say('hello'), /I'm the CarlinKit support assistant/);
    });

    it('when the customer says goodbye, it closes, and the next message starts afresh', async () => {
      const chat = harness.chat();
      assert.match(await chat.say('thanks, bye'), /You're welcome/);
      assert.match(await chat.say('Repair status'), /ticket number\?/);
    });
  });

  describe('FAQ answers grounded in the after-sales page', () => {
    const questions: Array<[string, RegExp]> = [
      [
        'How much does a repair cost?',
        /1-year warranty[\s\S]*free of charge[\s\S]*charged as incurred[\s\S]*accept it and pay/,
      ],
      [
        'Do I have to pay for shipping?',
        /CarlinKit pays the shipping both ways[\s\S]*only pay the shipping to our after-sales centre/,
      ],
      ['How long does a repair take?', /about 14 business days[\s\S]*text message when it's done/],
      [
        'How does the repair process work?',
        /Registration[\s\S]*SMS with the address[\s\S]*Inspection and repair[\s\S]*Return/,
      ],
      ['What does the warranty cover?', /1-year warranty from the purchase date/],
      ['Where do I send it?', /don't send anything before registering[\s\S]*SMS with the address/],
    ];
    for (const [question, answer] of questions) {
      it(`when asked "${question}", it answers from the after-sales rules and offers more help`, async () => {
        const chat = harness.chat();
        const reply = await chat.say(question);
        assert.match(reply, answer);
        assert.match(reply, /anything else I can help you with\?/);
      });
    }

    it('when the customer opens "Repair questions", it lists the topics and answers the one picked', async () => {
      const chat = harness.chat();
      const menu = (await chat.send('Repair questions')).at(-1)!;
      assert.deepEqual(menu.buttons, [
        'Repair cost',
        'Shipping cost',
        'How long it takes',
        'Repair process',
        'Warranty',
        'Where to send it',
        'Does it need repair?',
      ]);
      assert.match(
        await chat.say('Does it need repair?'),
        /check with customer service before sending anything in/,
      );
    });
  });

  describe('interruptions in the middle of a flow', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['help', 'help', /Here's what I can do[\s\S]*back to where we were[\s\S]*serial number/],
      [
        'an FAQ question',
        'Do I have to pay for shipping?',
        /CarlinKit pays the shipping both ways[\s\S]*back to where we were[\s\S]*serial number/,
      ],
      [
        'a request for a person',
        'talk to a person',
        /say 'agent' here[\s\S]*back to where we were[\s\S]*serial number/,
      ],
      ['cancel', 'cancel', /cancelled the registration\. Nothing was submitted[\s\S]*anything else/],
      ['start over', 'start over', /let's start over[\s\S]*What can I help you with\?/],
    ];
    for (const [what, input, expected] of cases) {
      it(`when the customer sends ${what} while asked for a serial number, it ${what === 'cancel' || what === 'start over' ? 'stops the flow' : 'answers and asks the same question again'}`, async () => {
        const chat = harness.chat();
        await atSerialNumber(chat);
        assert.match(await chat.say(input), expected);
      });
    }

    it('when the flow resumes after an interruption, the earlier answers are kept', async () => {
      const chat = harness.chat();
      await atSerialNumber(chat);
      await chat.say('How long does a repair take?');
      await chat.answers([
        'ABC1234567',
        '2026-01-05',
        'Amazon',
        'skip',
        'Power',
        'It does not power on at all',
        'Jane Doe',
        '+1 415 555 0100',
        'jane@example.com',
      ]);
      await chat.answers(['1 Main St', 'skip', 'Austin', 'TX', '73301']);
      assert.match(await chat.say('US'), /Product: CarlinKit 4\.0[\s\S]*Serial number: ABC1234567/);
    });

    it('when a free-text answer merely contains a keyword, it is taken as the answer', async () => {
      const chat = harness.chat();
      await atSerialNumber(chat);
      await chat.answers(['ABC1234567', '2026-01-05', 'Amazon', 'skip', 'Sound']);
      // "stops" and "sound" would look like intents, but this is the description being asked for.
      assert.match(await chat.say('The sound stops after a minute and the screen freezes'), /full name/);
      // A name that contains a word like "cost" is still a name.
      assert.match(await chat.say('Jane Cost'), /mobile number/);
    });

    it('when a free-text answer is really a question, it is answered and the question asked again', async () => {
      const chat = harness.chat();
      await atSerialNumber(chat);
      await chat.answers(['ABC1234567', '2026-01-05']);
      assert.match(
        await chat.say('where do I send it?'),
        /don't send anything before registering[\s\S]*Where did you buy it\?/,
      );
    });

    it('when a person takes over, the bot stops the flow and the next message starts afresh', async () => {
      const takeover: HumanHandoff = {
        request: async (context: TurnContext) => {
          await context.sendActivity('Connecting you to an agent.');
          return true;
        },
      };
      const chat = harness.chat({ handoff: takeover });
      await atSerialNumber(chat);
      assert.equal(await chat.say('agent'), 'Connecting you to an agent.');
      assert.match(await chat.say('How long does a repair take?'), /about 14 business days/);
    });
  });

  describe('messages it cannot place', () => {
    it('when the recognizer is unsure, it offers its best guesses and keeps what the message named', async () => {
      const real = await testRecognizer();
      // The offline model's certainty moves as it is retrained: this pins an unsure answer.
      const unsure: Recognizer = {
        recognize: async (text) =>
          text === 'carlinkit 4.0 in my toyota is acting up'
            ? {
                text,
                intent: 'none',
                confidence: 0.45,
                alternatives: [
                  { intent: 'troubleshoot_connection', confidence: 0.3 },
                  { intent: 'faq_warranty', confidence: 0.2 },
                  { intent: 'greeting', confidence: 0.05 },
                ],
                entities: [
                  { kind: 'product_model', text: 'carlinkit 4.0', value: 'cpc200-ccpa', start: 0, end: 13 },
                  { kind: 'car_make', text: 'toyota', value: 'Toyota', start: 20, end: 26 },
                ],
                source: 'test',
              }
            : real.recognize(text),
      };
      const chat = harness.chat({ recognizer: unsure });
      const offer = (await chat.send('carlinkit 4.0 in my toyota is acting up')).at(-1)!;
      assert.match(offer.text, /not sure I understood\. Did you mean one of these\?/);
      assert.deepEqual(offer.buttons, ['Connection problem', 'Warranty', 'Something else']);
      // The product and the car came with the message: troubleshooting starts with the phone question.
      assert.match(await chat.say('Connection problem'), /Which phone do you use with it\?/);
    });

    it('when the message is off-topic, it says what it can help with and shows the choices', async () => {
      const chat = harness.chat();
      const replies = await chat.send('what is the weather in Paris tomorrow');
      assert.match(
        replies.map((reply) => reply.text).join('\n'),
        /Sorry, I didn't quite get that|Did you mean/,
      );
      assert.ok(replies.at(-1)!.buttons.length >= 2);
    });

    it('when "cancel" is sent with nothing going on, it says there is nothing to cancel', async () => {
      const chat = harness.chat();
      assert.match(await chat.say('cancel'), /nothing to cancel/);
    });
  });

  describe('when a turn fails', () => {
    it('it apologises without internals, logs with the conversation id and starts the next message cleanly', async () => {
      const broken: TicketOperations = {
        register: (input, options) => harness.tickets.register(input, options),
        findForCustomer: () => Promise.reject(new Error('socket hang up at 10.0.0.7:27017')),
      };
      const chat = harness.chat({ tickets: broken });
      await chat.answers(['Repair status', 'CK-23456789']);
      const apology = await chat.say('+1 415 555 0100');
      assert.match(apology, /Sorry, something went wrong on my side/);
      assert.doesNotMatch(apology, /socket|10\.0\.0\.7/);
      const logged = harness.logLines.map(
        (line) => JSON.parse(line) as { msg?: string; conversationId?: string },
      );
      assert.ok(
        logged.some((line) => line.msg === 'turn failed' && line.conversationId === chat.conversationId),
      );
      // The broken dialog state was cleared: this is a new request, not an answer to the old question.
      assert.match(await chat.say('How long does a repair take?'), /about 14 business days/);
    });
  });
});
