import type { BotState, StatePropertyAccessor, TurnContext } from 'botbuilder';

/** The last turn of a conversation whose state was saved, with the replies it sent (in a channel's form). */
export interface SavedTurn<Reply> {
  /** The id of the customer's activity the turn answered (Twilio MessageSid, Direct Line activity id). */
  activityId: string;
  /** What the customer wrote, to tell a message sent again from a new one. */
  text?: string;
  /** When the customer's activity was received (ISO), to tell a message taken up late. */
  at?: string;
  replies: Reply[];
  /** Earlier activities these replies also answer (the same message, sent again after a crash). */
  earlier?: string[];
}

/** What the saved turn means for the activity at hand: replies to hand back first, and whether its turn is done. */
export interface Resumed<Reply> {
  replies: Reply[];
  /** True: the activity's turn already ran (or it is that message sent again); do not run the bot. */
  done: boolean;
}

/** How many earlier ids of one message are remembered (each crash-and-resend adds one). */
const MAX_EARLIER = 5;

/**
 * A turn's replies kept in the bot's conversation state, so they are written in the same write as
 * the rest of the turn's state (the bot saves its conversation state last). After a crash between
 * that write and the replies reaching the customer, the turn is never run again on the new state
 * (which would answer the customer's message as if it were the next one, and lose the replies, e.g.
 * a ticket number): `resume` hands them back instead.
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

  /**
   * Before running the turn for `activityId`:
   * - it is the saved turn's own activity (resumed after a crash): its replies, done;
   * - it is an earlier copy of a message whose replies went out already, or the same text received
   *   before the saved turn's message (taken up late, e.g. held by a dead process's lease, after the
   *   customer sent it again): nothing, done;
   * - the saved turn's replies never reached the customer (`answered` false): they come first, and
   *   when this message is the same text (sent again because nothing came) it is done; the saved
   *   turn then answers this activity, saved at once (one write) before the replies go out;
   * - otherwise undefined: run the turn.
   */
  async resume(
    context: TurnContext,
    activityId: string,
    answered: (activityId: string) => Promise<boolean>,
  ): Promise<Resumed<Reply> | undefined> {
    const last = await this.property.get(context);
    if (!last) return undefined;
    if (last.activityId === activityId) return { replies: last.replies, done: true };
    const again = last.text !== undefined && last.text.trim() === (context.activity.text ?? '').trim();
    if (last.earlier?.includes(activityId) || (again && receivedBefore(context.activity.timestamp, last.at)))
      return { replies: [], done: true };
    if (last.replies.length === 0 || (await answered(last.activityId))) return undefined;
    if (again) {
      const earlier = [last.activityId, ...(last.earlier ?? [])].slice(0, MAX_EARLIER);
      await this.property.set(context, { ...last, activityId, earlier });
      await this.conversationState.saveChanges(context, false);
    }
    return { replies: last.replies, done: again };
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
    const { text, timestamp } = context.activity;
    const at = toIso(timestamp);
    const turn = (list: Reply[]): SavedTurn<Reply> => ({
      activityId,
      ...(text !== undefined ? { text } : {}),
      ...(at !== undefined ? { at } : {}),
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

function toIso(timestamp: Date | string | undefined): string | undefined {
  if (timestamp === undefined) return undefined;
  const date = new Date(timestamp);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** Whether an activity received at `timestamp` came before the saved turn's (received at `savedAt`). */
function receivedBefore(timestamp: Date | string | undefined, savedAt: string | undefined): boolean {
  const at = toIso(timestamp);
  return at !== undefined && savedAt !== undefined && at < savedAt;
}
