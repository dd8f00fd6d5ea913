import type { BotState, CloudAdapter } from 'botbuilder';
import type { BotFrameworkAuthentication } from 'botframework-connector';
import type { Connection } from 'mongoose';
import type { Server } from 'restify';
import type { AppConfig } from '../../../config';
import type { Logger } from '../../../services/logging/logger';
import type { AttachmentKeeper } from '../../../services/tickets/ticketService';
import type { RouteRegistrar, TurnRunner } from '../../server';
import { AttachmentLinks } from './attachmentLinks';
import { AzureDirectLine } from './azureDirectLine';
import { registerConnectorRoutes } from './connectorRoutes';
import { ConversationFeed } from './conversationFeed';
import { registerDirectLineRoutes } from './directLineRoutes';
import { DirectLineService } from './directLineService';
import { DirectLineStore } from './directLineStore';
import { DirectLineStreams } from './directLineStreams';
import { DirectLineTokens } from './directLineTokens';
import { DirectLineTurns, type TurnOrigin } from './directLineTurns';
import { setChannelFacts } from '../../../dialogs/channelFacts';
import { LocalConnector } from './localConnector';
import { LocalConnectorAuthentication } from './localConnectorAuthentication';
import { registerPageTokenRoute } from './pageTokenRoute';
import { NewChatLimits } from './newChatLimits';
import { RateLimiter } from './rateLimiter';
import { ClientAddress } from '../../http/clientAddress';
import { resolveTokenSecret } from './tokenSecret';
import { WebChatTurnReplies } from './webChatTurnReplies';

export interface WebChatChannelOptions {
  config: Pick<
    AppConfig,
    'http' | 'store' | 'directLine' | 'backoffice' | 'botAuth' | 'trustedProxies' | 'webChat' | 'retention'
  >;
  logger: Logger;
  connection: Connection;
  now?: () => Date;
  /** Azure Direct Line calls go through this (tests inject a fake at the HTTP boundary). */
  fetch?: typeof fetch;
}

export const BOT_NAME = 'CarlinKit Support';

interface LocalParts {
  readonly connector: LocalConnector;
  readonly service: DirectLineService;
  readonly store: DirectLineStore;
  readonly feed: ConversationFeed;
  readonly links: AttachmentLinks;
  readonly streams: DirectLineStreams;
  readonly setTurnRunner: (
    run: (activity: Parameters<DirectLineTurns['enqueue']>[0], origin: TurnOrigin) => Promise<void>,
  ) => void;
  readonly turns: DirectLineTurns;
}

/**
 * The website's "Online Message" channel. Without AZURE_DIRECTLINE_SECRET: a local Direct Line 3.0
 * endpoint (REST + WebSocket) in this server, with its state in the store and the bot's replies
 * coming back through local Bot Connector routes. With it: only the token exchange for the page.
 *
 * Wiring (src/app.ts): `create()` → wrap the adapter's authentication with `authentication()` →
 * add `registrar(adapter, bot)` to the server → call `stop()` before the server closes.
 */
export class WebChatChannel {
  private constructor(
    private readonly options: WebChatChannelOptions,
    private readonly limits: NewChatLimits,
    private readonly local: LocalParts | undefined,
    private readonly azure: AzureDirectLine | undefined,
  ) {}

  static async create(options: WebChatChannelOptions): Promise<WebChatChannel> {
    const { config, logger: parentLogger } = options;
    const logger = parentLogger.child({ component: 'web-chat' });
    const limits = new NewChatLimits(
      new RateLimiter(config.directLine.tokensPerMinute),
      new RateLimiter(config.directLine.tokensPerMinuteGlobal),
      new ClientAddress(config.trustedProxies),
    );
    if (config.directLine.azureSecret) {
      const azure = new AzureDirectLine({
        secret: config.directLine.azureSecret,
        endpoint: config.directLine.azureEndpoint,
        logger,
        fetch: options.fetch,
      });
      logger.info(
        { endpoint: config.directLine.azureEndpoint },
        'web chat uses Azure Direct Line; the local endpoint is off',
      );
      return new WebChatChannel(options, limits, undefined, azure);
    }
    const secret = await resolveTokenSecret(config.directLine.tokenSecret, config.store.dataDir, logger);
    const now = options.now ?? (() => new Date());
    const day = 24 * 3600;
    const store = new DirectLineStore(options.connection, now, {
      // A conversation record outlives its last possible message by the transcripts' retention.
      conversationSeconds: config.retention.transcriptDays * day + config.directLine.sessionMaxHours * 3600,
      activitySeconds: config.retention.transcriptDays * day,
      uploadSeconds: config.retention.photoDays * day,
    });
    await store.init();
    const tokens = new DirectLineTokens(
      secret,
      config.directLine.tokenTtlSeconds,
      now,
      config.directLine.sessionMaxHours * 3600,
    );
    const connector = new LocalConnector(secret);
    const feed = new ConversationFeed();
    const links = new AttachmentLinks(
      secret,
      config.http.publicBaseUrl,
      config.directLine.tokenTtlSeconds,
      now,
    );
    let runTurn:
      | ((activity: Parameters<DirectLineTurns['enqueue']>[0], origin: TurnOrigin) => Promise<void>)
      | undefined;
    const turns = new DirectLineTurns((activity, origin) => {
      if (!runTurn) return Promise.reject(new Error('WebChatChannel: registrar() was not called'));
      return runTurn(activity, origin);
    }, logger);
    const service = new DirectLineService({
      store,
      tokens,
      feed,
      links,
      turns,
      logger,
      bot: { id: config.botAuth.MicrosoftAppId ?? 'carlinkit-support-bot', name: BOT_NAME },
      serviceUrl: () => connector.serviceUrl,
      quota: {
        maxMessages: config.webChat.maxMessages,
        maxPhotos: config.webChat.maxPhotos,
        maxUploadBytes: config.webChat.maxUploadBytes,
      },
      now,
    });
    const streams = new DirectLineStreams({ service, feed, logger });
    const setTurnRunner = (run: typeof runTurn): void => {
      runTurn = run;
    };
    return new WebChatChannel(
      options,
      limits,
      { connector, service, store, feed, links, streams, setTurnRunner, turns },
      undefined,
    );
  }

  get mode(): 'local' | 'azure' {
    return this.local ? 'local' : 'azure';
  }

  /** The local Direct Line service (undefined in Azure mode); for tests and benchmarks. */
  get service(): DirectLineService | undefined {
    return this.local?.service;
  }

  /** Keeps the photos a ticket names out of the photos' retention (undefined in Azure mode: no uploads here). */
  get attachmentKeeper(): AttachmentKeeper | undefined {
    const service = this.local?.service;
    return service ? { keep: (urls) => service.keepUploads(urls) } : undefined;
  }

  /**
   * Whether a proactive message to a web chat conversation at `serviceUrl` can go out from this
   * instance: the local Direct Line only reaches conversations whose serviceUrl is its own
   * connector (another instance's customers get theirs from that instance). Azure: always.
   */
  canReach(serviceUrl: string | undefined): boolean {
    return this.local ? this.local.connector.isLocal(serviceUrl) : true;
  }

  /** The adapter's authentication, made to reach the local connector for proactive messages. */
  authentication(inner: BotFrameworkAuthentication): BotFrameworkAuthentication {
    return this.local ? new LocalConnectorAuthentication(inner, this.local.connector) : inner;
  }

  /**
   * Routes (and the WebSocket upgrade handler) for this channel; turns go to `bot` through `adapter`.
   * `conversationState`: the bot's own (saved last in its turn); each turn's replies are kept in it
   * so a crash between the state write and the log cannot lose them (see WebChatTurnReplies).
   */
  registrar(adapter: CloudAdapter, bot: TurnRunner, conversationState?: BotState): RouteRegistrar {
    return (server: Server) => {
      const { config, logger } = this.options;
      const local = this.local;
      registerPageTokenRoute(server, {
        limits: this.limits,
        logger,
        publicBaseUrl: config.http.publicBaseUrl,
        local: local?.service,
        azure: this.azure,
      });
      if (!local) return;
      const authentication = local.connector.turnAuthentication(config.botAuth.MicrosoftAppId, undefined);
      const replies = new WebChatTurnReplies(local.service, conversationState);
      local.setTurnRunner((activity, origin) =>
        adapter.processActivityDirect(
          authentication,
          activity as Parameters<CloudAdapter['processActivityDirect']>[1],
          (context) => {
            // The address the endpoint saw, for limits keyed on the client (ticket lookups).
            setChannelFacts(context, origin.clientAddress ? { clientAddress: origin.clientAddress } : {});
            // The customer sees the turn's replies once its state is saved (never one step behind),
            // and a crash after that save cannot lose them.
            return replies.run(context, (turn) => bot.run(turn));
          },
        ),
      );
      const bind = (): void => local.connector.bind(server.address());
      if (server.server.listening) bind();
      server.server.on('listening', bind);
      registerDirectLineRoutes(server, {
        service: local.service,
        links: local.links,
        limits: this.limits,
        // The same rule as the chat limits (TRUSTED_PROXIES): handed to turns for the lookup limits.
        clientAddress: new ClientAddress(config.trustedProxies),
        logger,
        bodyLimitBytes: config.http.bodyLimitBytes,
        publicBaseUrl: config.http.publicBaseUrl,
        backofficeToken: config.backoffice.token,
      });
      registerConnectorRoutes(server, {
        service: local.service,
        connector: local.connector,
        logger,
        bodyLimitBytes: config.http.bodyLimitBytes,
      });
      local.streams.attach(server.server);
    };
  }

  /** Before the server closes: refuse new messages, let queued turns finish (their replies still arrive), close streams. */
  async stop(timeoutMs: number): Promise<void> {
    if (!this.local) return;
    const drained = await this.local.turns.drain(timeoutMs);
    if (!drained)
      this.options.logger.warn(
        { pending: this.local.turns.pending },
        'web chat turns still running at shutdown',
      );
    await this.local.streams.closeAll();
  }
}
