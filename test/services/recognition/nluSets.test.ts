import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { BLIND_FILE, DEV_FILE, HELDOUT_FILE, loadLabelledMessages } from '../../../bench/nluEvaluation';
import { projectPath } from '../../../src/services/projectPath';
import { OfflineRecognizer } from '../../../src/services/recognition/offlineRecognizer';
import { loadTrainingSources, trainingExamplesOf } from '../../../src/services/recognition/offlineTrainer';
import { INTENTS } from '../../../src/services/recognition/recognizer';

/**
 * The blind set is frozen: written once from the issue-12 customer transcripts, apart from the
 * corpus, before any tuning. Changing it means writing a new one from new transcripts and changing
 * this hash in the same commit, saying why.
 */
const BLIND_SHA256 = 'e80f45d9e2e82f7d65345766c5248cf13d1a6cd5fcac9cc1ac5a7057ab2d62c8';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return sourceFiles(file);
    return /\.(ts|json)$/.test(name) ? [file] : [];
  });
}

describe('NLU evaluation sets', () => {
  it('the blind set is the frozen one (its SHA-256 has not changed)', () => {
    const digest = createHash('sha256').update(readFileSync(BLIND_FILE)).digest('hex');

    assert.equal(digest, BLIND_SHA256, `${BLIND_FILE} changed: the blind set is frozen`);
  });

  it('the blind set is valid, covers every intent, and holds plenty out of scope', () => {
    const blind = loadLabelledMessages(BLIND_FILE);

    assert.ok(blind.length >= 300);
    assert.ok(blind.filter((message) => message.intent === 'none').length >= 80);
    for (const intent of INTENTS)
      assert.ok(blind.filter((message) => message.intent === intent).length >= 12, intent);
  });

  it('the blind set uses no ticket number that appears in the code', () => {
    const inCode = new Set(
      sourceFiles(projectPath('src')).flatMap((file) =>
        (readFileSync(file, 'utf8').match(/CK-[A-Z0-9]{6,10}/gi) ?? []).map((ticket) => ticket.toUpperCase()),
      ),
    );
    const inBlind = loadLabelledMessages(BLIND_FILE).flatMap((message) =>
      (message.text.match(/CK-[A-Z0-9]{6,10}/gi) ?? []).map((ticket) => ticket.toUpperCase()),
    );

    assert.ok(inBlind.length > 0, 'the blind set asks about tickets by number');
    assert.deepEqual(
      inBlind.filter((ticket) => inCode.has(ticket)),
      [],
    );
  });

  it('no message is in two of corpus, held-out, dev and blind sets after the recognizer’s own normalisation', () => {
    const recognizer = OfflineRecognizer.create();
    // Normalised words, then punctuation dropped: "Seriously?!" and "seriously" are one message.
    const key = (text: string): string =>
      recognizer
        .words(text)
        .join(' ')
        .replace(/[^\p{L}\p{N}_]+/gu, ' ')
        .trim();
    const sources = loadTrainingSources();
    const sets: Array<{ name: string; texts: string[] }> = [
      {
        name: 'corpus',
        texts: [
          ...sources.corpus.intents.flatMap((file) => file.examples),
          ...trainingExamplesOf(sources).map((example) => example.text),
        ],
      },
      { name: 'held-out', texts: loadLabelledMessages(HELDOUT_FILE).map((message) => message.text) },
      { name: 'dev', texts: loadLabelledMessages(DEV_FILE).map((message) => message.text) },
      { name: 'blind', texts: loadLabelledMessages(BLIND_FILE).map((message) => message.text) },
    ];
    const owner = new Map<string, { set: string; text: string }>();
    const leaks: string[] = [];

    for (const { name, texts } of sets) {
      const own = new Set<string>();
      for (const text of texts) {
        const normalised = key(text);
        const previous = owner.get(normalised);
        if (previous && !own.has(normalised))
          leaks.push(`${name} ${JSON.stringify(text)} = ${previous.set} ${JSON.stringify(previous.text)}`);
        own.add(normalised);
        if (!previous) owner.set(normalised, { set: name, text });
      }
    }

    assert.deepEqual(leaks, []);
  });

  it('the leak check is not vacuous: it finds a spelling variant of a corpus sentence', () => {
    const recognizer = OfflineRecognizer.create();
    const template = loadTrainingSources().corpus.intents[0]?.examples[0] ?? '';

    assert.equal(
      recognizer.words(`${template.toUpperCase()}!!`).join(' '),
      recognizer.words(template).join(' '),
    );
  });
});
