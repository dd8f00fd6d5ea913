import { Dialog, type DialogContext, type DialogInstance, type DialogTurnResult } from 'botbuilder-dialogs';
import { ActivityTypes, type TurnContext } from 'botbuilder';
import type { ExtractedSlots, SlotName } from '../services/extraction/slotExtractor';
import { extractionContext, meaningful } from './slotContext';
import { matchChoice, type ChoiceSpec } from './choices';
import type { FieldName, FieldValidators } from './fieldValidators';
import { isSms, type ChannelRenderer, type FormView, type SummaryView } from './rendering/channelRenderer';
import { wordsFor, type DialogWording } from './wording/dialogWording';

export const ASK_DIALOG = 'ask';

/** "I already gave you that", "like I said": the customer thinks the bot has the answer. */
const ALREADY_SAID =
  /\b(already (gave|given|told|said|sent|wrote)|i (just )?(gave|told|said|sent) (you|it)|like i said|as i said|see above)\b/i;

/** After this many unusable answers in a row, the customer is offered a person. */
export const MAX_FAILED_ATTEMPTS = 3;

/** One question; plain JSON so it survives in the stored dialog state. */
export interface AskSpec {
  prompt: string;
  /** Options (buttons on web, numbered on SMS). With `field` too, they are shortcuts such as "Skip". */
  choices?: ChoiceSpec[];
  /** The answer must pass this validator. */
  field?: FieldName;
  /**
   * The answer is free text (a name, a description) that a question could pass for; such answers
   * are checked for interruptions only when they look like a question or request.
   */
  freeForm?: boolean;
  /** Any text is an answer (the main menu): the text comes back when no option matches. */
  open?: boolean;
  /** Shown as a card (web) or a list (SMS) with the prompt and the options. */
  summary?: SummaryView;
  /** On SMS, said instead of the numbered list of options. */
  smsHint?: string;
  /**
   * Any registration field in the message is an answer (several per message, corrections of
   * earlier ones): the result carries them in `slots`. `asked` is the field this question is for.
   */
  extract?: { asked?: SlotName; country?: string };
  /** Shown as a form (web chat card) with the prompt; its submit comes back as `form`. */
  form?: FormView;
}

export interface AskResult {
  /** The chosen option's value. */
  choice?: string;
  /** The validated field value. */
  value?: string;
  /** What the customer wrote. */
  text: string;
  /** The fields found in the message (with `extract`). */
  slots?: ExtractedSlots;
  /** A submitted form's values (unchecked: the dialog validates them). */
  form?: Record<string, unknown>;
}

interface AskState {
  spec: AskSpec;
  attempts: number;
}

export type Assessment =
  { kind: 'answer'; result: AskResult; matchedChoice: boolean } | { kind: 'invalid'; reason: string };

/**
 * The one prompt every dialog uses: renders per channel, validates with a helpful reason, and after
 * three unusable answers offers a person. Interruptions (cancel, help, FAQ…) are decided above it
 * by the main dialog, which uses `assess` to know whether a message is a good answer.
 */
export class AskDialog extends Dialog<AskSpec> {
  private readonly assessed = new WeakMap<AskSpec, { context: TurnContext; assessment: Assessment }>();

  constructor(
    private readonly validators: FieldValidators,
    private readonly renderer: ChannelRenderer,
    private readonly now: () => Date,
    private readonly wording: DialogWording,
  ) {
    super(ASK_DIALOG);
  }

  override async beginDialog(dc: DialogContext, spec?: AskSpec): Promise<DialogTurnResult> {
    if (!spec) throw new Error('AskDialog needs a spec');
    const state: AskState = { spec, attempts: 0 };
    dc.activeDialog!.state = state;
    await this.render(dc.context, spec, spec.prompt, spec.choices ?? []);
    return Dialog.EndOfTurn;
  }

  override async continueDialog(dc: DialogContext): Promise<DialogTurnResult> {
    if (dc.context.activity.type !== (ActivityTypes.Message as string)) return Dialog.EndOfTurn;
    const state = dc.activeDialog!.state as AskState;
    const assessment = this.assess(dc.context, state.spec);
    if (assessment.kind === 'answer') return dc.endDialog(assessment.result);

    state.attempts += 1;
    const choices = [...(state.spec.choices ?? [])];
    let reason = assessment.reason;
    if (state.attempts >= MAX_FAILED_ATTEMPTS) {
      state.attempts = 0;
      // The button's text is an exact command, so it reaches the person whatever the question was.
      const words = wordsFor(this.wording, dc.context);
      if (isSms(dc.context)) {
        reason += `\n\n${words.text('ask.personSms')}`;
      } else {
        choices.push({ value: 'agent', label: words.text('ask.talkToPerson') });
        reason += `\n\n${words.text('ask.personWeb')}`;
      }
    }
    await this.renderer.ask(dc.context, reason, choices, state.spec.smsHint);
    return Dialog.EndOfTurn;
  }

  override async repromptDialog(context: TurnContext, instance: DialogInstance): Promise<void> {
    const state = instance.state as AskState;
    await this.render(context, state.spec, state.spec.prompt, state.spec.choices ?? []);
  }

  /** Whether this message answers the question (and how), without changing anything. */
  assess(context: TurnContext, spec: AskSpec): Assessment {
    // The main dialog assesses before deciding on interruptions, then the prompt itself: once per turn.
    const cached = this.assessed.get(spec);
    if (cached?.context === context) return cached.assessment;
    const assessment = this.evaluate(context, spec);
    this.assessed.set(spec, { context, assessment });
    return assessment;
  }

  private evaluate(context: TurnContext, spec: AskSpec): Assessment {
    const text = context.activity.text ?? '';
    const choices = spec.choices ?? [];
    const submitted: unknown = context.activity.value;
    if (
      spec.form &&
      submitted &&
      typeof submitted === 'object' &&
      (submitted as { form?: unknown }).form === spec.form.id
    )
      return {
        kind: 'answer',
        result: { text, form: submitted as Record<string, unknown> },
        matchedChoice: true,
      };
    // A sentence with values ("no, the e-mail is …") is read before "no" can pick an option.
    if (spec.extract && text.trim().split(/\s+/).length > 1) {
      const slots = this.extractSlots(context, spec, text);
      if (meaningful(slots)) return { kind: 'answer', result: { text, slots }, matchedChoice: false };
    }
    const choice = matchChoice(text, choices, context.activity.value);
    if (choice !== undefined) return { kind: 'answer', result: { choice, text }, matchedChoice: true };
    if (spec.extract && text.trim() !== '') {
      const slots = this.extractSlots(context, spec, text);
      if (meaningful(slots)) return { kind: 'answer', result: { text, slots }, matchedChoice: false };
    }
    if (spec.extract && ALREADY_SAID.test(text)) {
      // Nothing usable in it: say so plainly rather than the field's format rules.
      const words = wordsFor(this.wording, context);
      return { kind: 'invalid', reason: `${words.text('ask.notCaught')}\n\n${spec.prompt}` };
    }
    if (spec.field) {
      if (text.trim() === '')
        return { kind: 'invalid', reason: wordsFor(this.wording, context).text('ask.typeAnswer') };
      const validation = this.validators.validate(spec.field, text, {
        now: this.now(),
        words: wordsFor(this.wording, context),
      });
      return validation.ok
        ? { kind: 'answer', result: { value: validation.value, text }, matchedChoice: false }
        : { kind: 'invalid', reason: validation.reason };
    }
    if (spec.open) return { kind: 'answer', result: { text }, matchedChoice: false };
    return {
      kind: 'invalid',
      reason: wordsFor(this.wording, context).text(
        isSms(context) ? 'ask.replyWithNumber' : 'ask.chooseOption',
      ),
    };
  }

  private extractSlots(context: TurnContext, spec: AskSpec, text: string): ExtractedSlots {
    return this.validators.extractor.extract(
      text,
      extractionContext(context, this.now(), spec.extract?.asked, spec.extract?.country),
    );
  }

  private async render(
    context: TurnContext,
    spec: AskSpec,
    text: string,
    choices: readonly ChoiceSpec[],
  ): Promise<void> {
    if (spec.form) await this.renderer.form(context, spec.form, text);
    else if (spec.summary) await this.renderer.summary(context, spec.summary, text, choices);
    else await this.renderer.ask(context, text, choices, spec.smsHint);
  }
}
