import type { TurnContext } from 'botbuilder';
import {
  ComponentDialog,
  WaterfallDialog,
  type DialogTurnResult,
  type WaterfallStepContext,
} from 'botbuilder-dialogs';
import { ASK_DIALOG, AskDialog, type AskResult, type AskSpec } from './askDialog';
import type { ChildResult } from './mainActions';
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
    const rating = Number((step.result as AskResult).choice);
    if (rating >= 1 && rating <= 5) {
      const activity = step.context.activity;
      try {
        await this.deps.ratings.record({
          idempotencyKey: `rating:handoff:${step.options.handoffId}`,
          conversationId: activity.conversation.id,
          channel: activity.channelId,
          topic: 'handoff:agent',
          rating: rating as 1 | 2 | 3 | 4 | 5,
        });
      } catch (error) {
        this.deps.logger.warn({ err: error, conversationId: activity.conversation.id }, 'rating not saved');
      }
      await this.deps.renderer.say(
        step.context,
        this.words(step.context).text('troubleshooting.thanksForRating'),
      );
    }
    return step.endDialog({} satisfies ChildResult);
  }

  private words(context: TurnContext): Words {
    return wordsFor(this.deps.wording, context);
  }
}
