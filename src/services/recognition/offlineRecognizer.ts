import type { Logger } from '../logging/logger';
import { Featurizer } from './featurizer';
import {
  entityExtractorFor,
  loadTrainingSources,
  fingerprintOf,
  toVector,
  trainOfflineModel,
  type TrainingSourceOptions,
  type TrainingSources,
} from './offlineTrainer';
import { isPlaceholder } from './normalizer';
import type { IntentName, Recognition, RecognizedEntity, Recognizer } from './recognizer';
import { SoftmaxClassifier, softmax } from './softmaxClassifier';
import { SpellCorrector } from './spellCorrector';
import { TextPipeline } from './textPipeline';
import { DEFAULT_TRAINED_MODEL_FILE, readTrainedModel, type TrainedModel } from './trainedModel';

/** Longer messages are cut here: recognition stays bounded in time whatever a client sends. */
export const MAX_ANALYSED_CHARS = 2000;

/** Confidence given to "none" when no word of the message is known at all (gibberish, another language). */
const UNKNOWN_WORDS_CONFIDENCE = 0.95;

export interface OfflineRecognizerOptions extends TrainingSourceOptions {
  /** The shipped model (`npm run nlu:train`); used when trained from exactly the current data. */
  modelFile?: string;
  /** 'auto' (default): shipped model if up to date, else train now. 'train': always train now. */
  model?: 'auto' | 'train';
  /** false: no spelling/shorthand normalisation (the ablation baseline in bench/nlu.ts). */
  normalise?: boolean;
  logger?: Logger;
}

/**
 * The default recognizer: no network, no downloads. Start-up loads the model trained from the
 * corpus by `npm run nlu:train` (tens of milliseconds); if the corpus, lexicon or settings changed
 * since, it trains from them instead (under a second) and says so in the log. Each message then
 * costs a few hundredths of a millisecond.
 */
export class OfflineRecognizer implements Recognizer {
  private readonly pipeline: TextPipeline;
  private readonly featurizer: Featurizer;
  private readonly featureIndex: Map<string, number>;
  private readonly classifier: SoftmaxClassifier;
  private readonly knownWords: ReadonlySet<string>;

  constructor(
    readonly model: TrainedModel,
    sources: Pick<TrainingSources, 'lexicon' | 'products' | 'carMakes'>,
    normalise = true,
  ) {
    const lexicon = normalise ? sources.lexicon : sources.lexicon.withoutSpelling();
    const vocabulary = new Map(model.vocabulary);
    this.knownWords = new Set(vocabulary.keys());
    this.pipeline = new TextPipeline(
      entityExtractorFor(sources),
      lexicon,
      normalise ? new SpellCorrector(vocabulary) : undefined,
    );
    this.featurizer = new Featurizer(lexicon, model.settings.features, new Set(model.domainWords));
    this.featureIndex = new Map(model.features.map((name, index) => [name, index]));
    this.classifier = new SoftmaxClassifier(model.weights, model.bias, model.classes.length);
  }

  static create(options: OfflineRecognizerOptions = {}): OfflineRecognizer {
    const started = performance.now();
    const sources = loadTrainingSources(options);
    const normalise = options.normalise !== false;
    let model: TrainedModel | undefined;
    if (options.model !== 'train' && normalise) {
      const shipped = readTrainedModel(options.modelFile ?? DEFAULT_TRAINED_MODEL_FILE);
      if (shipped && shipped.fingerprint === fingerprintOf(sources)) model = shipped;
      else
        options.logger?.warn(
          'offline recognizer: the shipped model is missing or older than the corpus; training at start-up (run `npm run nlu:train`)',
        );
    }
    const source = model ? 'shipped model' : 'trained at start-up';
    model ??= trainOfflineModel(sources, { spelling: normalise });
    const recognizer = new OfflineRecognizer(model, sources, normalise);
    options.logger?.info(
      { model: source, ms: Math.round(performance.now() - started), features: model.features.length },
      'offline recognizer ready',
    );
    return recognizer;
  }

  recognize(text: string): Promise<Recognition> {
    return Promise.resolve(this.recognizeSync(text));
  }

  recognizeSync(text: string): Recognition {
    const analysed = text.length > MAX_ANALYSED_CHARS ? text.slice(0, MAX_ANALYSED_CHARS) : text;
    const { entities, words } = this.pipeline.analyse(analysed);
    const vector = toVector(this.featurizer.features(words), this.featureIndex, false);
    const probabilities = softmax(this.classifier.logits(vector), this.model.settings.temperature);
    const ranked = this.model.classes
      .map((intent, index) => ({ intent, confidence: probabilities[index] ?? 0 }))
      .sort((a, b) => b.confidence - a.confidence);
    const top = ranked[0] ?? { intent: 'none', confidence: 1 };

    let intent: IntentName = top.intent;
    let confidence = top.confidence;
    if (!words.some((word) => isPlaceholder(word) || this.knownWords.has(word))) {
      intent = 'none';
      confidence = UNKNOWN_WORDS_CONFIDENCE;
    } else if (top.intent !== 'none' && top.confidence < this.model.settings.noneThreshold) {
      // Too unsure to act on: out of scope, with the candidates kept as alternatives for "did you mean…".
      intent = 'none';
      confidence = 1 - top.confidence;
    }
    const alternatives = ranked
      .filter(
        (candidate) =>
          candidate.intent !== intent && candidate.intent !== 'none' && candidate.confidence >= 0.05,
      )
      .slice(0, 3)
      .map((candidate) => ({ intent: candidate.intent, confidence: round(candidate.confidence) }));
    return { text, intent, confidence: round(confidence), alternatives, entities, source: 'offline' };
  }

  /** The entities of a message (also used to complete CLU's answers). */
  extractEntities(text: string): RecognizedEntity[] {
    return this.pipeline.extractor.extract(text.slice(0, MAX_ANALYSED_CHARS));
  }

  /** Raw class scores in INTENTS order, before temperature and thresholds (tuning, diagnostics). */
  logits(text: string): Float64Array {
    const { words } = this.pipeline.analyse(text.slice(0, MAX_ANALYSED_CHARS));
    return this.classifier.logits(toVector(this.featurizer.features(words), this.featureIndex, false));
  }

  /** Whether any word of the message is known (placeholders count); unknown-only messages are "none". */
  understands(text: string): boolean {
    return this.pipeline
      .words(text.slice(0, MAX_ANALYSED_CHARS))
      .some((word) => isPlaceholder(word) || this.knownWords.has(word));
  }

  /** The normalised words the classifier sees for a message (diagnostics, tests). */
  words(text: string): string[] {
    return this.pipeline.words(text);
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
