import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_FAQ_FILE, FAQ_TOPICS, FaqLibrary } from '../../../src/services/knowledge/faqLibrary';

async function loadChanged(
  change: (file: { entries: Array<Record<string, unknown>> } & Record<string, unknown>) => void,
): Promise<Error> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'faq-'));
  try {
    const raw = JSON.parse(await readFile(DEFAULT_FAQ_FILE, 'utf8')) as {
      entries: Array<Record<string, unknown>>;
    } & Record<string, unknown>;
    change(raw);
    const file = path.join(dir, 'faq.json');
    await writeFile(file, JSON.stringify(raw));
    try {
      FaqLibrary.load({ turnaroundBusinessDays: 14 }, file);
    } catch (error) {
      return error as Error;
    }
    throw new Error('expected the FAQ to be refused');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('FaqLibrary', () => {
  it('when loaded, every topic has an answer and the turnaround comes from the configuration', () => {
    const faq = FaqLibrary.load({ turnaroundBusinessDays: 10 });
    assert.deepEqual(
      faq.all().map((entry) => entry.id),
      [...FAQ_TOPICS],
    );
    assert.match(faq.get('turnaround').answer, /about 10 business days/);
    assert.equal(faq.forIntent('faq_shipping_cost')?.id, 'shipping_cost');
    assert.equal(faq.forIntent('repair_request'), undefined);
  });

  it('answers only what the after-sales page says: the address comes by SMS after review, costs depend on the test', () => {
    const faq = FaqLibrary.load({ turnaroundBusinessDays: 14 });
    assert.match(
      faq.get('send_address').answer,
      /after we've reviewed your registration, you'll receive an SMS with the address/i,
    );
    assert.match(faq.get('repair_cost').answer, /1-year warranty/);
    assert.match(faq.get('shipping_cost').answer, /only pay the shipping to our after-sales centre/);
    assert.match(faq.contact, /say 'agent' here[\s\S]*leave a message/);
    assert.doesNotMatch(faq.contact, /Online Message/);
  });

  const broken: Array<
    [string, (file: { entries: Array<Record<string, unknown>> } & Record<string, unknown>) => void, RegExp]
  > = [
    [
      'a topic is missing',
      (file) => void (file.entries = file.entries.filter((entry) => entry.id !== 'warranty')),
      /no answer for "warranty"/,
    ],
    [
      'an answer uses an unknown placeholder',
      (file) => void (file.entries[0].answer = 'It costs {price}.'),
      /unknown placeholder \{price\}/,
    ],
    [
      'two answers claim the same intent',
      (file) => void (file.entries[1].intent = 'faq_repair_cost'),
      /"faq_repair_cost" is mapped twice/,
    ],
    [
      'an answer is too long for one SMS',
      (file) => void (file.entries[0].answer = 'x'.repeat(1300)),
      /entries\.0\.answer/,
    ],
  ];
  for (const [problem, change, message] of broken) {
    it(`when ${problem}, loading fails with a clear message`, async () => {
      const error = await loadChanged(change);
      assert.match(error.message, /^FAQ faq\.json is invalid/);
      assert.match(error.message, message);
    });
  }

  it('when a message raises several topics, each entry is found, in the order the message asks', () => {
    const faq = FaqLibrary.load({ turnaroundBusinessDays: 14 });
    assert.deepEqual(
      faq.matchTopics('hw long 4 repair? n who pays shippin? also under warranty?').map((entry) => entry.id),
      ['turnaround', 'shipping_cost', 'warranty'],
    );
    assert.deepEqual(
      faq.matchTopics('it makes a crackling sound').map((entry) => entry.id),
      [],
      'whole words only: "crackling" is not "cracked"',
    );
  });

  it('when a topic phrase is not lower-case words, loading fails naming the entry', async () => {
    const error = await loadChanged((file) => {
      file.entries[0].topics = ['How (much)?'];
    });
    assert.match(error.message, /entries\.0\.topics\.0: lower-case words/);
  });

  it('when an entry names an unknown action, loading fails', async () => {
    const error = await loadChanged((file) => {
      file.entries[0].action = 'refund_now';
    });
    assert.match(error.message, /entries\.0\.action/);
  });
});
