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
import { matchChoice, type ChoiceSpec } from './choices';
import { exactCommand, type Command } from './commands';
import { FAQ_DIALOG, FaqDialog } from './faqDialog';
import { HANDOFF_RATING_DIALOG, HandoffRatingDialog, type HandoffRatingOptions } from './handoffRatingDialog';
import { activeAsk, InterruptionDetector, type Interruption } from './interruptions';
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
  prompt?: 'welcome' | 'first' | 'again';
  /** Intents to offer when the recognizer was unsure. */
  suggestions?: IntentName[];
  /** What the unsure message named (product, car, ticket), used once the customer picks. */
  details?: Details;
  /** The message was in this other language: answer in it (OtherLanguageDialog). */
  otherLanguage?: OtherLanguageOptions;
  /** Messages not understood in a row: at two, a person takes over. */
  misses?: number;
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
      if (input.choice === 'other') return this.notUnderstood(step);
      if (input.choice === 'agent') return this.handleCommand(step, 'agent');
      const action = menuAction(input.choice);
      if (action) return this.begin(step, action);
    }
    const text = input?.text?.trim() ?? '';
    if (text === '') return this.loop(step, 'first');
    const command = exactCommand(text);
    if (command) return this.handleCommand(step, command);
    const menuChoice = matchChoice(text, mainMenu(this.words(step.context)));
    const menuChosen = menuChoice ? menuAction(menuChoice) : undefined;
    if (menuChosen) return this.begin(step, menuChosen);

    const recognition = await this.deps.recognizer.recognize(text);
    const details = this.detailsFrom(recognition);
    if (recognition.intent !== 'none' && recognition.confidence >= ROUTE_CONFIDENCE) {
      return this.handleIntent(step, recognition.intent, details);
    }
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
        ...(misses ? { misses } : {}),
      } satisfies LoopOptions);
    }
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

  private detailsFrom(recognition: Recognition): Details {
    const entity = (kind: string): string | undefined =>
      recognition.entities.find((candidate) => candidate.kind === kind)?.value;
    const model = entity('product_model');
    const productId = model ? this.deps.catalogue.find(model)?.id : undefined;
    const carMake = entity('car_make');
    const ticketNumber = entity('ticket_number');
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
