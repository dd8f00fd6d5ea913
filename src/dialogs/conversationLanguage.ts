import type { StatePropertyAccessor, TurnContext } from 'botbuilder';
import type { LanguageDetector } from '../services/language/languageDetector';
import { DEFAULT_LANGUAGE, isLanguage, type Language } from '../services/language/languages';

/** Kept in conversation state: the language the customer writes in. */
export interface LanguageState {
  language: Language;
}

/** Where this turn's language is kept for code that runs later in the turn (the handoff). */
const TURN_LANGUAGE = Symbol.for('carlinkit.conversationLanguage');

/**
 * The conversation's language: English until a message is confidently in another language (see
 * LanguageDetector), then that one until a message is confidently in another again. Short answers
 * ("ok", a serial number) never change it.
 */
export class ConversationLanguage {
  constructor(
    private readonly accessor: StatePropertyAccessor<LanguageState>,
    private readonly detector: LanguageDetector,
  ) {}

  /**
   * Reads the conversation's language and updates it from this turn's message. `detected` is set
   * only when this message was confidently in some language; `previous` is the language before it.
   */
  async observe(
    context: TurnContext,
  ): Promise<{ language: Language; previous: Language; detected?: Language }> {
    const state = await this.accessor.get(context, { language: DEFAULT_LANGUAGE });
    const text = context.activity.text ?? '';
    const detected = text.trim() === '' ? undefined : this.detector.detect(text)?.language;
    const previous = isLanguage(state.language) ? state.language : DEFAULT_LANGUAGE;
    const language = detected ?? previous;
    if (language !== state.language) await this.accessor.set(context, { language });
    context.turnState.set(TURN_LANGUAGE, language);
    return detected ? { language, previous, detected } : { language, previous };
  }

  /** Sets the language (the customer chose one). */
  async set(context: TurnContext, language: Language): Promise<void> {
    await this.accessor.set(context, { language });
    context.turnState.set(TURN_LANGUAGE, language);
  }

  /** The conversation's language as stored. */
  async get(context: TurnContext): Promise<Language> {
    const state = await this.accessor.get(context, { language: DEFAULT_LANGUAGE });
    return isLanguage(state.language) ? state.language : DEFAULT_LANGUAGE;
  }
}

/**
 * The conversation's language during a message turn ("en" by default), for code the dialogs call
 * later in the same turn, such as the agent queue on escalation: `handoff.request(context, …)` can
 * pass `languageOf(context)` along.
 */
export function languageOf(context: TurnContext): Language {
  const value: unknown = context.turnState.get(TURN_LANGUAGE);
  return isLanguage(value) ? value : DEFAULT_LANGUAGE;
}
