import type { BotState, StatePropertyAccessor, TurnContext } from 'botbuilder';

/** The last turn of a conversation whose state was saved, with the replies it sent (in a channel's form). */
export interface SavedTurn<Reply> {
  /** The id of the customer's activity the turn answered (Twilio MessageSid, Direct Line activity id). */
  activityId: string;
  /** What the customer wrote, to tell a message sent again from a new one. */
  text?: string;
  replies: Reply[];
}

/**
 * A turn's replies kept in the bot's conversation state, so they are written in the same write as
 * the rest of the turn's state (the bot saves its conversation state last). A turn resumed after a
 * crash that came after that write gets its replies back instead of running again on the new state,
 * which would answer the customer's message as if it were the next one and lose the replies (a
 * ticket number the customer never sees).
 */
export class SavedTurnReplies<Reply> {
  private readonly property: StatePropertyAccessor<SavedTurn<Reply>>;

  /** `name`: the state property, one per channel. */
  constructor(
    private readonly conversationState: BotState,
    name: string,
  ) {
    this.property = conversationState.createProperty<SavedTurn<Reply>>(name);
  }

  /** The conversation's last saved turn, read in this turn's context. */
  last(context: TurnContext): Promise<SavedTurn<Reply> | undefined> {
    return this.property.get(context);
  }

  /**
   * Saves `turn` as the conversation's last turn now (one write of the conversation state), for a
   * turn that hands back saved replies instead of running the bot (which would save it).
   */
  async saveNow(context: TurnContext, turn: SavedTurn<Reply>): Promise<void> {
    await this.property.set(context, turn);
    await this.conversationState.saveChanges(context, false);
  }

  /**
   * Records this turn's replies into the state as they are sent: from the start (a turn may send
   * nothing), then `replies()` after each send, so the state written at the end of the turn has them.
   */
  async record(
    context: TurnContext,
    activityId: string,
    replies: (context: TurnContext) => Reply[],
  ): Promise<void> {
    const text = context.activity.text;
    const turn = (list: Reply[]): SavedTurn<Reply> => ({
      activityId,
      ...(text !== undefined ? { text } : {}),
      replies: list,
    });
    await this.property.set(context, turn([]));
    context.onSendActivities(async (ctx, _activities, next) => {
      const result = await next();
      await this.property.set(ctx, turn(replies(ctx)));
      return result;
    });
  }
}
