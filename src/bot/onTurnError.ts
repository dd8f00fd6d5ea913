import type { ConversationState, Middleware, TurnContext } from 'botbuilder';
import type { ChannelRenderer } from '../dialogs/rendering/channelRenderer';
import { wordsFor, type DialogWording } from '../dialogs/wording/dialogWording';
import type { Logger } from '../services/logging/logger';
import { ETagConflictError } from '../services/store/mongoStorage';
import { isStoreUnavailable } from '../services/store/storeUnavailable';

export type OnTurnError = (context: TurnContext, error: Error) => Promise<void>;

export interface OnTurnErrorDeps {
  logger: Logger;
  conversationState: ConversationState;
  renderer: ChannelRenderer;
  wording: DialogWording;
}

const REPLY_FAILED = Symbol('replyDeliveryFailed');

/**
 * Marks a turn whose replies could not be delivered (the channel refused them, or could not be
 * reached), so the turn-error handler can tell "the conversation's state is broken" from "the reply
 * did not get through". Add it first (adapter.use) so it wraps every other send handler.
 */
export class ReplyDeliveryWatch implements Middleware {
  async onTurn(context: TurnContext, next: () => Promise<void>): Promise<void> {
    context.onSendActivities(async (ctx, _activities, send) => {
      try {
        return await send();
      } catch (error) {
        ctx.turnState.set(REPLY_FAILED, true);
        throw error;
      }
    });
    await next();
  }
}

/**
 * The adapter's last resort when a turn throws: apologise to the customer without internals, log
 * with the conversation id (never the message text), and clear the dialog state that broke, so the
 * next message starts cleanly instead of failing the same way. A concurrent write (eTag conflict)
 * is not a broken state: the other turn's state is kept and the customer is asked to resend. Nor is a
 * reply that could not be delivered (see ReplyDeliveryWatch): the state is the last good one (this
 * turn's changes were never saved), and deleting it would let whoever can make a reply fail (a
 * refused channel, an unreachable serviceUrl) wipe a customer's conversation.
 */
export function createOnTurnError(deps: OnTurnErrorDeps): OnTurnError {
  return async (context, error) => {
    const activity = context.activity;
    const conflict = error instanceof ETagConflictError;
    if (context.turnState.get(REPLY_FAILED) === true) {
      deps.logger.warn(
        { err: error, channelId: activity.channelId, activityId: activity.id },
        'turn replies not delivered; the conversation state is kept',
      );
      deps.renderer.discard(context);
      return;
    }
    // The database is away: the state is not broken, only unreachable; keep it for the retry.
    const unavailable = !conflict && isStoreUnavailable(error);
    deps.logger.error(
      {
        err: error,
        conversationId: activity.conversation?.id,
        channelId: activity.channelId,
        activityId: activity.id,
      },
      conflict
        ? 'turn lost to a concurrent turn'
        : unavailable
          ? 'turn failed: store unavailable'
          : 'turn failed',
    );
    deps.renderer.discard(context);
    try {
      if (!conflict && !unavailable) await deps.conversationState.delete(context);
    } catch (deleteError) {
      deps.logger.error(
        { err: deleteError, conversationId: activity.conversation?.id },
        'could not clear conversation state',
      );
    }
    try {
      const words = wordsFor(deps.wording, context);
      await context.sendActivity(
        words.text(
          conflict ? 'system.concurrentTurn' : unavailable ? 'system.storeUnavailable' : 'system.apology',
        ),
      );
    } catch (sendError) {
      deps.logger.error(
        { err: sendError, conversationId: activity.conversation?.id },
        'could not send the apology',
      );
    }
  };
}
