import { strict as assert } from 'node:assert';
import mongoose from 'mongoose';
import type { TicketOperations } from '../../src/dialogs/ports';
import { MongoStorage } from '../../src/services/store/mongoStorage';
import { BotHarness } from '../dialogs/botHarness';

describe('Turn errors', () => {
  let harness: BotHarness;
  before(async () => {
    harness = await BotHarness.start();
  });
  after(async () => {
    await harness.close();
  });

  it('when another turn saved the conversation in the meantime, it asks to resend and keeps that turn’s state', async () => {
    const storage = new MongoStorage(harness.store.connection);
    const states = harness.store.connection.collection('botstate');
    let conversationId = '';
    // While this turn looks the ticket up, a concurrent turn for the same conversation saves its state.
    const racing: TicketOperations = {
      register: (input, options) => harness.tickets.register(input, options),
      findForCustomer: async (query) => {
        await states.updateOne({ _id: { $regex: conversationId } } as never, {
          $set: { eTag: 'saved-by-another-turn' },
        });
        return harness.tickets.findForCustomer(query);
      },
    };
    const chat = harness.chat({ storage, tickets: racing });
    conversationId = chat.conversationId;
    await chat.answers(['Repair status', 'CK-23456789']);
    const reply = await chat.say('+1 415 555 0100');
    assert.match(reply, /received two messages at the same time[\s\S]*send your last message again/);
    const lines = harness.logLines.map(
      (line) => JSON.parse(line) as { msg?: string; conversationId?: string },
    );
    assert.ok(
      lines.some(
        (line) => line.msg === 'turn lost to a concurrent turn' && line.conversationId === conversationId,
      ),
    );
    // The other turn's state is still there: the conversation was not reset.
    const stored = await states.findOne({ eTag: 'saved-by-another-turn' });
    assert.ok(stored, 'the concurrent state was kept');
  });

  it('when the store cannot be reached, it says to try again in a moment and keeps the conversation where it was', async () => {
    let down = false;
    const flaky: TicketOperations = {
      register: (input, options) => harness.tickets.register(input, options),
      findForCustomer: (query) =>
        down
          ? Promise.reject(new mongoose.mongo.MongoNetworkError('connect ECONNREFUSED 127.0.0.1:27017'))
          : harness.tickets.findForCustomer(query),
    };
    const chat = harness.chat({ tickets: flaky });
    await chat.answers(['Repair status', 'CK-23456789']);
    down = true;
    const reply = await chat.say('+1 415 555 0100');
    assert.match(reply, /having trouble on my side right now[\s\S]*try again in a moment/);
    assert.doesNotMatch(reply, /lost track/);
    down = false;
    // Positive control: the same answer again continues the status check (the state was kept).
    assert.match(await chat.say('+1 415 555 0100'), /couldn't find|no repair|not find|check the number/i);
  });
});
