import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DEV_FILE, HELDOUT_FILE, loadLabelledMessages } from '../../../bench/nluEvaluation';
import {
  buildCluProject,
  CLU_PROJECT_FILE,
  cluProjectSchema,
  serializeCluProject,
} from '../../../src/services/recognition/cluProject';
import {
  loadTrainingSources,
  trainingExamplesOf,
  trainOfflineModel,
  type TrainingSources,
} from '../../../src/services/recognition/offlineTrainer';
import { OfflineRecognizer } from '../../../src/services/recognition/offlineRecognizer';
import { ENTITY_KINDS, INTENTS } from '../../../src/services/recognition/recognizer';
import { readTrainedModel } from '../../../src/services/recognition/trainedModel';
import type { TrainingExample } from '../../../src/services/recognition/trainingCorpus';

/** How sentences are compared for leaks: case, punctuation and spacing do not make a sentence new. */
function canonical(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

describe('training corpus', () => {
  let sources: TrainingSources;
  let examples: TrainingExample[];

  before(() => {
    sources = loadTrainingSources();
    examples = trainingExamplesOf(sources);
  });

  it('has many varied examples for every intent, and several hundred out-of-scope ones', () => {
    for (const intent of INTENTS) {
      const count = examples.filter((example) => example.intent === intent).length;
      assert.ok(count >= 60, `${intent} has only ${count} examples`);
    }
    assert.ok(examples.filter((example) => example.intent === 'none').length >= 250);
    assert.ok(examples.length >= 1500);
  });

  it('holds no held-out or dev sentence (evaluation stays honest)', () => {
    const training = new Set(examples.map((example) => canonical(example.text)));
    const templates = new Set(sources.corpus.intents.flatMap((file) => file.examples.map(canonical)));
    for (const file of [HELDOUT_FILE, DEV_FILE]) {
      const leaked = loadLabelledMessages(file).filter(
        (message) => training.has(canonical(message.text)) || templates.has(canonical(message.text)),
      );
      assert.deepEqual(
        leaked.map((message) => message.text),
        [],
        `${file} sentences found in the corpus`,
      );
    }
  });

  it('never gives the same sentence two different intents', () => {
    const intentBySentence = new Map<string, string>();
    const conflicts: string[] = [];
    for (const example of examples) {
      const key = canonical(example.text);
      const previous = intentBySentence.get(key);
      if (previous !== undefined && previous !== example.intent)
        conflicts.push(`${example.text}: ${previous} / ${example.intent}`);
      intentBySentence.set(key, example.intent);
    }
    assert.deepEqual(conflicts, []);
  });

  it('records where each slot entity landed in its sentence', () => {
    const withEntities = examples.filter((example) => example.entities.length > 0);
    assert.ok(withEntities.length > 100);
    for (const kind of ENTITY_KINDS)
      assert.ok(
        withEntities.some((example) => example.entities.some((entity) => entity.kind === kind)),
        kind,
      );
    for (const example of withEntities) {
      for (const entity of example.entities)
        assert.ok(entity.start >= 0 && entity.end <= example.text.length && entity.start < entity.end);
    }
  });

  it('the held-out and dev sets are valid, separate, and cover every intent with plenty out of scope', () => {
    const heldout = loadLabelledMessages(HELDOUT_FILE);
    const dev = new Set(loadLabelledMessages(DEV_FILE).map((message) => canonical(message.text)));
    assert.ok(heldout.length >= 400);
    assert.ok(heldout.filter((message) => message.intent === 'none').length >= 80);
    for (const intent of INTENTS)
      assert.ok(heldout.filter((message) => message.intent === intent).length >= 15, intent);
    assert.deepEqual(
      heldout.filter((message) => dev.has(canonical(message.text))).map((message) => message.text),
      [],
    );
  });

  describe('generated files', () => {
    it('deployment/clu/ holds the CLU project exported from the current corpus (run `npm run clu:export` if not)', () => {
      const expected = serializeCluProject(buildCluProject(sources));

      const committed = readFileSync(CLU_PROJECT_FILE, 'utf8');

      assert.ok(
        committed === expected,
        'deployment/clu/carlinkit-support.json is out of date: run `npm run clu:export`',
      );
    });

    it('the CLU project is a valid Language Studio conversation project whose labels match their text', () => {
      const project = cluProjectSchema.parse(JSON.parse(readFileSync(CLU_PROJECT_FILE, 'utf8')));

      assert.deepEqual(
        project.assets.intents.map((intent) => intent.category),
        INTENTS.map((intent) => (intent === 'none' ? 'None' : intent)),
      );
      assert.deepEqual(
        project.assets.entities.map((entity) => entity.category).sort(),
        [...ENTITY_KINDS].sort(),
      );
      const intents = new Set(project.assets.intents.map((intent) => intent.category));
      const regexCount = project.assets.entities.reduce(
        (sum, entity) => sum + (entity.regex?.expressions.length ?? 0),
        0,
      );
      assert.ok(regexCount <= 20, 'CLU allows 20 regular expressions per project');
      for (const utterance of project.assets.utterances) {
        assert.ok(intents.has(utterance.intent), utterance.intent);
        for (const entity of utterance.entities) {
          assert.ok(entity.offset + entity.length <= utterance.text.length, utterance.text);
        }
      }
      const labelled = project.assets.utterances.flatMap((utterance) =>
        utterance.entities.map((entity) => ({
          ...entity,
          text: utterance.text.slice(entity.offset, entity.offset + entity.length),
        })),
      );
      const productAliases = new Set(sources.products.map((product) => product.alias));
      for (const entity of labelled.filter((candidate) => candidate.category === 'product_model'))
        assert.ok(productAliases.has(entity.text.toLowerCase()), entity.text);
    });

    it('the shipped offline model was trained from the current data (run `npm run nlu:train` if not) and predicts as a fresh one', () => {
      const shipped = readTrainedModel();
      assert.ok(
        shipped,
        'src/services/recognition/data/trainedModel.json is missing: run `npm run nlu:train`',
      );
      const fresh = trainOfflineModel(sources);
      assert.equal(
        shipped.fingerprint,
        fresh.fingerprint,
        'trainedModel.json is out of date: run `npm run nlu:train`',
      );

      const loaded = new OfflineRecognizer(shipped, sources);
      const trained = new OfflineRecognizer(fresh, sources);
      for (const message of loadLabelledMessages(DEV_FILE)) {
        assert.deepEqual(loaded.recognizeSync(message.text), trained.recognizeSync(message.text));
      }
    });
  });
});
