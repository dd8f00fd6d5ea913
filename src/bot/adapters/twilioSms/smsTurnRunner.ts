import type { Activity, CloudAdapter } from 'botbuilder';
import {
  AuthenticationConstants,
  ClaimsIdentity,
  type AuthenticateRequestResult,
  type BotFrameworkAuthentication,
  type ConnectorFactory,
} from 'botframework-connector';
import { setChannelFacts, type ChannelFacts } from '../../../dialogs/channelFacts';
import type { TurnRunner } from '../../server';

/**
 * Runs one SMS turn through the app's CloudAdapter (so its middleware and turn-error handler apply)
 * and returns the bot's replies. The SMS edge is the channel here: it vouches for the activity
 * itself with the bot's own identity instead of a Bot Connector token, and asks for the replies in
 * process (deliveryMode expectReplies) instead of over a serviceUrl.
 */
export class SmsTurnRunner {
  private readonly authentication: AuthenticateRequestResult;

  constructor(
    private readonly adapter: CloudAdapter,
    auth: BotFrameworkAuthentication,
    private readonly bot: TurnRunner,
    botAppId: string | undefined,
  ) {
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
    await this.adapter.processActivityDirect(this.authentication, activity, async (context) => {
      setChannelFacts(context, facts);
      // The buffer itself, not a copy: the turn-error handler may still add its apology after a throw.
      replies = context.bufferedReplyActivities;
      await this.bot.run(context);
    });
    return replies;
  }
}
