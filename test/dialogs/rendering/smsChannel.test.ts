import { strict as assert } from 'node:assert';
import { SMS_MAX_LENGTH } from '../../../src/dialogs/rendering/smsText';
import { BotHarness, type Reply, type TestChat } from '../botHarness';

const CUSTOMER = '+14155550142';

/** What SMS must never get: cards, buttons, over-long bodies, characters outside GSM-7's usual set. */
function assertPlainSms(replies: readonly Reply[]): void {
  for (const reply of replies) {
    assert.equal(reply.activity.attachments?.length ?? 0, 0, 'no cards on SMS');
    assert.equal(reply.activity.suggestedActions, undefined, 'no buttons on SMS');
    assert.ok((reply.activity.text ?? '').length <= SMS_MAX_LENGTH, `at most ${SMS_MAX_LENGTH} characters`);
    assert.doesNotMatch(reply.activity.text ?? '', /[‘’“”–—…•]/, 'GSM-friendly punctuation');
  }
}

async function sms(chat: TestChat, input: string): Promise<string> {
  const replies = await chat.send(input);
  assertPlainSms(replies);
  assert.equal(replies.length, 1, `one SMS per turn for "${input}"`);
  return replies[0].text;
}

describe('SMS rendering', () => {
  let harness: BotHarness;
  before(async () => {
    harness = await BotHarness.start();
  });
  after(async () => {
    await harness.close();
  });

  it('when an SMS customer says hi, one plain-text message lists the choices by number', async () => {
    const chat = harness.chat({
      channelId: 'sms',
      userId: CUSTOMER,
      channelFacts: { verifiedPhone: CUSTOMER },
    });
    const text = await sms(chat, 'hi');
    assert.match(
      text,
      /support assistant[\s\S]*1\. Fix a problem\n2\. Register a repair\n3\. Repair status\n4\. Repair questions\n5\. Talk to a person\nReply with the number\./,
    );
  });

  const answers: Array<[string, RegExp]> = [
    ['1', /glad it's working again/],
    ['yes', /glad it's working again/],
    ['Y', /glad it's working again/],
    ['2', /pair again|USB port/],
    ['no', /pair again|USB port/],
  ];
  for (const [answer, expected] of answers) {
    it(`when a yes/no step gets "${answer}" by SMS, it is understood`, async () => {
      const chat = harness.chat({
        channelId: 'sms',
        userId: CUSTOMER,
        channelFacts: { verifiedPhone: CUSTOMER },
      });
      await sms(chat, '1');
      await sms(chat, '1');
      await sms(chat, 'U2W Plus');
      const step = await sms(chat, 'skip');
      assert.match(step, /Did this help\?\nReply 1 for Yes, 2 for No\./);
      assert.match(await sms(chat, answer), expected);
    });
  }

  it('when the problem is solved by SMS, the rating question asks for a number without listing six options', async () => {
    const chat = harness.chat({
      channelId: 'sms',
      userId: CUSTOMER,
      channelFacts: { verifiedPhone: CUSTOMER },
    });
    await sms(chat, 'there is no sound from my carplay adapter');
    await sms(chat, 'U2W Plus');
    await sms(chat, 'skip');
    await sms(chat, '1');
    const closing = await sms(chat, '1');
    assert.match(
      closing,
      /glad it's working again[\s\S]*from 1 \(poor\) to 5 \(excellent\)\?\nReply with a number from 1 to 5, or SKIP\.$/,
    );
    assert.match(await sms(chat, '4'), /Thank you for your feedback!/);
    const ratings = await harness.ratings.list('troubleshooting:audio');
    assert.ok(
      ratings.some(
        (rating) =>
          rating.conversationId === chat.conversationId && rating.rating === 4 && rating.channel === 'sms',
      ),
    );
  });

  it("when registering by SMS, the sender's number is offered instead of asking, and the summary is plain text", async () => {
    const chat = harness.chat({
      channelId: 'sms',
      userId: CUSTOMER,
      channelFacts: { verifiedPhone: CUSTOMER },
    });
    await sms(chat, '2');
    await sms(chat, '2');
    for (const answer of [
      '2air',
      'C2AIR0001235',
      '10 January 2026',
      'carlinkit.com',
      'skip',
      '1',
      'Keeps disconnecting every few minutes on the highway',
    ]) {
      await sms(chat, answer);
    }
    const phoneQuestion = await sms(chat, 'Sam Lee');
    assert.match(
      phoneQuestion,
      /Is \+14155550142 the best mobile number for SMS updates\?[\s\S]*Reply 1 for Yes, or send another number with its country code\./,
    );
    assert.match(await sms(chat, '1'), /e-mail address/);
    for (const answer of ['sam@example.com', '1 Market St', 'skip', 'San Francisco', 'CA', '94105'])
      await sms(chat, answer);
    const summary = await sms(chat, 'USA');
    assert.match(
      summary,
      /Your repair registration\nProduct: CarlinKit 5\.0 2air[\s\S]*Mobile: \+14155550142[\s\S]*1\. Confirm and submit\n2\. Change something\n3\. Cancel\nReply with the number\./,
    );
    const done = await sms(chat, '1');
    assert.match(done, /Your ticket number is CK-[A-Z0-9]+[\s\S]*SMS with the address/);
    const ticketNumber = /CK-[A-Z0-9]+/.exec(done)![0];
    const ticket = (await harness.tickets.list({ q: ticketNumber })).items[0];
    assert.equal(ticket.customer.phone, CUSTOMER);
    assert.equal(ticket.origin.channel, 'sms');
  });

  it("when an SMS activity's sender id is a phone number the webhook did not vouch for, it is neither offered nor used for a status check", async () => {
    // The activity says it is from CUSTOMER, but no signed webhook said so (no ChannelFacts).
    const chat = harness.chat({ channelId: 'sms', userId: CUSTOMER });
    await sms(chat, '2');
    await sms(chat, '2');
    for (const answer of [
      '2air',
      'C2AIR0001235',
      '10 January 2026',
      'carlinkit.com',
      'skip',
      '1',
      'Keeps disconnecting every few minutes on the highway',
    ]) {
      await sms(chat, answer);
    }
    const phoneQuestion = await sms(chat, 'Sam Lee');
    assert.doesNotMatch(phoneQuestion, /\+14155550142/);
    assert.match(phoneQuestion, /What's your mobile number, with the country code/);

    const status = harness.chat({ channelId: 'sms', userId: CUSTOMER });
    await sms(status, '3');
    assert.match(await sms(status, 'CK-23456789'), /mobile number you gave on the registration/);
  });

  it("when checking a status by SMS, the sender's number counts and is not asked for", async () => {
    const chat = harness.chat({
      channelId: 'sms',
      userId: CUSTOMER,
      channelFacts: { verifiedPhone: CUSTOMER },
    });
    await sms(chat, '3');
    assert.match(
      await sms(chat, 'CK-23456789'),
      /couldn't find a repair with that ticket number and mobile number/,
    );
  });

  it('when the customer writes the option instead of its number, it is understood too', async () => {
    const chat = harness.chat({
      channelId: 'sms',
      userId: CUSTOMER,
      channelFacts: { verifiedPhone: CUSTOMER },
    });
    await sms(chat, 'hi');
    assert.match(await sms(chat, 'repair questions'), /1\. Repair cost/);
    assert.match(await sms(chat, '3'), /about 14 business days/);
  });
});
