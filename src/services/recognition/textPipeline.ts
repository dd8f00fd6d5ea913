import type { EntityExtractor } from './entityExtractor';
import type { Lexicon } from './lexicon';
import { Normalizer } from './normalizer';
import type { RecognizedEntity } from './recognizer';
import type { SpellCorrector } from './spellCorrector';
import { tokenize } from './tokenizer';

/**
 * Message → entities + normalised words, the same way at training and at recognition time:
 * entities are found first and each replaced by one placeholder ("__product_model__"), so the
 * classifier learns "my __product_model__ won't connect" rather than one sentence per model.
 */
export class TextPipeline {
  private readonly normalizer: Normalizer;

  constructor(
    readonly extractor: EntityExtractor,
    lexicon: Lexicon,
    corrector?: SpellCorrector,
  ) {
    this.normalizer = new Normalizer(lexicon, corrector);
  }

  analyse(text: string): { entities: RecognizedEntity[]; words: string[] } {
    const entities = this.extractor.extract(text);
    return { entities, words: this.normalizer.normalize(placeholderTokens(text, entities)) };
  }

  words(text: string): string[] {
    return this.analyse(text).words;
  }
}

/** Tokens with every entity replaced by one placeholder such as "__product_model__". */
export function placeholderTokens(text: string, entities: readonly RecognizedEntity[]): string[] {
  const out: string[] = [];
  let entityIndex = 0;
  for (const token of tokenize(text)) {
    while (entityIndex < entities.length && (entities[entityIndex]?.end ?? 0) <= token.start) entityIndex++;
    const entity = entities[entityIndex];
    if (entity && token.start < entity.end && entity.start < token.end) {
      const placeholder = `__${entity.kind}__`;
      if (out[out.length - 1] !== placeholder) out.push(placeholder);
      continue;
    }
    out.push(token.text);
  }
  return out;
}
