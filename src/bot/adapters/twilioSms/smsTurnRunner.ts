import type { Activity, BotState, CloudAdapter } from 'botbuilder';
import {
  AuthenticationConstants,
  ClaimsIdentity,
  type AuthenticateRequestResult,
  type BotFrameworkAuthentication,
  type ConnectorFactory,
} from 'botframework-connector';
import { setChannelFacts, type ChannelFacts } from '../../../dialogs/channelFacts';
import type { TurnRunner } from '../../server';
import { SavedTurnReplies } from '../savedTurnReplies';
import { renderActivity } from './smsRendering';

/**
 * Runs one SMS turn through the app's CloudAdapter (so its middleware and turn-error handler apply)
 * and returns the bot's replies. The SMS edge is the channel here: it vouches for the activity
 * itself with the bot's own identity instead of a Bot Connector token, and asks for the replies in
 * process (deliveryMode expectReplies) instead of over a serviceUrl.
 */
export class SmsTurnRunner {
  private readonly authentication: AuthenticateRequestResult;
  /** The last SMS turn whose state was saved, with its replies as SMS text. */
  private readonly lastTurn: SavedTurnReplies<string> | undefined;

  /**
   * `conversationState`: the bot's own (the one its turn saves last). The turn's replies are then
   * written into it, in the same write as the rest of the turn's state, so a turn resumed after a
   * crash that came after that write gets its replies back instead of running again on the new state
   * (which would answer the customer's message as if it were the next one, and lose the replies).
   * `repliesHandedOver`: whether a message's replies reached the outbox; when the saved turn's did
   * not (a crash after the state write, its message still leased by the dead process), the next
   * message from that number gets them first, and is not run again if it is the same text.
   */
  constructor(
    private readonly adapter: CloudAdapter,
    auth: BotFrameworkAuthentication,
    private readonly bot: TurnRunner,
    botAppId: string | undefined,
    conversationState?: BotState,
    private readonly repliesHandedOver: (messageSid: string) => Promise<boolean> = () =>
      Promise.resolve(true),
  ) {
    this.lastTurn = conversationState && new SavedTurnReplies<string>(conversationState, 'smsLastTurn');
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
    let handedBack: Array<Partial<Activity>> = [];
    const lastTurn = this.lastTurn;
    const messageSid = activity.id;
    await this.adapter.processActivityDirect(this.authentication, activity, async (context) => {
      setChannelFacts(context, facts);
      // The buffer itself, not a copy: the turn-error handler may still add its apology after a throw.
      replies = context.bufferedReplyActivities;
      if (lastTurn && messageSid) {
        const resumed = await lastTurn.resume(context, messageSid, this.repliesHandedOver);
        handedBack = (resumed?.replies ?? []).map((text) => ({ type: 'message', text }));
        if (resumed?.done) {
          // This message's turn ran and its state was saved: its replies, not a second turn.
          replayed = handedBack;
          return;
        }
        await lastTurn.record(context, messageSid, (ctx) =>
          ctx.bufferedReplyActivities.map(renderActivity).filter((text) => text.length > 0),
        );
      }
      await this.bot.run(context);
    });
    return replayed ?? [...handedBack, ...replies];
  }
}
