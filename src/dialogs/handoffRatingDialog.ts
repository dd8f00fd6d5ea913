import type { TurnContext } from 'botbuilder';
import {
  ComponentDialog,
  WaterfallDialog,
  type DialogTurnResult,
  type WaterfallStepContext,
} from 'botbuilder-dialogs';
import { ASK_DIALOG, AskDialog, type AskResult, type AskSpec } from './askDialog';
import type { ChildResult } from './mainActions';
import { saveRatingAnswer } from './ratingAnswer';
import type { SupportDialogDeps } from './ports';
import { ratingChoices } from './troubleshootingDialog';
import { wordsFor, type Words } from './wording/dialogWording';

export const HANDOFF_RATING_DIALOG = 'handoffRating';
const RATE = 'handoffRating.rate';

export interface HandoffRatingOptions {
  /** The handoff rated: the rating's idempotency key, so a repeated answer is stored once. */
  handoffId: string;
}

/** After an agent hands the conversation back: "how would you rate the help, 1–5?", stored once. */
export class HandoffRatingDialog extends ComponentDialog {
  constructor(private readonly deps: SupportDialogDeps) {
    super(HANDOFF_RATING_DIALOG);
    this.addDialog(
      new WaterfallDialog<HandoffRatingOptions>(RATE, [(step) => this.ask(step), (step) => this.save(step)]),
    );
    this.addDialog(new AskDialog(deps.validators, deps.renderer, deps.now, deps.wording));
    this.initialDialogId = RATE;
  }

  private async ask(step: WaterfallStepContext<HandoffRatingOptions>): Promise<DialogTurnResult> {
    const words = this.words(step.context);
    return step.beginDialog(ASK_DIALOG, {
      prompt: words.text('handoff.askRating'),
      choices: ratingChoices(words),
      smsHint: words.text('troubleshooting.ratingSmsHint'),
    } satisfies AskSpec);
  }

  private async save(step: WaterfallStepContext<HandoffRatingOptions>): Promise<DialogTurnResult> {
    await saveRatingAnswer(this.deps, step.context, step.result as AskResult, {
      idempotencyKey: `rating:handoff:${step.options.handoffId}`,
      topic: 'handoff:agent',
    });
    return step.endDialog({} satisfies ChildResult);
  }

  private words(context: TurnContext): Words {
    return wordsFor(this.deps.wording, context);
  }
}
