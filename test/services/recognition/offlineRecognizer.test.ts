import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { OfflineRecognizer, MAX_ANALYSED_CHARS } from '../../../src/services/recognition/offlineRecognizer';
import { DEFAULT_CORPUS_DIR } from '../../../src/services/recognition/trainingCorpus';
import { INTENTS, type IntentName } from '../../../src/services/recognition/recognizer';
import { memoryLogger } from '../../support/silentLogger';

describe('OfflineRecognizer', () => {
  let recognizer: OfflineRecognizer;

  before(() => {
    recognizer = OfflineRecognizer.create();
  });

  // Representative customer messages, casual spelling included; none of them is in the corpus.
  const cases: Array<[string, IntentName]> = [
    ['hw long 4 repair', 'faq_turnaround'],
    ['how much would u charge to fix my 2air', 'faq_repair_cost'],
    ['do i gotta pay postage to send it to u', 'faq_shipping_cost'],
    ['whats the procedure to get my box repaired', 'faq_process'],
    ['is my tbox plus still under warrenty', 'faq_warranty'],
    ['wat adress do i mail it to', 'faq_send_address'],
    ['my adapter is dead i want a replacment', 'repair_request'],
    ['wont conect to my iphone in my toyota', 'troubleshoot_connection'],
    ['carplay keeps disconecting pls help', 'troubleshoot_connection'],
    ['no sound when i play spotify', 'troubleshoot_audio'],
    ['the scren flickers and goes black', 'troubleshoot_display'],
    ['it gets super hot and turns off', 'troubleshoot_power'],
    ['how do i updte the firmwire', 'troubleshoot_firmware'],
    ['any news on my repair ck-7F3K29Q', 'ticket_status'],
    ['pls let me talk to a real person', 'talk_to_agent'],
    ['hiii', 'greeting'],
    ['thx a lot, bye', 'thanks_goodbye'],
    ['nvm cancel that', 'cancel'],
    ['hi there, how long does the repair take?', 'faq_turnaround'],
  ];
  for (const [text, intent] of cases) {
    it(`when a customer writes "${text}", it recognises ${intent}`, async () => {
      const recognition = await recognizer.recognize(text);

      assert.equal(recognition.intent, intent, `alternatives: ${JSON.stringify(recognition.alternatives)}`);
      assert.equal(recognition.source, 'offline');
    });
  }

  const outOfScope = [
    'what is the weather in madrid tomorrow',
    'tell me a funny joke',
    'my microwave stopped heating',
    'qzxj vbnm plok',
    'who won the tennis yesterday',
    'how do i fix my ottocast',
  ];
  for (const text of outOfScope) {
    it(`when a message is out of scope ("${text}"), it answers none`, () => {
      assert.equal(recognizer.recognizeSync(text).intent, 'none');
    });
  }

  it('when it answers, the confidence is between 0 and 1 and the alternatives are ranked other intents', () => {
    for (const text of [
      'where do i send it for repair and who pays shipping',
      'screen black no sound',
      'hello',
    ]) {
      const recognition = recognizer.recognizeSync(text);

      assert.ok(recognition.confidence >= 0 && recognition.confidence <= 1);
      assert.ok(INTENTS.includes(recognition.intent));
      assert.ok(
        recognition.alternatives.every(
          (alternative) => alternative.intent !== recognition.intent && alternative.intent !== 'none',
        ),
      );
      const confidences = recognition.alternatives.map((alternative) => alternative.confidence);
      assert.deepEqual(
        confidences,
        [...confidences].sort((a, b) => b - a),
      );
    }
  });

  it('when a message names no topic at all, it answers none so the bot can ask what the matter is', () => {
    for (const text of ['help', 'problem', 'my adapter'])
      assert.equal(recognizer.recognizeSync(text).intent, 'none', text);
  });

  it('when it is sure, the confidence is high; when it is guessing, it is low', () => {
    assert.ok(recognizer.recognizeSync('how long is the warranty').confidence > 0.8);
    const vague = recognizer.recognizeSync('the thing');
    assert.ok(vague.intent === 'none' || vague.confidence < 0.6, JSON.stringify(vague));
  });

  it('when the text is empty or only punctuation, it answers none', () => {
    for (const text of ['', '   ', '?!...']) assert.equal(recognizer.recognizeSync(text).intent, 'none');
  });

  it('when the text is very long, it still answers quickly and keeps the original text', () => {
    const text = `my carplay wont connect ${'blah '.repeat(20_000)}`;
    const started = performance.now();

    const recognition = recognizer.recognizeSync(text);

    assert.equal(recognition.text, text);
    assert.ok(performance.now() - started < 1000);
    assert.ok(recognition.entities.every((entity) => entity.end <= MAX_ANALYSED_CHARS));
  });

  it('when a message holds entities, it returns them with the intent', () => {
    const recognition = recognizer.recognizeSync(
      'status of CK-55XY8812 please, my number is +44 7700 900123',
    );

    assert.equal(recognition.intent, 'ticket_status');
    assert.deepEqual(
      recognition.entities.map((entity) => [entity.kind, entity.value]),
      [
        ['ticket_number', 'CK-55XY8812'],
        ['phone', '+447700900123'],
      ],
    );
  });

  it('normalises shorthand, contractions and typos into standard words', () => {
    assert.deepEqual(recognizer.words('hw long 4 repair'), ['how', 'long', 'for', 'repair']);
    assert.deepEqual(recognizer.words("u won't, it doesnt"), ['you', 'will', 'not', 'it', 'does', 'not']);
    assert.deepEqual(recognizer.words('car play wont conect'), ['carplay', 'will', 'not', 'connect']);
    assert.deepEqual(recognizer.words('blutooth pairing problm'), ['bluetooth', 'pairing', 'problem']);
    assert.deepEqual(recognizer.words('it takes 2 weeks'), ['it', 'takes', '2', 'weeks']);
    assert.deepEqual(recognizer.words('my 2air'), ['my', '__product_model__']);
  });

  describe('start-up', () => {
    let dataDir: string;

    beforeEach(async () => {
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'nlu-data-'));
      await cp(DEFAULT_CORPUS_DIR, dataDir, { recursive: true });
    });

    afterEach(async () => {
      await rm(dataDir, { recursive: true, force: true });
    });

    it('when the shipped model matches the corpus, it loads it instead of training', () => {
      const { logger, lines } = memoryLogger();

      OfflineRecognizer.create({ logger });

      assert.ok(
        lines.some((line) => line.includes('"model":"shipped model"')),
        lines.join('\n'),
      );
    });

    it('when the corpus changed after the model was trained, it trains at start-up, warns, and learns the change', async () => {
      const file = path.join(dataDir, 'corpus', 'faq_send_address.json');
      const corpus = JSON.parse(await readFile(file, 'utf8')) as { examples: string[] };
      corpus.examples.push('xylophone zebra quokka', 'quokka zebra xylophone please');
      await writeFile(file, JSON.stringify(corpus));
      const { logger, lines } = memoryLogger();

      const retrained = OfflineRecognizer.create({
        dataDir,
        modelFile: path.join(dataDir, 'trainedModel.json'),
        logger,
      });

      assert.ok(
        lines.some((line) => line.includes('"level":"warn"') && line.includes('nlu:train')),
        lines.join('\n'),
      );
      assert.ok(lines.some((line) => line.includes('"model":"trained at start-up"')));
      assert.equal(retrained.recognizeSync('xylophone zebra quokka').intent, 'faq_send_address');
    });

    it('when the model file is corrupt, it refuses to start with a message naming the file', async () => {
      const modelFile = path.join(dataDir, 'trainedModel.json');
      const model = JSON.parse(await readFile(modelFile, 'utf8')) as Record<string, unknown>;
      await writeFile(modelFile, JSON.stringify({ ...model, weights: 'not base64!' }));

      assert.throws(
        () => OfflineRecognizer.create({ dataDir, modelFile }),
        /trainedModel\.json: weights: must be base64/,
      );
    });

    it('when a corpus file is invalid, it refuses to start with a message naming the file and the problem', async () => {
      await writeFile(
        path.join(dataDir, 'corpus', 'cancel.json'),
        JSON.stringify({ intent: 'cancel', description: 'x', examples: ['stop {nonsense}'] }),
      );

      assert.throws(
        () => OfflineRecognizer.create({ dataDir }),
        /cancel\.json: examples\.0: uses an unknown \{slot\}/,
      );
    });
  });
});
