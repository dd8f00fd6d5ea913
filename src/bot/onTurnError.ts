import type { ConversationState, TurnContext } from 'botbuilder';
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

/**
 * The adapter's last resort when a turn throws: apologise to the customer without internals, log
 * with the conversation id (never the message text), and clear the dialog state that broke, so the
 * next message starts cleanly instead of failing the same way. A concurrent write (eTag conflict)
 * is not a broken state: the other turn's state is kept and the customer is asked to resend.
 */
export function createOnTurnError(deps: OnTurnErrorDeps): OnTurnError {
  return async (context, error) => {
    const activity = context.activity;
    const conflict = error instanceof ETagConflictError;
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
