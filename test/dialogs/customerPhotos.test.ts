import { strict as assert } from 'node:assert';
import type { Activity } from 'botbuilder';
import type { TicketOperations } from '../../src/dialogs/ports';
import { UnavailableError } from '../../src/services/errors';
import { BotHarness, NOW, type TestChat } from './botHarness';

interface FileSpec {
  name?: string;
  contentType: string;
  url: string;
  /** What the web chat upload route reports in channelData.uploads. */
  size?: number;
}

/** A customer's message with files, as the channels deliver it (attachments with links on our server). */
function message(files: FileSpec[], text?: string): Partial<Activity> {
  const sized = files.filter((file) => file.size !== undefined);
  return {
    type: 'message',
    ...(text !== undefined ? { text } : {}),
    attachments: files.map((file) => ({
      contentType: file.contentType,
      contentUrl: file.url,
      ...(file.name ? { name: file.name } : {}),
    })),
    ...(sized.length > 0
      ? {
          channelData: {
            uploads: sized.map((file) => ({
              name: file.name,
              contentType: file.contentType,
              size: file.size,
              url: file.url,
            })),
          },
        }
      : {}),
  };
}

const LED_PHOTO: FileSpec = {
  name: 'led.jpg',
  contentType: 'image/jpeg',
  url: 'https://support.example/v3/directline/conversations/c1/attachments/led',
  size: 48_213,
};
const LABEL_PHOTO: FileSpec = {
  name: 'label.png',
  contentType: 'image/png',
  url: 'https://support.example/v3/directline/conversations/c1/attachments/label',
  size: 20_004,
};
const INVOICE: FileSpec = {
  name: 'invoice.pdf',
  contentType: 'application/pdf',
  url: 'https://support.example/v3/directline/conversations/c1/attachments/invoice',
};

const SERIAL_PROMPT = /What's its serial number\?/;

/** From "Register a repair" to the serial number question. */
async function registerUpToSerial(chat: TestChat): Promise<void> {
  await chat.say('Register a repair');
  await chat.say('Register the repair');
  assert.match(await chat.say('CPC200-CCPA'), SERIAL_PROMPT);
}

/** Answers from the serial number to the summary; returns the summary. */
async function answerToSummary(chat: TestChat, serial: string): Promise<string> {
  return chat.answers([
    serial,
    '1 December 2025',
    'Amazon US',
    'skip',
    'Sound',
    'No sound from the speakers since last week, music plays on the phone',
    'Jane Doe',
    '+1 415 555 0100',
    'jane@example.com',
    '500 Market Street',
    'skip',
    'San Francisco',
    'CA',
    '94105',
    'United States',
  ]);
}

async function confirm(chat: TestChat): Promise<{ text: string; ticketNumber: string }> {
  const text = await chat.say({ type: 'message', value: { choice: 'confirm' } });
  const ticketNumber = /ticket number is (CK-[A-Z0-9]+)/.exec(text)?.[1];
  assert.ok(ticketNumber, text);
  return { text, ticketNumber };
}

describe('Customer photos (device, LED, serial label) reach the repair ticket', () => {
  let harness: BotHarness;
  before(async () => {
    harness = await BotHarness.start();
  });
  after(async () => {
    await harness.close();
  });

  async function ticket(ticketNumber: string) {
    const found = (await harness.tickets.list({ q: ticketNumber })).items[0];
    assert.ok(found, `ticket ${ticketNumber} is in the store`);
    return found;
  }

  it('when a photo arrives mid-registration without text, it is acknowledged, the same question is asked again, and the ticket has it', async () => {
    const chat = harness.chat();
    await registerUpToSerial(chat);

    const replies = await chat.send(message([LED_PHOTO]));
    const text = replies.map((reply) => reply.text).join('\n');
    assert.match(text, /^Got your photo, I'll attach it to your repair request\./);
    assert.match(replies.at(-1)!.text, SERIAL_PROMPT, 'the serial number is asked again');
    assert.doesNotMatch(text, /doesn't look like a serial number/, 'the photo is not taken as an answer');

    const summary = await answerToSummary(chat, 'CK4APHOTO0001');
    assert.match(summary, /Photos: 1 photo/);
    const done = await confirm(chat);
    assert.match(done.text, /Your photo is attached to it\./);

    assert.deepEqual((await ticket(done.ticketNumber)).attachments, [
      { name: 'led.jpg', contentType: 'image/jpeg', size: 48_213, url: LED_PHOTO.url },
    ]);
    // The ticket took them: the same photo sent again is new for the next request.
    assert.match(await chat.say(message([LED_PHOTO])), /^Got your photo/);
  });

  it('when a message carries a photo and text, the photo is kept and the text answers the question', async () => {
    const chat = harness.chat();
    await registerUpToSerial(chat);

    const reply = await chat.say(message([LABEL_PHOTO], 'CK4APHOTO0002'));
    assert.match(reply, /Got your photo, I'll attach it[\s\S]*When did you buy it\?/);

    const summary = await chat.answers([
      '1 December 2025',
      'Amazon US',
      'skip',
      'Screen',
      'The picture flickers on the car screen every few seconds',
      'Jane Doe',
      '+1 415 555 0100',
      'jane@example.com',
      '500 Market Street',
      'skip',
      'San Francisco',
      'CA',
      '94105',
      'United States',
    ]);
    assert.match(summary, /Serial number: CK4APHOTO0002[\s\S]*Photos: 1 photo/);
    const done = await confirm(chat);
    const attachments = (await ticket(done.ticketNumber)).attachments;
    assert.deepEqual(
      attachments.map((attachment) => attachment.url),
      [LABEL_PHOTO.url],
    );
  });

  it('when a photo is sent during troubleshooting, it is carried into the repair ticket that follows', async () => {
    const chat = harness.chat();
    await chat.answers(['there is no sound from my carplay adapter', 'U2W Plus', 'skip']);
    const step = await chat.say('No sound');
    const stepQuestion = /Did this help\?/;
    assert.match(step, stepQuestion);

    // An MMS: a gateway link, no size.
    const mms: FileSpec = {
      contentType: 'image/jpeg',
      url: 'https://api.twilio.example/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1',
      name: 'media-1',
    };
    const replies = await chat.send(message([mms]));
    assert.match(
      replies.map((reply) => reply.text).join('\n'),
      /^Got your photo, thanks\. If your device needs a repair, I'll attach it to the repair request\./,
    );
    assert.match(replies.at(-1)!.text, stepQuestion, 'the same step is asked again');
    assert.equal(replies.at(-1)!.text, step.split('\n---\n').at(-1), 'unchanged, not the next step');

    for (let answer = 0; answer < 3; answer += 1) await chat.say('no');
    assert.match(await chat.say('yes'), SERIAL_PROMPT);
    const summary = await chat.answers([
      'U2WPLUS000778',
      '2026-02-01',
      'AliExpress',
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
      'Germany',
    ]);
    assert.match(summary, /Photos: 1 photo/);
    const done = await confirm(chat);
    const saved = await ticket(done.ticketNumber);
    assert.deepEqual(saved.attachments, [{ name: 'media-1', contentType: 'image/jpeg', url: mms.url }]);
    assert.equal(saved.product.faultCategory, 'audio');
  });

  it('when a PDF is sent, it is refused kindly, nothing is kept, and the question is asked again', async () => {
    const chat = harness.chat();
    await registerUpToSerial(chat);

    const replies = await chat.send(message([INVOICE]));
    const text = replies.map((reply) => reply.text).join('\n');
    assert.match(
      text,
      /^Sorry, I can only attach photos \(JPEG, PNG, HEIC, WebP or GIF\), so I couldn't keep "invoice\.pdf"\. A photo or a screenshot of it works fine\./,
    );
    assert.doesNotMatch(text, /Got your/);
    assert.match(replies.at(-1)!.text, SERIAL_PROMPT);

    const summary = await answerToSummary(chat, 'CK4APHOTO0003');
    assert.match(summary, /Photos: none/);
    const done = await confirm(chat);
    assert.doesNotMatch(done.text, /attached/);
    assert.deepEqual((await ticket(done.ticketNumber)).attachments, []);
  });

  it('when a photo and a PDF come together, the photo is kept and the PDF refused in one reply', async () => {
    const chat = harness.chat();
    await registerUpToSerial(chat);
    const reply = await chat.say(message([LED_PHOTO, INVOICE]));
    assert.match(
      reply,
      /Got your photo, I'll attach it to your repair request\. Sorry, I can only attach photos[\s\S]*"invoice\.pdf"[\s\S]*serial number/,
    );
  });

  it('when more than 10 photos arrive, it keeps 10, says so, and knows a photo it already has', async () => {
    const chat = harness.chat();
    await registerUpToSerial(chat);
    const photos = Array.from({ length: 12 }, (_, index) => ({
      name: `photo-${index + 1}.jpg`,
      contentType: 'image/jpeg',
      url: `https://support.example/v3/directline/conversations/c1/attachments/p${index + 1}`,
      size: 1_000 + index,
    }));

    assert.match(
      await chat.say(message(photos)),
      /Got your 10 photos, I'll attach them to your repair request\. A repair request can carry up to 10 photos and I already have 10, so I didn't keep the last 2\.[\s\S]*serial number/,
    );
    assert.match(await chat.say(message([photos[0]])), /^I already have that photo\.[\s\S]*serial number/);

    await answerToSummary(chat, 'CK4APHOTO0004');
    const done = await confirm(chat);
    assert.match(done.text, /Your 10 photos are attached to it\./);
    assert.deepEqual(
      (await ticket(done.ticketNumber)).attachments.map((attachment) => attachment.name),
      photos.slice(0, 10).map((photo) => photo.name),
    );
  });

  it('when a photo is sent at the summary, the summary is shown again with it counted', async () => {
    const chat = harness.chat();
    await registerUpToSerial(chat);
    assert.match(await answerToSummary(chat, 'CK4APHOTO0005'), /Photos: none/);

    const replies = await chat.send(message([LABEL_PHOTO]));
    assert.match(replies[0].text, /^Got your photo, I'll attach it/);
    const summary = replies.at(-1)!;
    assert.match(summary.text, /Please check your details[\s\S]*Photos: 1 photo/);
    assert.deepEqual(summary.buttons, ['Confirm and submit', 'Change something', 'Cancel']);

    const done = await confirm(chat);
    assert.equal((await ticket(done.ticketNumber)).attachments.length, 1);
  });

  it('when a photo arrives between a lost confirmation and the retry, the customer gets the ticket that was created, not an endless failure', async () => {
    let calls = 0;
    // The first confirmation creates the ticket, then its answer is lost on the way back.
    const flaky: TicketOperations = {
      register: async (input, options) => {
        calls += 1;
        const created = await harness.tickets.register(input, options);
        if (calls === 1) throw new UnavailableError('connection reset');
        return created;
      },
      findForCustomer: (query) => harness.tickets.findForCustomer(query),
    };
    const chat = harness.chat({ tickets: flaky });
    await registerUpToSerial(chat);
    await chat.say(message([LED_PHOTO]));
    await answerToSummary(chat, 'CK4APHOTO0008');
    assert.match(await chat.say('Confirm and submit'), /couldn't submit your registration just now/);

    await chat.say(message([LABEL_PHOTO]));
    const retried = await chat.say('Confirm and submit');
    const ticketNumber = /already registered a moment ago: your ticket number is (CK-[A-Z0-9]+)/.exec(
      retried,
    )?.[1];
    assert.ok(ticketNumber, retried);
    assert.match(retried, /Photos you sent after that could not be added/);

    const tickets = (await harness.tickets.list({ q: 'CK4APHOTO0008' })).items;
    assert.deepEqual(
      tickets.map((found) => [found.ticketNumber, found.attachments.map((attachment) => attachment.url)]),
      [[ticketNumber, [LED_PHOTO.url]]],
    );
  });

  it('when photos wait more than 7 days without a repair request, the next request does not carry them', async () => {
    let now = NOW;
    const chat = harness.chat({ now: () => now });
    assert.match(await chat.say(message([LED_PHOTO])), /^Got your photo/);

    now = new Date(NOW.getTime() + 8 * 24 * 60 * 60 * 1000);
    await registerUpToSerial(chat);
    assert.match(await answerToSummary(chat, 'CK4APHOTO0007'), /Photos: none/);
  });

  it('when the first message of a conversation is a photo, it is kept and the customer is asked what they need', async () => {
    const chat = harness.chat();
    assert.match(
      await chat.say(message([LED_PHOTO])),
      /^Got your photo, thanks\. If your device needs a repair, I'll attach it[\s\S]*What can I help you with\?/,
    );
  });

  it('when an MMS photo arrives on SMS mid-registration, the receipt and the question come in one SMS', async () => {
    const chat = harness.chat({
      channelId: 'sms',
      userId: '+14155550123',
      channelFacts: { verifiedPhone: '+14155550123' },
    });
    await chat.say('Register a repair');
    assert.match(await chat.say('2'), /Which CarlinKit product is it\?/);

    const replies = await chat.send(
      message([
        {
          name: 'media-1',
          contentType: 'image/jpeg',
          url: 'https://api.twilio.example/2010-04-01/Accounts/AC1/Messages/MM2/Media/ME2',
        },
      ]),
    );
    assert.equal(replies.length, 1);
    assert.match(
      replies[0].text,
      /^Got your photo, I'll attach it to your repair request\.\n\nWhich CarlinKit product is it\?/,
    );
  });

  it('when a message carries only a card (no file link), it is not treated as a photo', async () => {
    const chat = harness.chat();
    await registerUpToSerial(chat);
    const reply = await chat.say({
      type: 'message',
      text: 'CK4APHOTO0006',
      attachments: [{ contentType: 'text/html', content: '<p>CK4APHOTO0006</p>' }],
    });
    assert.doesNotMatch(reply, /photo|couldn't keep/i);
    assert.match(reply, /When did you buy it\?/);
  });
});
