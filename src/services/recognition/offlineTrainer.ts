import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ProductCatalogue } from '../knowledge/productCatalogue';
import { loadCarMakes, type CarMake } from './carMakes';
import { EntityExtractor, type AliasEntry } from './entityExtractor';
import { Featurizer } from './featurizer';
import { Lexicon } from './lexicon';
import { loadModelSettings, type ModelSettings } from './modelSettings';
import { Normalizer } from './normalizer';
import { INTENTS, type IntentName } from './recognizer';
import { SoftmaxClassifier, type SparseVector } from './softmaxClassifier';
import { SpellCorrector } from './spellCorrector';
import { placeholderTokens } from './textPipeline';
import {
  DEFAULT_CORPUS_DIR,
  expandCorpus,
  loadCorpus,
  seededRandom,
  type Corpus,
  type TrainingExample,
} from './trainingCorpus';
import { MODEL_FORMAT, type TrainedModel } from './trainedModel';

/** Everything the offline model is learnt from, loaded and validated. */
export interface TrainingSources {
  corpus: Corpus;
  lexicon: Lexicon;
  lexiconText: string;
  settings: ModelSettings;
  products: AliasEntry[];
  carMakes: CarMake[];
}

export interface TrainingSourceOptions {
  /** Folder with corpus/, slots.json, lexicon.json and model.json. */
  dataDir?: string;
  catalogue?: ProductCatalogue;
  carMakes?: readonly CarMake[];
  /** Overrides for tuning experiments (bench/nluTune.ts). */
  settings?: Partial<ModelSettings>;
}

export function loadTrainingSources(options: TrainingSourceOptions = {}): TrainingSources {
  const dataDir = options.dataDir ?? DEFAULT_CORPUS_DIR;
  const lexiconFile = path.join(dataDir, 'lexicon.json');
  const lexiconText = readFileSync(lexiconFile, 'utf8');
  const catalogue = options.catalogue ?? ProductCatalogue.load();
  return {
    corpus: loadCorpus(dataDir),
    lexicon: Lexicon.parse(JSON.parse(lexiconText) as unknown, lexiconFile),
    lexiconText,
    settings: { ...loadModelSettings(path.join(dataDir, 'model.json')), ...options.settings },
    products: catalogue.aliasList().map((entry) => ({ alias: entry.alias, value: entry.product.id })),
    carMakes: [...(options.carMakes ?? loadCarMakes())],
  };
}

export function entityExtractorFor(sources: Pick<TrainingSources, 'products' | 'carMakes'>): EntityExtractor {
  return new EntityExtractor(
    sources.products,
    sources.carMakes.flatMap((make) => make.aliases.map((alias) => ({ alias, value: make.name }))),
  );
}

/** Identifies the training inputs: a shipped model is used only if it was trained from exactly these. */
export function fingerprintOf(sources: TrainingSources): string {
  return createHash('sha256')
    .update(
      JSON.stringify({
        format: MODEL_FORMAT,
        corpus: sources.corpus,
        lexicon: sources.lexiconText,
        settings: sources.settings,
        products: sources.products,
        carMakes: sources.carMakes,
      }),
    )
    .digest('hex');
}

export function trainingExamplesOf(sources: TrainingSources): TrainingExample[] {
  return expandCorpus(sources.corpus, {
    products: sources.products,
    carMakes: sources.carMakes,
    variantsPerTemplate: sources.settings.variantsPerTemplate,
    seed: sources.settings.seed,
  });
}

const GREETING_PREFIXES = ['hi', 'hello', 'hi there,', 'hey', 'good morning,', 'hello,'];
const THANKS_SUFFIXES = ['thanks', 'thank you', 'pls', 'please help', 'thx'];
const NOT_AUGMENTED = new Set<IntentName>(['greeting', 'thanks_goodbye', 'cancel', 'none']);

export interface TrainOptions {
  /** Leaves examples out (cross-validation in bench/nluTune.ts). */
  exclude?: (example: TrainingExample) => boolean;
  /** false: no spelling/shorthand normalisation (the ablation in bench/nlu.ts). */
  spelling?: boolean;
}

/**
 * Learns the offline model: expands the corpus, learns the spelling vocabulary from it, then trains
 * the softmax classifier on the same features the recognizer computes at run time.
 */
export function trainOfflineModel(sources: TrainingSources, options: TrainOptions = {}): TrainedModel {
  const { settings } = sources;
  const lexicon = options.spelling === false ? sources.lexicon.withoutSpelling() : sources.lexicon;
  const exclude = options.exclude;
  const extractor = entityExtractorFor(sources);
  const examples = augment(
    trainingExamplesOf(sources).filter((example) => !exclude?.(example)),
    settings,
  );

  // Pass 1: the lexicon alone, to learn which words the corpus uses.
  const plain = new Normalizer(lexicon);
  const tokens = examples.map((example) => placeholderTokens(example.text, extractor.extract(example.text)));
  const frequency = new Map<string, number>();
  const templatesByWord = new Map<string, Set<string>>();
  examples.forEach((example, index) => {
    for (const word of plain.normalize(tokens[index] ?? [])) {
      frequency.set(word, (frequency.get(word) ?? 0) + 1);
      if (example.intent === 'none') continue;
      const templates = templatesByWord.get(word) ?? new Set<string>();
      templates.add(example.template);
      templatesByWord.set(word, templates);
    }
  });
  for (const word of lexicon.outputWords()) frequency.set(word, (frequency.get(word) ?? 0) + 1);
  const vocabulary = [...frequency].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const domainWords = [...templatesByWord]
    .filter(([, templates]) => templates.size >= 2)
    .map(([word]) => word)
    .sort();

  // Pass 2: features with spelling correction, then training.
  const normalizer = new Normalizer(
    lexicon,
    options.spelling === false ? undefined : new SpellCorrector(frequency),
  );
  const featurizer = new Featurizer(lexicon, settings.features, new Set(domainWords));
  const featureIndex = new Map<string, number>();
  const samples = examples.map((example, index) => ({
    vector: toVector(featurizer.features(normalizer.normalize(tokens[index] ?? [])), featureIndex, true),
    label: INTENTS.indexOf(example.intent),
  }));
  const classifier = SoftmaxClassifier.train(samples, featureIndex.size, INTENTS.length, settings);
  return {
    format: MODEL_FORMAT,
    fingerprint: fingerprintOf(sources),
    settings,
    classes: [...INTENTS],
    features: [...featureIndex.keys()],
    weights: classifier.weights,
    bias: classifier.bias,
    vocabulary,
    domainWords,
  };
}

/** Feature map → sparse vector; `grow` adds unseen features (training), otherwise they are dropped. */
export function toVector(
  features: ReadonlyMap<string, number>,
  index: Map<string, number>,
  grow: boolean,
): SparseVector {
  const indices: number[] = [];
  const values: number[] = [];
  for (const [name, value] of features) {
    let at = index.get(name);
    if (at === undefined && grow) {
      at = index.size;
      index.set(name, at);
    }
    if (at === undefined) continue;
    indices.push(at);
    values.push(value);
  }
  return { indices: Int32Array.from(indices), values: Float32Array.from(values) };
}

/** Adds "hi, …" and "…, thanks" variants so a greeting around a real question does not win. */
function augment(examples: readonly TrainingExample[], settings: ModelSettings): TrainingExample[] {
  const random = seededRandom(settings.seed + 1);
  const out = [...examples];
  for (const example of examples) {
    if (NOT_AUGMENTED.has(example.intent)) continue;
    if (random() < settings.augment.greetingPrefixRate) {
      const prefix = GREETING_PREFIXES[Math.floor(random() * GREETING_PREFIXES.length)] ?? 'hi';
      out.push({ ...example, text: `${prefix} ${example.text}`, entities: [] });
    }
    if (random() < settings.augment.thanksSuffixRate) {
      const suffix = THANKS_SUFFIXES[Math.floor(random() * THANKS_SUFFIXES.length)] ?? 'thanks';
      out.push({ ...example, text: `${example.text} ${suffix}`, entities: [] });
    }
  }
  return out;
}
