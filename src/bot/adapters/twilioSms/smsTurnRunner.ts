import type { Activity, BotState, CloudAdapter, StatePropertyAccessor } from 'botbuilder';
import {
  AuthenticationConstants,
  ClaimsIdentity,
  type AuthenticateRequestResult,
  type BotFrameworkAuthentication,
  type ConnectorFactory,
} from 'botframework-connector';
import { setChannelFacts, type ChannelFacts } from '../../../dialogs/channelFacts';
import type { TurnRunner } from '../../server';
import { renderActivity } from './smsRendering';

/** The last SMS turn whose state was saved, with its replies as SMS text (kept in the conversation state). */
interface SmsTurnRecord {
  messageSid: string;
  replies: string[];
}

/**
 * Runs one SMS turn through the app's CloudAdapter (so its middleware and turn-error handler apply)
 * and returns the bot's replies. The SMS edge is the channel here: it vouches for the activity
 * itself with the bot's own identity instead of a Bot Connector token, and asks for the replies in
 * process (deliveryMode expectReplies) instead of over a serviceUrl.
 */
export class SmsTurnRunner {
  private readonly authentication: AuthenticateRequestResult;
  private readonly lastTurn: StatePropertyAccessor<SmsTurnRecord> | undefined;

  /**
   * `conversationState`: the bot's own (the one its turn saves last). The turn's replies are then
   * written into it, in the same write as the rest of the turn's state, so a turn resumed after a
   * crash that came after that write gets its replies back instead of running again on the new state
   * (which would answer the customer's message as if it were the next one, and lose the replies).
   */
  constructor(
    private readonly adapter: CloudAdapter,
    auth: BotFrameworkAuthentication,
    private readonly bot: TurnRunner,
    botAppId: string | undefined,
    conversationState?: BotState,
  ) {
    this.lastTurn = conversationState?.createProperty<SmsTurnRecord>('smsLastTurn');
    const appId = botAppId ?? '';
    const claimsIdentity = new ClaimsIdentity(
      [
        { type: AuthenticationConstants.AudienceClaim, value: appId },
        { type: AuthenticationConstants.AppIdClaim, value: appId },
      ],
      true,
    );
    // The adapter asks for a connector client every turn, though SMS turns never call one (their
    // replies come back in-process); building one costs an HTTP pipeline, so one is made and reused.
    const factory = auth.createConnectorFactory(claimsIdentity);
    let client: ReturnType<ConnectorFactory['create']> | undefined;
    const connectorFactory: ConnectorFactory = {
      create: (serviceUrl: string, audience?: string) =>
        (client ??= factory.create(serviceUrl, audience).catch((error: unknown) => {
          client = undefined;
          throw error;
        })),
    };
    this.authentication = {
      audience: AuthenticationConstants.ToChannelFromBotOAuthScope,
      claimsIdentity,
      connectorFactory,
    };
  }

  /** `facts`: what the signed webhook vouches for (the sender's number), for the dialogs. */
  async run(activity: Activity, facts: ChannelFacts): Promise<Array<Partial<Activity>>> {
    let replies: Array<Partial<Activity>> = [];
    let replayed: Array<Partial<Activity>> | undefined;
    const lastTurn = this.lastTurn;
    const messageSid = activity.id;
    await this.adapter.processActivityDirect(this.authentication, activity, async (context) => {
      setChannelFacts(context, facts);
      // The buffer itself, not a copy: the turn-error handler may still add its apology after a throw.
      replies = context.bufferedReplyActivities;
      if (lastTurn && messageSid) {
        const last = await lastTurn.get(context);
        if (last?.messageSid === messageSid) {
          // This message's turn ran and its state was saved: its replies, not a second turn.
          replayed = last.replies.map((text) => ({ type: 'message', text }));
          return;
        }
        // Recorded from the start (a turn may send nothing), and every reply as it is sent, so the
        // state written at the end of the turn has them all.
        await lastTurn.set(context, { messageSid, replies: [] });
        context.onSendActivities(async (ctx, _activities, next) => {
          const result = await next();
          const texts = ctx.bufferedReplyActivities.map(renderActivity).filter((text) => text.length > 0);
          await lastTurn.set(ctx, { messageSid, replies: texts });
          return result;
        });
      }
      await this.bot.run(context);
    });
    return replayed ?? replies;
  }
}
