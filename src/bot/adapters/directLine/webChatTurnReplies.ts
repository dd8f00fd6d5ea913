import type { Activity, BotState, ResourceResponse, TurnContext } from 'botbuilder';
import { SavedTurnReplies } from '../savedTurnReplies';
import { logPositionOf } from './directLineStore';
import { LruCache } from './lruCache';

/** Where the turns' replies end up: the conversation's Direct Line log. */
export interface RepliesLog {
  /** Whether the log holds a bot reply to the customer's activity `activityId`. */
  answered(conversationId: string, activityId: string): Promise<boolean>;
}

/** Conversations whose last turn's replies this process put in the log (so the log need not be read). */
const REMEMBERED_CONVERSATIONS = 20_000;

/** What the channel sets on a reply when it is sent; the rest is kept in the state. */
const ROUTING_FIELDS = [
  'id',
  'from',
  'recipient',
  'conversation',
  'serviceUrl',
  'replyToId',
  'timestamp',
  'localTimestamp',
  'channelId',
] as const;

/**
 * Runs web chat turns so that a customer sees each turn's replies exactly when its state is saved:
 *
 * - The turn's messages are held back until the turn has finished (the bot's `run`, which saves the
 *   conversation state last), then sent in order. A customer therefore never sees a reply whose
 *   turn's state was not saved (they would answer a question the restarted bot never asked). Typing
 *   indicators go out at once. If the turn throws, the held replies are dropped and the turn-error
 *   handler's apology goes out as usual.
 * - With the bot's conversation state, the held replies are also written into it, in the same write
 *   as the rest of the turn's state (see SavedTurnReplies). Were the process killed after that write
 *   and before the replies reached the log, the next turn of the conversation finds a saved turn the
 *   log has no reply to: the customer gets those replies first, and when their message is the one
 *   they had sent (sent again because nothing came) it is not run a second time on the new state,
 *   which would answer it as an unknown message and lose the replies (a ticket number never seen).
 */
export class WebChatTurnReplies {
  private readonly saved: SavedTurnReplies<Partial<Activity>> | undefined;
  // conversation id → the customer activity whose replies this process put in the log last.
  private readonly delivered = new LruCache<string, string>(REMEMBERED_CONVERSATIONS);

  constructor(
    private readonly log: RepliesLog,
    conversationState?: BotState,
  ) {
    this.saved = conversationState && new SavedTurnReplies(conversationState, 'webChatLastTurn');
  }

  async run(context: TurnContext, run: (context: TurnContext) => Promise<void>): Promise<void> {
    const { saved } = this;
    const conversationId = context.activity.conversation?.id ?? '';
    // Only turns for activities in the log (the customer's), whose replies the log can show; not
    // the welcome's (its activity is not logged), which would otherwise look unanswered forever.
    const id = context.activity.id;
    const activityId = id !== undefined && logPositionOf(conversationId, id) !== undefined ? id : undefined;
    if (saved && activityId) {
      const resumed = await saved.resume(context, activityId, (lastId) =>
        this.delivered.get(conversationId) === lastId
          ? Promise.resolve(true)
          : this.log.answered(conversationId, lastId),
      );
      if (resumed) {
        if (resumed.replies.length > 0) await context.sendActivities(resumed.replies);
        if (resumed.done) {
          this.delivered.set(conversationId, activityId);
          return;
        }
      }
    }
    const held: Array<Partial<Activity>> = [];
    let holding = true;
    // Registered before the holding handler, so it runs around it and sees each send once held.
    if (saved && activityId) await saved.record(context, activityId, () => held.map(withoutRouting));
    context.onSendActivities(async (_ctx, activities, next): Promise<ResourceResponse[]> => {
      if (!holding || activities.every((activity) => activity.type === 'typing')) return next();
      held.push(...activities);
      // The ids the channel will give them are not known yet; nothing in a turn reads them.
      return activities.map(() => ({ id: '' }));
    });
    try {
      await run(context);
    } finally {
      holding = false;
    }
    if (held.length > 0) await context.sendActivities(held);
    if (activityId) this.delivered.set(conversationId, activityId);
  }
}

function withoutRouting(activity: Partial<Activity>): Partial<Activity> {
  const kept: Partial<Activity> = { ...activity };
  for (const field of ROUTING_FIELDS) delete kept[field];
  return kept;
}
