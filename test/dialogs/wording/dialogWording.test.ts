import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  DEFAULT_WORDING_DIR,
  DIALOG_WORDING,
  loadDialogWording,
  type WordKey,
} from '../../../src/dialogs/wording/dialogWording';
import { WordingCatalog } from '../../../src/services/content/wordingCatalog';
import { BotHarness } from '../botHarness';

interface WordingFile {
  locale: string;
  messages: Record<string, Record<string, string>>;
}

async function shippedEnglish(): Promise<WordingFile> {
  return JSON.parse(await readFile(path.join(DEFAULT_WORDING_DIR, 'en.json'), 'utf8')) as WordingFile;
}

/** Writes wording files into a temporary folder and gives it to `use`. */
async function withFiles<T>(
  files: Record<string, unknown>,
  use: (dir: string) => T | Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wording-'));
  try {
    for (const [name, content] of Object.entries(files))
      await writeFile(path.join(dir, name), JSON.stringify(content));
    return await use(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function refusal(change: (file: WordingFile) => void): Promise<string> {
  const file = await shippedEnglish();
  change(file);
  return withFiles({ 'en.json': file }, (dir) => {
    try {
      loadDialogWording(dir);
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('expected the wording to be refused');
  });
}

describe('The bot’s wording as content (src/dialogs/wording/en.json)', () => {
  it('when the shipped English is loaded, every message the dialogs say formats with the values they pass', () => {
    const words = loadDialogWording().forLocale('en-GB');
    for (const [key, names] of Object.entries(DIALOG_WORDING)) {
      const values = Object.fromEntries(names.map((name) => [name, name === 'stopWords' ? 'x' : 2]));
      const text = (words.text as (key: WordKey, values?: Record<string, string | number>) => string)(
        key as WordKey,
        values,
      );
      assert.ok(text.trim().length > 0, key);
      assert.doesNotMatch(text, /[{}]/, `${key} left a placeholder unfilled: ${text}`);
    }
    assert.equal(
      words.text('status.rateLimited', { minutes: 1 }),
      'There have been too many status checks just now. Please try again in 1 minute.',
    );
    assert.match(words.text('status.rateLimited', { minutes: 5 }), /in 5 minutes\.$/);
  });

  it('when a message uses a placeholder the bot does not fill, start-up fails naming the file, the message and the placeholder', async () => {
    const message = await refusal((file) => {
      file.messages.status.notFound = 'No repair {ticketNumber} found for {phone}.';
    });
    assert.match(message, /^Wording en\.json is invalid:/);
    assert.match(message, /status\.notFound: unknown placeholder \{ticketNumber\} \(known: none\)/);
    assert.match(message, /status\.notFound: unknown placeholder \{phone\}/);
  });

  it('when a placeholder is misspelt inside a plural branch, start-up fails too', async () => {
    const message = await refusal((file) => {
      file.messages.registration.rateLimited =
        'Wait {minutes, plural, one {# minute} other {# minutes, {name}}}.';
    });
    assert.match(message, /registration\.rateLimited: unknown placeholder \{name\} \(known: minutes\)/);
  });

  it('when a message is missing, unknown, or not valid MessageFormat, start-up fails naming each', async () => {
    const message = await refusal((file) => {
      delete file.messages.main.goodbye;
      file.messages.main.goodbey = 'Bye!';
      file.messages.system.apology = 'Sorry {';
    });
    assert.match(message, /main\.goodbye: missing/);
    assert.match(message, /main\.goodbey: no such message/);
    assert.match(message, /system\.apology: not a valid message/);
  });

  it('when the file names another locale than its file name, it is refused', async () => {
    const message = await refusal((file) => {
      file.locale = 'de';
    });
    assert.match(message, /locale: is "de", the file name says "en"/);
  });

  it('when a translation is a second file, the customer’s locale picks it and any other locale gets the first', async () => {
    const english = await shippedEnglish();
    const german: WordingFile = JSON.parse(JSON.stringify(english)) as WordingFile;
    german.locale = 'de';
    german.messages.status.rateLimited =
      'Zu viele Anfragen. Bitte versuchen Sie es in {minutes, plural, one {# Minute} other {# Minuten}} erneut.';
    await withFiles({ 'en.json': english, 'de.json': german }, (dir) => {
      const catalog = WordingCatalog.load(DIALOG_WORDING, { dir, locales: ['en', 'de'] });
      assert.equal(
        catalog.forLocale('de-AT').text('status.rateLimited', { minutes: 3 }),
        'Zu viele Anfragen. Bitte versuchen Sie es in 3 Minuten erneut.',
      );
      assert.match(catalog.forLocale('fr-FR').text('status.rateLimited', { minutes: 3 }), /^There have been/);
      assert.match(
        catalog.forLocale(undefined).text('status.rateLimited', { minutes: 3 }),
        /^There have been/,
      );
    });
  });

  describe('in a conversation', () => {
    let harness: BotHarness;
    before(async () => {
      harness = await BotHarness.start();
    });
    after(async () => {
      await harness.close();
    });

    it('when support staff change a message in the file, the bot says the new wording with no code change', async () => {
      const file = await shippedEnglish();
      file.messages.main.nothingToCancel = 'Nothing is running, so there is nothing to cancel.';
      file.messages.main.menuPromptFirst = 'How can we help today?';
      const reply = await withFiles({ 'en.json': file }, async (dir) => {
        const chat = harness.chat({ wording: loadDialogWording(dir) });
        await chat.say('hi');
        return chat.say('cancel');
      });
      assert.match(
        reply,
        /^Nothing is running, so there is nothing to cancel\.\n---\nHow can we help today\?$/,
      );
    });
  });
});
