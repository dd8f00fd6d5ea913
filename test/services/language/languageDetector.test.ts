import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { LanguageDetector } from '../../../src/services/language/languageDetector';
import { LANGUAGES } from '../../../src/services/language/languages';
import { projectPath } from '../../../src/services/projectPath';
import { DEV_FILE, HELDOUT_FILE, loadLabelledMessages } from '../../../bench/nluEvaluation';

const SHORT_MESSAGES = projectPath('test/fixtures/language/short-messages.json');
const shortMessages = z
  .object({ messages: z.array(z.object({ text: z.string(), language: z.enum(LANGUAGES) })) })
  .parse(JSON.parse(readFileSync(SHORT_MESSAGES, 'utf8')) as unknown).messages;

describe('LanguageDetector', () => {
  const detector = new LanguageDetector();

  it('when a customer writes a sentence in Spanish, German, French, Portuguese or Chinese, it names the language', () => {
    assert.equal(detector.detect('Hola, mi adaptador no funciona y necesito ayuda')?.language, 'es');
    assert.equal(detector.detect('Hallo, mein Adapter verbindet sich nicht mehr')?.language, 'de');
    assert.equal(detector.detect('bonjour, mon boîtier ne marche plus')?.language, 'fr');
    assert.equal(detector.detect('olá, meu adaptador não conecta mais')?.language, 'pt');
    assert.equal(detector.detect('我的适配器连不上')?.language, 'zh');
  });

  it('when the message is short English, a serial, a ticket, a phone, an e-mail or a name, it makes no guess or says English', () => {
    for (const text of [
      'ok',
      'yes',
      'no',
      'U2WP22C118834',
      'CK-M4T8RW2H',
      '+1 415 555 0134',
      'maria.garcia@example.com',
      'Maria Garcia',
      'Hans Müller',
      'send address plz',
    ]) {
      const guess = detector.detect(text);
      assert.ok(guess === undefined || guess.language === 'en', `${text}: ${guess?.language}`);
    }
  });

  it('never takes an English message of the held-out or dev sets for another language', () => {
    const switched = [...loadLabelledMessages(HELDOUT_FILE), ...loadLabelledMessages(DEV_FILE)]
      .map((message) => ({ text: message.text, guess: detector.detect(message.text) }))
      .filter(({ guess }) => guess !== undefined && guess.language !== 'en')
      .map(({ text, guess }) => `${text}: ${guess?.language}`);

    assert.deepEqual(switched, []);
  });

  it('on the short-message fixture, it names most other-language messages and never a wrong language for English', () => {
    const foreign = shortMessages.filter((message) => message.language !== 'en');
    const right = foreign.filter((message) => detector.detect(message.text)?.language === message.language);
    const english = shortMessages.filter((message) => message.language === 'en');

    assert.ok(right.length / foreign.length >= 0.8, `${right.length} of ${foreign.length}`);
    for (const message of english) {
      const guess = detector.detect(message.text);
      assert.ok(guess === undefined || guess.language === 'en', message.text);
    }
  });
});
