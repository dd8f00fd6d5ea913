import {
  ComponentDialog,
  WaterfallDialog,
  type DialogTurnResult,
  type WaterfallStepContext,
} from 'botbuilder-dialogs';
import type { TranslatedFaq } from '../services/language/translatedFaq';
import type { Language } from '../services/language/languages';
import { ASK_DIALOG, AskDialog, type AskResult, type AskSpec } from './askDialog';
import type { ChoiceSpec } from './choices';
import { foldText } from '../services/language/translatedFaq';
import type { ConversationLanguage } from './conversationLanguage';
import type { ChildResult } from './mainActions';
import type { SupportDialogDeps } from './ports';
import type { LanguageWords } from './wording/languageWording';

export const OTHER_LANGUAGE_DIALOG = 'otherLanguage';
const OTHER_LANGUAGE_LOOP = 'otherLanguage.loop';

/** Everything said to a customer writing in another language than English. */
export interface LanguageSupport {
  /** The conversation's language, kept in conversation state. */
  conversation: ConversationLanguage;
  /** src/dialogs/wording/languages/<locale>.json */
  words: ReadonlyMap<Language, LanguageWords>;
  /** src/services/knowledge/data/translations/faq.<locale>.json */
  faq: ReadonlyMap<Language, TranslatedFaq>;
}

export interface OtherLanguageOptions {
  language: Language;
  /** The customer's message to answer first ('' when only the menu is to be shown). */
  text: string;
  /** First time in this language in the conversation: say what the bot can do here. */
  introduce: boolean;
  /** A topic was just answered: ask "anything else?". */
  answered?: boolean;
}

/**
 * The first step of other languages (issue 12, item 8): a customer writing in Spanish, German,
 * French, Portuguese or Chinese gets, in that language, what the bot can do, the offer of a person,
 * and the after-sales answers (asked by choosing a topic or in their own words). Troubleshooting
 * and registration stay English for now; "Continue in English" goes back to them.
 */
export class OtherLanguageDialog extends ComponentDialog {
  constructor(private readonly deps: SupportDialogDeps) {
    super(OTHER_LANGUAGE_DIALOG);
    this.addDialog(
      new WaterfallDialog<OtherLanguageOptions>(OTHER_LANGUAGE_LOOP, [
        (step) => this.answerAndAsk(step),
        (step) => this.afterAnswer(step),
      ]),
    );
    this.addDialog(new AskDialog(deps.validators, deps.renderer, deps.now, deps.wording));
    this.initialDialogId = OTHER_LANGUAGE_LOOP;
  }

  private async answerAndAsk(step: WaterfallStepContext<OtherLanguageOptions>): Promise<DialogTurnResult> {
    const options = step.options;
    const { words, faq } = this.content(options.language);
    const say = (text: string): Promise<void> => this.deps.renderer.say(step.context, text);
    if (asksForPerson(options.text, words)) return this.handOver(step, words);
    const topic = options.text.trim() === '' ? undefined : faq.match(options.text);
    let prompt = words.text(options.answered ? 'anythingElse' : 'menuPrompt');
    if (topic) {
      await say(topic.answer);
      prompt = words.text('anythingElse');
    } else if (options.introduce) {
      await say(`${words.text('intro')}\n\n${words.text('limits')}`);
    } else if (options.text.trim() !== '') {
      await say(words.text('notUnderstood'));
    }
    return step.beginDialog(ASK_DIALOG, {
      prompt,
      choices: this.choices(words, faq),
      open: true,
    } satisfies AskSpec);
  }

  private async afterAnswer(step: WaterfallStepContext<OtherLanguageOptions>): Promise<DialogTurnResult> {
    const { language } = step.options;
    const { words, faq } = this.content(language);
    const answer = step.result as AskResult | undefined;
    switch (answer?.choice) {
      case 'person':
        return this.handOver(step, words);
      case 'english':
        await this.deps.languages.conversation.set(step.context, 'en');
        await this.deps.renderer.say(step.context, words.text('backInEnglish'));
        return step.endDialog({} satisfies ChildResult);
      default: {
        const topic = answer?.choice ? faq.get(answer.choice) : undefined;
        if (topic) {
          await this.deps.renderer.say(step.context, topic.answer);
          return step.replaceDialog(OTHER_LANGUAGE_LOOP, {
            language,
            text: '',
            introduce: false,
            answered: true,
          } satisfies OtherLanguageOptions);
        }
        return step.replaceDialog(OTHER_LANGUAGE_LOOP, {
          language,
          text: answer?.text ?? '',
          introduce: false,
        } satisfies OtherLanguageOptions);
      }
    }
  }

  private async handOver(
    step: WaterfallStepContext<OtherLanguageOptions>,
    words: LanguageWords,
  ): Promise<DialogTurnResult> {
    await this.deps.renderer.say(step.context, words.text('handingOver'));
    // The handoff reads the conversation's language (languageOf) for the agent queue, and says
    // how to reach the team in that language when no person can join.
    if (await this.deps.handoff.request(step.context, 'asked'))
      return step.endDialog({ handedOff: true } satisfies ChildResult);
    return step.replaceDialog(OTHER_LANGUAGE_LOOP, {
      language: step.options.language,
      text: '',
      introduce: false,
    } satisfies OtherLanguageOptions);
  }

  private choices(words: LanguageWords, faq: TranslatedFaq): ChoiceSpec[] {
    return [
      this.personChoice(words),
      ...faq.all().map((entry) => ({ value: entry.id, label: entry.menuLabel, synonyms: [entry.question] })),
      { value: 'english', label: words.text('english'), synonyms: ['english', ...words.answerWords.english] },
    ];
  }

  private personChoice(words: LanguageWords): ChoiceSpec {
    return { value: 'person', label: words.text('person'), synonyms: words.answerWords.person };
  }

  private content(language: Language): { words: LanguageWords; faq: TranslatedFaq } {
    const words = this.deps.languages.words.get(language);
    const faq = this.deps.languages.faq.get(language);
    if (!words || !faq) throw new Error(`no content for language ${language}`); // start-up checks make this unreachable
    return { words, faq };
  }
}

/** "quiero hablar con una persona": the message names one of the language's words for a person. */
function asksForPerson(text: string, words: LanguageWords): boolean {
  const folded = ` ${foldText(text)} `;
  return [words.text('person'), ...words.answerWords.person].some((word) => {
    const target = foldText(word);
    return (
      target !== '' && (words.language === 'zh' ? folded.includes(target) : folded.includes(` ${target} `))
    );
  });
}
