import type { Activity, ResourceResponse, TurnContext } from 'botbuilder';

/**
 * Runs a web chat turn holding its messages back until the turn has finished (the bot's `run`,
 * which saves the conversation's state last), then sends them in order. A customer therefore never
 * sees a reply whose turn's state was not saved: were the process killed in between, the customer
 * would answer a question the restarted bot never asked (one step behind). With the replies held,
 * such a turn shows nothing; the customer sends again and the turn runs again from the saved state.
 * Typing indicators go out at once. If the turn throws, the held replies are dropped (its state was
 * not saved either) and the turn-error handler's apology goes out as usual.
 */
export async function runWithRepliesAfterTurn(
  context: TurnContext,
  run: (context: TurnContext) => Promise<void>,
): Promise<void> {
  const held: Array<Partial<Activity>> = [];
  let holding = true;
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
}
