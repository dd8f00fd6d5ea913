import type { ConversationState, TurnContext } from 'botbuilder';
import type { ChannelRenderer } from '../dialogs/rendering/channelRenderer';
import type { Logger } from '../services/logging/logger';
import { ETagConflictError } from '../services/store/mongoStorage';

export type OnTurnError = (context: TurnContext, error: Error) => Promise<void>;

export interface OnTurnErrorDeps {
  logger: Logger;
  conversationState: ConversationState;
  renderer: ChannelRenderer;
}

const APOLOGY =
  "Sorry, something went wrong on my side and I lost track of our conversation. Let's start again: what can I help you with? (Type 'help' to see what I can do.)";

const CONCURRENT_TURN =
  'Sorry, I received two messages at the same time and could only handle one. Please send your last message again.';

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
    deps.logger.error(
      {
        err: error,
        conversationId: activity.conversation?.id,
        channelId: activity.channelId,
        activityId: activity.id,
      },
      conflict ? 'turn lost to a concurrent turn' : 'turn failed',
    );
    deps.renderer.discard(context);
    try {
      if (!conflict) await deps.conversationState.delete(context);
    } catch (deleteError) {
      deps.logger.error(
        { err: deleteError, conversationId: activity.conversation?.id },
        'could not clear conversation state',
      );
    }
    try {
      await context.sendActivity(conflict ? CONCURRENT_TURN : APOLOGY);
    } catch (sendError) {
      deps.logger.error(
        { err: sendError, conversationId: activity.conversation?.id },
        'could not send the apology',
      );
    }
  };
}
