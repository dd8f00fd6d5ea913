import {
  ComponentDialog,
  Dialog,
  DialogTurnStatus,
  WaterfallDialog,
  type DialogContext,
  type DialogTurnResult,
  type WaterfallStepContext,
} from 'botbuilder-dialogs';
import type { TurnContext } from 'botbuilder';
import type { Symptom } from '../services/knowledge/troubleshootingLibrary';
import type { IntentName, Recognition } from '../services/recognition/recognizer';
import { ASK_DIALOG, AskDialog, type AskResult, type AskSpec } from './askDialog';
import { matchChoice, normaliseAnswer, type ChoiceSpec } from './choices';
import { exactCommand, type Command } from './commands';
import { FAQ_DIALOG, FaqDialog } from './faqDialog';
import { HANDOFF_RATING_DIALOG, HandoffRatingDialog, type HandoffRatingOptions } from './handoffRatingDialog';
import { InterruptionDetector, activeAsk, type Interruption } from './interruptions';
import type { ChildResult, MainAction } from './mainActions';
import { hasIntentLabel, helpText, intentLabel, mainMenu } from './messages';
import { OTHER_LANGUAGE_DIALOG, OtherLanguageDialog, type OtherLanguageOptions } from './otherLanguageDialog';
import { photoReceipt } from './photoReceipt';
import type { SupportDialogDeps } from './ports';
import { wordsFor, type Words } from './wording/dialogWording';
import {
  REPAIR_REGISTRATION_DIALOG,
  RepairRegistrationDialog,
  type RepairRegistrationOptions,
} from './repairRegistrationDialog';
import { CANCEL_TICKET_DIALOG, CancelTicketDialog, type CancelTicketOptions } from './cancelTicketDialog';
import {
  frustrationIn,
  isGoodbye,
  isLostTicketNumber,
  isTicketCancelRequest,
  ticketNumberIn,
} from './requestSignals';
import { looksLikeQuestionOrRequest } from './commands';
import { productMentioned, warrantyVerdict } from './warrantyQuestion';
import type { FaqEntry } from '../services/knowledge/faqLibrary';
import { TICKET_STATUS_DIALOG, TicketStatusDialog, type TicketStatusOptions } from './ticketStatusDialog';
import {
  TROUBLESHOOTING_DIALOG,
  TroubleshootingDialog,
  type TroubleshootingOptions,
} from './troubleshootingDialog';

export const MAIN_DIALOG = 'main';
const MAIN_LOOP = 'main.loop';

/** Below this, the bot asks "did you mean…" instead of acting on the recognizer's guess. */
export const ROUTE_CONFIDENCE = 0.5;
/** Messages not understood in a row before a person takes over. */
export const MAX_MISSES = 2;
/** Alternatives worth offering in "did you mean…". */
const SUGGEST_CONFIDENCE = 0.15;

export interface MainOptions {
  /** The customer's first message, to act on at once. */
  text?: string;
  /** The conversation just opened (web chat): greet with the welcome message. */
  welcome?: boolean;
  /** Start with this (e.g. the rating after an agent handed the conversation back). */
  action?: MainAction;
}

interface LoopOptions {
  text?: string;
  action?: MainAction;
  prompt?: 'welcome' | 'first' | 'again' | 'fastPath';
  /** The message the recognizer was unsure about, logged if the customer then picks "something else". */
  unsureText?: string;
  /** Intents to offer when the recognizer was unsure. */
  suggestions?: IntentName[];
  /** What the unsure message named (product, car, ticket), used once the customer picks. */
  details?: Details;
  /** The message was in this other language: answer in it (OtherLanguageDialog). */
  otherLanguage?: OtherLanguageOptions;
  /** Messages not understood in a row: at two, a person takes over. */
  misses?: number;
}

/** Kept in the main loop's own state across turns: the tone's fast-path offer and a paused question. */
interface ToneState {
  offer?: boolean;
  paused?: boolean;
}

/** Entities from the customer's message that pre-fill what the chosen flow would ask. */
interface Details {
  productId?: string;
  carMake?: string;
  ticketNumber?: string;
}

const SYMPTOM_BY_INTENT: Partial<Record<IntentName, Symptom>> = {
  troubleshoot_connection: 'connection',
  troubleshoot_audio: 'audio',
  troubleshoot_display: 'display',
  troubleshoot_power: 'power',
  troubleshoot_firmware: 'firmware',
};

/**
 * The conversation's root: routes each request by intent to troubleshooting, repair registration,
 * ticket status or an FAQ answer, and lets the customer interrupt any step to cancel, start over,
 * get help, ask for a person or ask a question, after which the step is asked again.
 */
export class MainDialog extends ComponentDialog {
  private readonly interruptions: InterruptionDetector;

  constructor(private readonly deps: SupportDialogDeps) {
    super(MAIN_DIALOG);
    this.interruptions = new InterruptionDetector(deps.recognizer, deps.faq);
    this.addDialog(
      new WaterfallDialog<LoopOptions>(MAIN_LOOP, [
        (step) => this.prompt(step),
        (step) => this.route(step),
        (step) => this.afterChild(step),
      ]),
    );
    this.addDialog(new AskDialog(deps.validators, deps.renderer, deps.now, deps.wording));
    this.addDialog(new TroubleshootingDialog(deps));
    this.addDialog(new RepairRegistrationDialog(deps));
    this.addDialog(new TicketStatusDialog(deps));
    this.addDialog(new FaqDialog(deps));
    this.addDialog(new OtherLanguageDialog(deps));
    this.addDialog(new CancelTicketDialog(deps));
    this.addDialog(new HandoffRatingDialog(deps));
    this.initialDialogId = MAIN_LOOP;
  }

  protected override async onBeginDialog(
    innerDc: DialogContext,
    options?: MainOptions,
  ): Promise<DialogTurnResult> {
    if (options?.welcome) return innerDc.beginDialog(MAIN_LOOP, { prompt: 'welcome' } satisfies LoopOptions);
    if (options?.action)
      return innerDc.beginDialog(MAIN_LOOP, { action: options.action } satisfies LoopOptions);
    // A photo alone opens with the menu: its empty text routes there.
    await this.keepPhotos(innerDc);
    const { language, detected } = await this.deps.languages.conversation.observe(innerDc.context);
    if (detected !== undefined && language !== 'en')
      return innerDc.beginDialog(MAIN_LOOP, {
        otherLanguage: { language, text: options?.text ?? '', introduce: true },
      } satisfies LoopOptions);
    return innerDc.beginDialog(MAIN_LOOP, { text: options?.text ?? '' } satisfies LoopOptions);
  }

  protected override async onContinueDialog(innerDc: DialogContext): Promise<DialogTurnResult> {
    if ((await this.keepPhotos(innerDc)) && !carriesAnswer(innerDc.context)) {
      // A photo answers no question: the step stays open and is asked again.
      await innerDc.repromptDialog();
      return Dialog.EndOfTurn;
    }
    const switched = await this.switchLanguage(innerDc);
    if (switched) return switched;
    const text = innerDc.context.activity.text ?? '';
    const ticketNumber = ticketNumberIn(text);
    if (ticketNumber && isTicketCancelRequest(text) && !activeAsk(innerDc)?.spec.open) {
      // "Cancel my repair CK-…" in the middle of something else: that repair, not the form.
      await innerDc.cancelAllDialogs();
      return innerDc.beginDialog(MAIN_LOOP, {
        action: { type: 'cancelTicket', ticketNumber },
      } satisfies LoopOptions);
    }
    const toned = await this.handleTone(innerDc, text);
    if (toned) return toned;
    const interruption = await this.interruptions.detect(innerDc);
    if (interruption) return this.interrupt(innerDc, interruption);
    return innerDc.continueDialog();
  }

  /**
   * A message confidently in another language than the conversation's: a Spanish sentence is not
   * an answer to an English question ("no" in it is not the English "no"), so what was going on
   * stops and the customer is answered in their language; a confidently English message in the
   * other-language menu goes back to the English bot. Otherwise undefined: carry on.
   */
  private async switchLanguage(innerDc: DialogContext): Promise<DialogTurnResult | undefined> {
    const context = innerDc.context;
    const { detected, previous } = await this.deps.languages.conversation.observe(context);
    if (detected === undefined) return undefined;
    const inOtherLanguageMenu = isActive(innerDc, OTHER_LANGUAGE_DIALOG);
    const text = context.activity.text ?? '';
    if (detected === 'en') {
      if (!inOtherLanguageMenu) return undefined;
      await innerDc.cancelAllDialogs();
      return innerDc.beginDialog(MAIN_LOOP, { text } satisfies LoopOptions);
    }
    if (inOtherLanguageMenu && previous === detected) return undefined;
    // An address, a name or a description is data, not a language signal ("Unter den Linden 1"):
    // a valid answer to such a question is taken as it is.
    const ask = activeAsk(innerDc);
    if (
      ask &&
      (ask.spec.field !== undefined || ask.spec.freeForm) &&
      ask.dialog.assess(context, ask.spec).kind === 'answer'
    )
      return undefined;
    await innerDc.cancelAllDialogs();
    return innerDc.beginDialog(MAIN_LOOP, {
      otherLanguage: { language: detected, text, introduce: true },
    } satisfies LoopOptions);
  }

  /**
   * Inside a question: a goodbye pauses it (nothing is lost, the next message carries on), and an
   * angry message gets an apology and the fast path (a person, or the repair form) instead of the
   * next question; a question on a topic the recognizer has no intent for gets its answer. The main
   * menu (an open question) is routed by \`route\` instead.
   */
  private async handleTone(innerDc: DialogContext, text: string): Promise<DialogTurnResult | undefined> {
    const ask = activeAsk(innerDc);
    if (ask?.spec.open || text.trim() === '') return undefined;
    const context = innerDc.context;
    const words = this.words(context);
    const tone = toneState(innerDc);
    const registering = isActive(innerDc, REPAIR_REGISTRATION_DIALOG);
    if (tone.offer) {
      delete tone.offer;
      const pick = matchChoice(text, fastPathChoices(words, registering), context.activity.value);
      if (pick === 'agent') return this.interrupt(innerDc, { kind: 'agent' });
      if (pick === 'register') {
        await innerDc.cancelAllDialogs();
        return innerDc.beginDialog(MAIN_LOOP, {
          action: { type: 'register', offerTroubleshootingFirst: false },
        } satisfies LoopOptions);
      }
      if (pick === 'carryOn') {
        await innerDc.repromptDialog();
        return Dialog.EndOfTurn;
      }
    }
    const assessment = ask ? ask.dialog.assess(context, ask.spec) : undefined;
    const answered = assessment?.kind === 'answer';
    if (tone.paused) {
      delete tone.paused;
      if (!answered) {
        await this.deps.renderer.say(context, words.text('tone.welcomeBack'));
        await innerDc.repromptDialog();
        return Dialog.EndOfTurn;
      }
    }
    if (isGoodbye(text) && !(assessment?.kind === 'answer' && assessment.matchedChoice)) {
      tone.paused = true;
      await this.deps.renderer.say(context, words.text('tone.paused'));
      return Dialog.EndOfTurn;
    }
    const frustration = frustrationIn(text);
    if (frustration === 'strong' || (frustration === 'shouting' && !answered)) {
      tone.offer = true;
      await this.deps.renderer.say(context, words.text('tone.apology'));
      await this.deps.renderer.ask(context, words.text('tone.choose'), fastPathChoices(words, registering));
      return Dialog.EndOfTurn;
    }
    if (!answered || (ask?.spec.freeForm && looksLikeQuestionOrRequest(text))) {
      // Topics the recognizer has no intent for (refunds, customs, a declined quote…).
      const topics = this.deps.faq.matchTopics(text).filter((entry) => entry.intent === undefined);
      if (topics.length > 0) {
        if (await this.sayTopics(context, topics, text)) {
          await innerDc.cancelAllDialogs();
          return { status: DialogTurnStatus.complete, result: { handedOff: true } satisfies ChildResult };
        }
        await this.deps.renderer.say(context, words.text('main.backToIt'));
        await innerDc.repromptDialog();
        return Dialog.EndOfTurn;
      }
    }
    return undefined;
  }

  /** Says each entry's answer (a person for the contact route); true when a person took over. */
  private async sayTopics(
    context: TurnContext,
    entries: readonly FaqEntry[],
    text: string,
  ): Promise<boolean> {
    for (const entry of entries) {
      if (entry.action === 'handoff') {
        if (await this.deps.handoff.request(context, 'asked')) return true;
        continue;
      }
      if (entry.action === 'compatibility') {
        const product = productMentioned(this.deps.catalogue, text);
        await this.deps.renderer.say(
          context,
          product
            ? this.words(context).text('routing.compatibility', {
                product: product.name,
                requires: product.requires,
              })
            : entry.answer,
        );
        continue;
      }
      await this.deps.renderer.say(context, entry.answer);
    }
    return false;
  }

  /** Keeps the photos a message carries for the repair request and says so; true if it carried files. */
  private async keepPhotos(innerDc: DialogContext): Promise<boolean> {
    const intake = await this.deps.photos.take(innerDc.context);
    if (!intake.received) return false;
    const receipt = photoReceipt(
      this.words(innerDc.context),
      intake,
      isActive(innerDc, REPAIR_REGISTRATION_DIALOG),
    );
    if (receipt === undefined) return false;
    if (intake.kept > 0) {
      this.deps.logger.info(
        { channel: innerDc.context.activity.channelId, kept: intake.kept, pending: intake.pending },
        'customer photos kept',
      );
    }
    await this.deps.renderer.say(innerDc.context, receipt);
    return true;
  }

  private words(context: TurnContext): Words {
    return wordsFor(this.deps.wording, context);
  }

  private async interrupt(innerDc: DialogContext, interruption: Interruption): Promise<DialogTurnResult> {
    const { renderer } = this.deps;
    const context = innerDc.context;
    const words = this.words(context);
    switch (interruption.kind) {
      case 'cancel': {
        const registering = isActive(innerDc, REPAIR_REGISTRATION_DIALOG);
        await innerDc.cancelAllDialogs();
        await renderer.say(context, words.text(registering ? 'registration.cancelled' : 'main.stopped'));
        return innerDc.beginDialog(MAIN_LOOP, { prompt: 'again' } satisfies LoopOptions);
      }
      case 'startOver':
        await innerDc.cancelAllDialogs();
        await renderer.say(context, words.text('main.startOver'));
        return innerDc.beginDialog(MAIN_LOOP, { prompt: 'first' } satisfies LoopOptions);
      case 'help':
        await renderer.say(context, helpText(words, context.activity.channelId));
        break;
      case 'agent':
        if (await this.deps.handoff.request(context, 'asked')) {
          await innerDc.cancelAllDialogs();
          return { status: DialogTurnStatus.complete, result: { handedOff: true } satisfies ChildResult };
        }
        break;
      case 'faq':
        await renderer.say(context, interruption.entry.answer);
        break;
    }
    await renderer.say(context, words.text('main.backToIt'));
    await innerDc.repromptDialog();
    return Dialog.EndOfTurn;
  }

  private async prompt(step: WaterfallStepContext<LoopOptions>): Promise<DialogTurnResult> {
    const options = step.options ?? {};
    const words = this.words(step.context);
    if (options.otherLanguage) return step.beginDialog(OTHER_LANGUAGE_DIALOG, options.otherLanguage);
    if (options.action) return step.next({ action: options.action });
    if (options.text !== undefined) return step.next({ text: options.text } satisfies AskResult);
    if (options.suggestions) {
      const choices: ChoiceSpec[] = [
        ...options.suggestions.map((intent) => ({
          value: `intent:${intent}`,
          label: intentLabel(words, intent),
        })),
        {
          value: 'other',
          label: words.text('main.somethingElse'),
          synonyms: ['none', 'neither', 'no', 'none of these'],
        },
      ];
      return step.beginDialog(ASK_DIALOG, {
        prompt: words.text('main.didYouMean'),
        choices,
        open: true,
      } satisfies AskSpec);
    }
    if (options.prompt === 'fastPath') {
      return step.beginDialog(ASK_DIALOG, {
        prompt: words.text('tone.choose'),
        choices: fastPathChoices(words, false).filter((choice) => choice.value !== 'carryOn'),
        open: true,
      } satisfies AskSpec);
    }
    const prompt = words.text(
      options.prompt === 'welcome'
        ? 'main.welcome'
        : options.prompt === 'first'
          ? 'main.menuPromptFirst'
          : 'main.menuPromptAgain',
    );
    return step.beginDialog(ASK_DIALOG, { prompt, choices: mainMenu(words), open: true } satisfies AskSpec);
  }

  private async route(step: WaterfallStepContext<LoopOptions>): Promise<DialogTurnResult> {
    const input = step.result as (Partial<AskResult> & { action?: MainAction }) | undefined;
    if (input?.action) return this.begin(step, input.action);
    if (input?.choice) {
      if (input.choice.startsWith('intent:')) {
        return this.handleIntent(
          step,
          input.choice.slice('intent:'.length) as IntentName,
          step.options?.details ?? {},
        );
      }
      if (input.choice === 'agent') return this.handleCommand(step, 'agent');
      if (input.choice === 'other') {
        const unsure = step.options?.unsureText;
        if (unsure) await this.logUnanswered(step.context, unsure, 'unsure');
        return this.notUnderstood(step);
      }
      const action = menuAction(input.choice);
      if (action) return this.begin(step, action);
    }
    const text = input?.text?.trim() ?? '';
    if (text === '') return this.loop(step, 'first');
    const command = exactCommand(text);
    if (command) return this.handleCommand(step, command);
    const writtenTicket = ticketNumberIn(text);
    if (isTicketCancelRequest(text)) {
      return this.begin(step, {
        type: 'cancelTicket',
        ...(writtenTicket ? { ticketNumber: writtenTicket } : {}),
      });
    }
    if (isLostTicketNumber(text)) return this.begin(step, { type: 'status', lostNumber: true });
    if (isGoodbye(text)) return this.handleIntent(step, 'thanks_goodbye', {});
    const words = this.words(step.context);
    const topics = this.deps.faq.matchTopics(text);
    if (frustrationIn(text)) {
      // Apology and the fast path first; what they asked about (a refund…) is answered too.
      await this.deps.renderer.say(step.context, words.text('tone.apology'));
      const handedOff = await this.sayTopics(
        step.context,
        topics.filter((entry) => entry.action !== 'handoff'),
        text,
      );
      if (handedOff) return step.endDialog({ handedOff: true } satisfies ChildResult);
      return this.loop(step, 'fastPath');
    }
    const verdict = warrantyVerdict(text, { now: this.deps.now(), catalogue: this.deps.catalogue, words });
    if (verdict) {
      await this.deps.renderer.say(step.context, verdict);
      const others = topics.filter((entry) => !['warranty', 'damage', 'repair_cost'].includes(entry.id));
      return this.answerTopics(step, others, text);
    }
    if (topics.length >= 2 || (topics.length === 1 && topics[0]?.intent === undefined))
      return this.answerTopics(step, topics, text);
    const menu = mainMenu(words);
    // Only a menu option written as it is wins over recognition: "status of ticket CK-…" starts
    // with the option "status" but says more (the ticket number) than the option does.
    const menuChoice = matchChoice(text, menu);
    const exactMenu = menuChoice !== undefined && isExactMenuChoice(text, menu);
    const menuChosen = menuChoice ? menuAction(menuChoice) : undefined;
    if (menuChosen && exactMenu) return this.begin(step, menuChosen);

    const recognition = await this.deps.recognizer.recognize(text);
    const details = this.detailsFrom(recognition, text);
    if (recognition.intent !== 'none' && recognition.confidence >= ROUTE_CONFIDENCE) {
      return this.handleIntent(step, recognition.intent, details);
    }
    if (menuChosen) {
      if (menuChosen.type === 'status' && details.ticketNumber)
        return this.begin(step, { type: 'status', ticketNumber: details.ticketNumber });
      return this.begin(step, menuChosen);
    }
    if (details.ticketNumber) return this.begin(step, { type: 'status', ticketNumber: details.ticketNumber });
    if (topics.length > 0) return this.answerTopics(step, topics, text);
    const suggestions = [
      { intent: recognition.intent, confidence: recognition.confidence },
      ...recognition.alternatives,
    ]
      .filter((candidate) => candidate.confidence >= SUGGEST_CONFIDENCE && hasIntentLabel(candidate.intent))
      .map((candidate) => candidate.intent)
      .filter((intent, index, all) => all.indexOf(intent) === index)
      .slice(0, 3);
    if (suggestions.length > 0) {
      const misses = step.options?.misses;
      return step.replaceDialog(MAIN_LOOP, {
        suggestions,
        details,
        unsureText: text,
        ...(misses ? { misses } : {}),
      } satisfies LoopOptions);
    }
    await this.logUnanswered(step.context, text, 'not_understood');
    return this.notUnderstood(step);
  }

  /** Says so; the second time in a row, a person from the team takes over. */
  private async notUnderstood(step: WaterfallStepContext<LoopOptions>): Promise<DialogTurnResult> {
    const misses = (step.options?.misses ?? 0) + 1;
    if (misses >= MAX_MISSES && (await this.deps.handoff.request(step.context, 'repeated_failures')))
      return step.endDialog({ handedOff: true } satisfies ChildResult);
    await this.deps.renderer.say(step.context, this.words(step.context).text('main.notUnderstood'));
    return step.replaceDialog(MAIN_LOOP, {
      prompt: 'first',
      ...(misses < MAX_MISSES ? { misses } : {}),
    } satisfies LoopOptions);
  }

  private async answerTopics(
    step: WaterfallStepContext<LoopOptions>,
    entries: readonly FaqEntry[],
    text: string,
  ): Promise<DialogTurnResult> {
    if (await this.sayTopics(step.context, entries, text))
      return step.endDialog({ handedOff: true } satisfies ChildResult);
    return this.loop(step, 'again');
  }

  /** Logs a question the bot could not answer (redacted by the log), so staff can fill the gap. */
  private async logUnanswered(context: TurnContext, text: string, reason: string): Promise<void> {
    if (!this.deps.unanswered || text.trim() === '') return;
    try {
      await this.deps.unanswered.record({
        text,
        channel: context.activity.channelId,
        conversationId: context.activity.conversation.id,
        reason,
      });
    } catch (error) {
      // The customer's answer must not depend on the log.
      this.deps.logger.warn({ err: error }, 'could not log an unanswered question');
    }
  }

  private async handleIntent(
    step: WaterfallStepContext<LoopOptions>,
    intent: IntentName,
    details: Details,
  ): Promise<DialogTurnResult> {
    const { productId, carMake, ticketNumber } = details;
    const symptom = SYMPTOM_BY_INTENT[intent];
    if (symptom) {
      return this.begin(step, {
        type: 'troubleshoot',
        symptom,
        ...(productId ? { productId } : {}),
        ...(carMake ? { carMake } : {}),
      });
    }
    const faqEntry = this.deps.faq.forIntent(intent);
    if (faqEntry) {
      await this.deps.renderer.say(step.context, faqEntry.answer);
      return this.loop(step, 'again');
    }
    switch (intent) {
      case 'repair_request':
        return this.begin(step, {
          type: 'register',
          offerTroubleshootingFirst: true,
          ...(productId ? { prefill: { productId } } : {}),
        });
      case 'ticket_status':
        return this.begin(step, { type: 'status', ...(ticketNumber ? { ticketNumber } : {}) });
      case 'talk_to_agent':
        return this.handleCommand(step, 'agent');
      case 'cancel':
        return this.handleCommand(step, 'cancel');
      case 'greeting':
        return this.loop(step, 'welcome');
      case 'thanks_goodbye':
        await this.deps.renderer.say(step.context, this.words(step.context).text('main.goodbye'));
        return step.endDialog();
      default:
        return this.notUnderstood(step);
    }
  }

  private async handleCommand(
    step: WaterfallStepContext<LoopOptions>,
    command: Command,
  ): Promise<DialogTurnResult> {
    switch (command) {
      case 'help':
        await this.deps.renderer.say(
          step.context,
          helpText(this.words(step.context), step.context.activity.channelId),
        );
        return this.loop(step, 'first');
      case 'cancel':
        await this.deps.renderer.say(step.context, this.words(step.context).text('main.nothingToCancel'));
        return this.loop(step, 'first');
      case 'startOver':
        return this.loop(step, 'first');
      case 'agent':
        if (await this.deps.handoff.request(step.context, 'asked'))
          return step.endDialog({ handedOff: true } satisfies ChildResult);
        return this.loop(step, 'again');
    }
  }

  private async begin(
    step: WaterfallStepContext<LoopOptions>,
    action: MainAction,
  ): Promise<DialogTurnResult> {
    switch (action.type) {
      case 'troubleshoot': {
        const { type: _type, ...options } = action;
        return step.beginDialog(TROUBLESHOOTING_DIALOG, options satisfies TroubleshootingOptions);
      }
      case 'register': {
        const { type: _type, ...options } = action;
        return step.beginDialog(REPAIR_REGISTRATION_DIALOG, options satisfies RepairRegistrationOptions);
      }
      case 'status': {
        const { type: _type, ...options } = action;
        return step.beginDialog(TICKET_STATUS_DIALOG, options satisfies TicketStatusOptions);
      }
      case 'faqMenu':
        return step.beginDialog(FAQ_DIALOG);
      case 'cancelTicket': {
        const { type: _type, ...options } = action;
        return step.beginDialog(CANCEL_TICKET_DIALOG, options satisfies CancelTicketOptions);
      }
      case 'rateHandoff':
        return step.beginDialog(HANDOFF_RATING_DIALOG, {
          handoffId: action.handoffId,
        } satisfies HandoffRatingOptions);
    }
  }

  private async afterChild(step: WaterfallStepContext<LoopOptions>): Promise<DialogTurnResult> {
    const result = step.result as ChildResult | undefined;
    if (result?.handedOff) return step.endDialog(result);
    if (result?.then) return step.replaceDialog(MAIN_LOOP, { action: result.then } satisfies LoopOptions);
    return this.loop(step, 'again');
  }

  private loop(
    step: WaterfallStepContext<LoopOptions>,
    prompt: LoopOptions['prompt'],
  ): Promise<DialogTurnResult> {
    return step.replaceDialog(MAIN_LOOP, { prompt } satisfies LoopOptions);
  }

  private detailsFrom(recognition: Recognition, text: string): Details {
    const entity = (kind: string): string | undefined =>
      recognition.entities.find((candidate) => candidate.kind === kind)?.value;
    const model = entity('product_model');
    const productId = model ? this.deps.catalogue.find(model)?.id : undefined;
    const carMake = entity('car_make');
    const ticketNumber = entity('ticket_number') ?? ticketNumberIn(text);
    return {
      ...(productId ? { productId } : {}),
      ...(carMake ? { carMake } : {}),
      ...(ticketNumber ? { ticketNumber } : {}),
    };
  }
}

function menuAction(choice: string): MainAction | undefined {
  switch (choice) {
    case 'troubleshoot':
      return { type: 'troubleshoot' };
    case 'register':
      return { type: 'register', offerTroubleshootingFirst: true };
    case 'status':
      return { type: 'status' };
    case 'faq':
      return { type: 'faqMenu' };
    default:
      return undefined;
  }
}

/** The fast path offered to an angry customer: a person, the repair form (unless already in it), or carry on. */
function fastPathChoices(words: Words, registering: boolean): ChoiceSpec[] {
  return [
    { value: 'agent', label: words.text('tone.person'), synonyms: ['person', 'agent', 'human'] },
    ...(registering
      ? []
      : [{ value: 'register', label: words.text('tone.register'), synonyms: ['register', 'repair form'] }]),
    { value: 'carryOn', label: words.text('tone.carryOn'), synonyms: ['carry on', 'continue', 'go on'] },
  ];
}

/** The main loop's own state (the bottom of the inner stack), where the tone's flags live between turns. */
function toneState(innerDc: DialogContext): ToneState {
  const bottom = innerDc.stack[innerDc.stack.length - 1];
  if (!bottom) return {};
  const state = bottom.state as { tone?: ToneState };
  state.tone ??= {};
  return state.tone;
}

/** Whether the text is one of the menu's options as written (label, value or synonym), not a sentence starting with one. */
function isExactMenuChoice(text: string, menu: readonly ChoiceSpec[]): boolean {
  const answer = normaliseAnswer(text);
  if (/^\d{1,2}$/.test(answer)) return true;
  return menu.some((choice) =>
    [choice.label, choice.value, ...(choice.synonyms ?? [])].some((word) => normaliseAnswer(word) === answer),
  );
}

/** Text or a button's value: something a question can take as its answer. */
function carriesAnswer(context: TurnContext): boolean {
  const value: unknown = context.activity.value;
  return (context.activity.text ?? '').trim() !== '' || (value !== undefined && value !== null);
}

function isActive(dc: DialogContext, dialogId: string): boolean {
  for (let current: DialogContext | undefined = dc; current; current = current.child) {
    if (current.stack.some((instance) => instance.id === dialogId)) return true;
  }
  return false;
}
