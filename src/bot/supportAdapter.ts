import { CloudAdapter, type Activity, type InvokeResponse, type TurnContext } from 'botbuilder';
import { AuthenticationError } from 'botframework-connector';
import { UnauthorizedError } from '../services/errors';

/**
 * The app's CloudAdapter. `processParsed` runs a turn for a POST /api/messages body the server has
 * already parsed and checked. CloudAdapter.process does the same but builds several zod schemas per
 * request to re-check what the server checked, answers errors itself with their internal message,
 * and prints them with console.error.
 */
export class SupportAdapter extends CloudAdapter {
  /**
   * Authenticates the request and runs the turn; resolves with the response the channel expects
   * (the replies for deliveryMode expectReplies, an invoke's result), or undefined for 200 with no
   * body. A missing or invalid token rejects with UnauthorizedError.
   */
  async processParsed(
    activity: Activity,
    authHeader: string,
    logic: (context: TurnContext) => Promise<void>,
  ): Promise<InvokeResponse | undefined> {
    try {
      return await this.processActivity(authHeader, withDates(activity), logic);
    } catch (error) {
      if (error instanceof AuthenticationError) throw new UnauthorizedError(error.message);
      throw error;
    }
  }
}

/** As botbuilder's validateAndFixActivity: the wire's ISO strings become Dates, the raw text is kept. */
function withDates(activity: Activity): Activity {
  const raw = activity as Activity & Record<string, unknown>;
  for (const [field, rawField] of [
    ['timestamp', 'rawTimestamp'],
    ['expiration', 'rawExpiration'],
    ['localTimestamp', 'rawLocalTimestamp'],
  ] as const) {
    const value = raw[field];
    if (typeof value === 'string') {
      raw[rawField] = value;
      raw[field] = new Date(value);
    }
  }
  return activity;
}
