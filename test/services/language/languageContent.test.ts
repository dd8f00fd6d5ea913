import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findCountry } from '../../../src/dialogs/fieldValidators';
import { loadLanguageWording } from '../../../src/dialogs/wording/languageWording';
import { FaqLibrary } from '../../../src/services/knowledge/faqLibrary';
import { countryCodeFromName } from '../../../src/services/language/countryNames';
import { OTHER_LANGUAGES } from '../../../src/services/language/languages';
import { DEFAULT_TRANSLATIONS_DIR, TranslatedFaq } from '../../../src/services/language/translatedFaq';

const english = FaqLibrary.load({ turnaroundBusinessDays: 9 });

describe('Translated content', () => {
  it('every language has every FAQ topic of faq.json, with placeholders filled', () => {
    const all = TranslatedFaq.loadAll(english);

    for (const language of OTHER_LANGUAGES) {
      const faq = all.get(language);
      assert.ok(faq, language);
      assert.deepEqual(
        faq.all().map((entry) => entry.id),
        english.all().map((entry) => entry.id),
        language,
      );
      assert.match(faq.get('turnaround')?.answer ?? '', /9/, language);
    }
  });

  it('when a translation misses a topic, loading names the file and the topic', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'faq-'));
    const file = JSON.parse(readFileSync(path.join(DEFAULT_TRANSLATIONS_DIR, 'faq.es.json'), 'utf8')) as {
      entries: Array<{ id: string }>;
    };
    file.entries = file.entries.filter((entry) => entry.id !== 'warranty');
    writeFileSync(path.join(dir, 'faq.es.json'), JSON.stringify(file));

    assert.throws(() => TranslatedFaq.load(english, 'es', dir), /faq\.es\.json[\s\S]*warranty: missing/);
  });

  it('a question in the customer language finds its topic by the translation keywords, accents or not', () => {
    const spanish = TranslatedFaq.load(english, 'es');

    assert.equal(spanish.match('¿la garantia cubre esto?')?.id, 'warranty');
    assert.equal(spanish.match('cuánto cuesta arreglarlo')?.id, 'repair_cost');
    assert.equal(spanish.match('mi perro se llama Max'), undefined);
  });

  it('every language wording file has exactly the keys of the English one', () => {
    const words = loadLanguageWording();

    for (const language of OTHER_LANGUAGES) assert.ok(words.get(language)?.text('intro'), language);
  });

  it('when a language wording file misses a message, loading names it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'words-'));
    const source = path.join(__dirname, '../../../src/dialogs/wording/languages');
    for (const language of ['en', ...OTHER_LANGUAGES]) {
      const file = JSON.parse(readFileSync(path.join(source, `${language}.json`), 'utf8')) as {
        messages: Record<string, string>;
      };
      if (language === 'fr') delete file.messages.limits;
      writeFileSync(path.join(dir, `${language}.json`), JSON.stringify(file));
    }

    assert.throws(() => loadLanguageWording(dir), /fr\.json: limits: missing/);
  });

  it('country names in the bot languages are understood ("Brasil", "Deutschland", "Allemagne", "德国")', () => {
    assert.equal(countryCodeFromName('Brasil'), 'BR');
    assert.equal(countryCodeFromName('Allemagne'), 'DE');
    assert.equal(countryCodeFromName('españa'), 'ES');
    assert.equal(countryCodeFromName('德国'), 'DE');
    assert.equal(findCountry('Brasil'), 'Brazil');
    assert.equal(findCountry('Alemania'), 'Germany');
    assert.equal(findCountry('Mexique'), 'Mexico');
    assert.equal(findCountry('skip'), undefined);
  });
});
