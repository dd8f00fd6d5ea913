import type { HandoffDetails, HumanHandoff } from '../../src/dialogs/ports';
import { strict as assert } from 'node:assert';
import { BotHarness } from './botHarness';

describe('Troubleshooting dialog', () => {
  let harness: BotHarness;
  before(async () => {
    harness = await BotHarness.start();
  });
  after(async () => {
    await harness.close();
  });

  it('when a step helps, it closes kindly, asks for a 1-5 rating and stores it', async () => {
    const chat = harness.chat();
    assert.match(await chat.say('My wireless adapter keeps disconnecting'), /Which CarlinKit product/);
    // The U2W Plus is CarPlay-only, so the bot does not ask which phone.
    assert.match(await chat.say('U2W Plus'), /What make of car/);
    assert.match(await chat.say('skip'), /clean restart[\s\S]*Did this help\?/);
    const closing = await chat.send('yes');
    assert.match(
      closing.map((reply) => reply.text).join('\n'),
      /glad it's working again[\s\S]*rate my help today, from 1 \(poor\) to 5/,
    );
    assert.deepEqual(closing.at(-1)!.buttons, ['1', '2', '3', '4', '5', 'Skip']);
    assert.match(await chat.say('5'), /Thank you for your feedback![\s\S]*anything else/);

    const ratings = await harness.ratings.list('troubleshooting:connection');
    assert.deepEqual(
      ratings
        .filter((rating) => rating.conversationId === chat.conversationId)
        .map((rating) => [rating.rating, rating.productId]),
      [[5, 'u2w-plus']],
    );
  });

  it('when the customer skips the rating, nothing is stored', async () => {
    const chat = harness.chat();
    await chat.answers(['there is no sound from my carplay adapter', 'U2W Plus', 'skip', 'No sound']);
    await chat.say('yes');
    assert.match(await chat.say('skip'), /anything else/);
    const ratings = await harness.ratings.list();
    assert.equal(ratings.filter((rating) => rating.conversationId === chat.conversationId).length, 0);
  });

  it('when nothing helps, it offers a repair ticket pre-filled with the symptom and every step tried', async () => {
    const chat = harness.chat();
    await chat.answers(['the adapter will not connect', 'CarlinKit 4.0', 'Tesla', 'Android']);
    // restart → wired check (a question) → USB port → forget pairing → Android Auto settings → Wi-Fi → firmware.
    assert.match(await chat.say('no'), /wired Android Auto has to work first/);
    assert.match(await chat.say('Yes, wired works'), /USB port/);
    assert.match(await chat.say('no'), /pair again/);
    assert.match(await chat.say('no'), /Android Auto settings/);
    assert.match(await chat.say('no'), /5 GHz Wi-Fi/);
    assert.match(await chat.say('no'), /update the adapter's firmware/);
    const offer = await chat.send('no');
    assert.match(
      offer.map((reply) => reply.text).join('\n'),
      /product itself may be faulty[\s\S]*Would you like me to register a repair/,
    );
    assert.deepEqual(offer.at(-1)!.buttons, ['Yes, register a repair', 'No, thanks']);

    // The product is known: registration starts at the serial number.
    assert.match(await chat.say('yes'), /Let's register the repair[\s\S]*serial number/);
    await chat.answers([
      'ABC12345678',
      '2025-12-01',
      'Amazon',
      'skip',
      'skip',
      'Ana Lima',
      '+351 912 345 678',
      'ana@example.com',
      'Rua Augusta 10',
      'skip',
      'Lisboa',
      'skip',
      '1100-053',
    ]);
    const summary = await chat.say('Portugal');
    assert.match(summary, /Already tried: 7 troubleshooting steps/);
    assert.match(await chat.say('Confirm and submit'), /Your ticket number is CK-/);

    const page = await harness.tickets.list({ q: 'ABC12345678' });
    assert.equal(page.items.length, 1);
    const ticket = page.items[0];
    assert.equal(ticket.product.faultCategory, 'connection');
    assert.equal(ticket.product.productId, 'cpc200-ccpa');
    assert.equal(
      ticket.product.faultDescription,
      'The product does not connect to the phone or the car, or keeps disconnecting.',
    );
    assert.deepEqual(ticket.product.troubleshootingTried, [
      'Restarted the phone, the car and the adapter',
      "Checked that the car's wired CarPlay / Android Auto works with a cable: Yes, wired works",
      "Used the car's CarPlay USB port directly, without hubs or extension cables",
      'Forgot the old pairing on the phone and paired again',
      'Checked the Android Auto settings and battery saving on the phone',
      'Removed Wi-Fi interference (other networks, hotspot, VPN)',
      'Checked the firmware version and updated it',
    ]);
  });

  it('when the customer declines the repair offer, it says how to come back and returns to the menu', async () => {
    const chat = harness.chat();
    await chat.answers(['my tbox screen is black', 'Tbox Plus', 'skip', 'Black or blank screen', 'no', 'no']);
    const offer = await chat.say('no');
    assert.match(offer, /register a repair/);
    assert.match(await chat.say('No, thanks'), /say 'register a repair'[\s\S]*anything else/);
  });

  it('when troubleshooting ends unsolved and the customer declines a ticket, a person takes over with the steps tried', async () => {
    const requests: Array<{ reason: string; details?: HandoffDetails }> = [];
    const handoff: HumanHandoff = {
      request: async (context, reason, details) => {
        requests.push({ reason, ...(details ? { details } : {}) });
        await context.sendActivity('QUEUED FOR A PERSON');
        return true;
      },
    };
    const chat = harness.chat({ handoff });
    await chat.answers(['my tbox screen is black', 'Tbox Plus', 'skip', 'Black or blank screen', 'no', 'no']);
    await chat.say('no');
    const reply = await chat.say('No, thanks');
    assert.match(reply, /QUEUED FOR A PERSON/);
    assert.doesNotMatch(reply, /say 'register a repair'/);
    assert.equal(requests.length, 1);
    assert.equal(requests[0]?.reason, 'unsolved');
    assert.match(requests[0]?.details?.product ?? '', /^CarlinKit AI Box/);
    const steps = requests[0]?.details?.troubleshooting ?? [];
    assert.ok(steps.length >= 2, JSON.stringify(steps));
    assert.deepEqual(steps.at(-1), { step: 'Repair ticket offered', answer: 'declined' });
  });

  it('when the car and adapter match a known issue, it comes first with the firmware version that fixes it', async () => {
    const chat = harness.chat();
    await chat.answers(['my adapter keeps disconnecting', 'CarlinKit 4.0']);
    const issue = await chat.say('my VW Golf');
    assert.match(
      issue,
      /known issue: on some Volkswagen-group cars[\s\S]*firmware 2024\.03\.21 or later[\s\S]*192\.168\.50\.2[\s\S]*Did that fix it\?/,
    );
    assert.match(await chat.say('yes'), /glad it's working again/);
  });

  it("when wired CarPlay doesn't work either, it explains the fix is on the car or phone side and offers no repair", async () => {
    const chat = harness.chat();
    await chat.answers(['my adapter will not connect', 'U2W Plus', 'Toyota', 'no']);
    const advice = await chat.say("No, wired doesn't work");
    assert.match(advice, /problem is on the car or phone side[\s\S]*Screen Time[\s\S]*anything else/);
    assert.doesNotMatch(advice, /register a repair\?/);
  });

  it('when the symptom is not known, it asks for it with every tree as an option', async () => {
    const chat = harness.chat();
    const replies = await chat.send('Fix a problem');
    assert.match(replies.at(-1)!.text, /What kind of problem is it\?/);
    assert.deepEqual(replies.at(-1)!.buttons, [
      'Connection',
      'Sound',
      'Screen',
      'Power',
      'Firmware / software',
    ]);
  });

  const firstSteps: Array<[string, string[], RegExp]> = [
    [
      'sound delay on an AI box gets the AI box variant',
      ['Fix a problem', 'Sound', 'AI box', 'skip', 'Delay / out of sync'],
      /On the AI box, open the CarPlay \/ Android Auto app's settings/,
    ],
    [
      'echo on calls gets the microphone step',
      ['Fix a problem', 'Sound', 'A2A', 'skip', 'Echo or bad calls'],
      /set the microphone to the car's microphone/,
    ],
    [
      'a wrong picture size gets the resolution setting',
      ['Fix a problem', 'Screen', '2air', 'Honda'],
      /known issue: on some Honda and Acura head units/,
    ],
    [
      'a dead adapter gets the power checks',
      ['Fix a problem', 'Power', 'Mini 2', 'skip', 'No light at all'],
      /ignition is fully on/,
    ],
    [
      'an overheating box gets the cooling advice',
      ['Fix a problem', 'Power', 'AI box', 'skip', 'Gets very hot'],
      /too hot to touch/,
    ],
    [
      'a failed update gets the retry advice',
      ['Fix a problem', 'Firmware / software', 'Not sure', 'System update', 'Update fails'],
      /mobile data.*VPN/s,
    ],
    [
      'AI box apps crashing get the app checks',
      ['Fix a problem', 'Firmware / software', 'Tbox Mini', 'Apps crash or freeze'],
      /Clear cache/,
    ],
    [
      'an AI box SIM problem gets the APN step',
      ['Fix a problem', 'Firmware / software', 'Tbox UHD', 'SIM / mobile data'],
      /APN/,
    ],
    [
      'the dongle gets the Autokit steps',
      ['my autokit dongle does not connect', 'CCPM', 'skip', 'Android', 'no'],
      /Autokit app on your Android head unit/,
    ],
  ];
  for (const [behaviour, inputs, expected] of firstSteps) {
    it(`when ${behaviour}`, async () => {
      const chat = harness.chat();
      assert.match(await chat.answers(inputs), expected);
    });
  }

  it('when a power test shows the adapter lights up elsewhere, it advises on the car port instead of a repair', async () => {
    const chat = harness.chat();
    await chat.answers(['Fix a problem', 'Power', 'Mini 2', 'skip', 'No light at all', 'no']);
    assert.match(await chat.say('Yes, it lights up'), /most likely fine[\s\S]*anything else/);
  });

  it('when a step answer is unusable three times, it offers a person and keeps the step', async () => {
    const chat = harness.chat();
    await chat.answers(['there is no sound from my carplay adapter', 'U2W Plus', 'skip', 'No sound']);
    assert.match(await chat.say('purple'), /choose one of the options/);
    await chat.say('banana');
    const third = await chat.send('whatever');
    assert.match(third.at(-1)!.text, /a person from our team can help/);
    assert.deepEqual(third.at(-1)!.buttons, ['Yes', 'No', 'Talk to a person']);
    assert.match(
      await chat.say('Talk to a person'),
      /say 'agent' here[\s\S]*back to where we were[\s\S]*Did this help\?/,
    );
  });
});
