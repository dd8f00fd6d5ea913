import type { TurnContext } from 'botbuilder';
import type { AskResult } from './askDialog';
import type { SupportDialogDeps } from './ports';
import { wordsFor } from './wording/dialogWording';

/** What a 1–5 answer rates: the key makes a repeated answer (a retried turn) count once. */
export interface RatedTopic {
  idempotencyKey: string;
  topic: string;
  productId?: string;
}

/**
 * Stores the customer's answer to a 1–5 rating question and thanks them; an answer that is not a
 * rating is let go without a word. A rating that cannot be stored is logged, never shown: it must
 * not spoil the help the customer just had.
 */
export async function saveRatingAnswer(
  deps: Pick<SupportDialogDeps, 'ratings' | 'logger' | 'renderer' | 'wording'>,
  context: TurnContext,
  answer: AskResult,
  rated: RatedTopic,
): Promise<void> {
  const rating = Number(answer.choice);
  if (!(rating >= 1 && rating <= 5)) return;
  const activity = context.activity;
  try {
    await deps.ratings.record({
      idempotencyKey: rated.idempotencyKey,
      conversationId: activity.conversation.id,
      channel: activity.channelId,
      topic: rated.topic,
      ...(rated.productId ? { productId: rated.productId } : {}),
      rating: rating as 1 | 2 | 3 | 4 | 5,
    });
  } catch (error) {
    deps.logger.warn({ err: error, conversationId: activity.conversation.id }, 'rating not saved');
  }
  await deps.renderer.say(context, wordsFor(deps.wording, context).text('troubleshooting.thanksForRating'));
}
