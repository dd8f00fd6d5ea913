import type { AddressInfo } from 'node:net';
import { CloudAdapter, ConfigurationBotFrameworkAuthentication } from 'botbuilder';
import type { Server } from 'restify';
import type { AppConfig } from './config';
import type { Logger } from './services/logging/logger';
import { openDatabase, type Database } from './services/store/database';
import { closeServer, makeServer, type InFlightRequests, type RouteRegistrar } from './bot/server';
import { createTwilioSmsChannel } from './bot/adapters/twilioSms/twilioSmsChannel';
import { SMS_ID_SECRET_FILE, SmsIdentity } from './bot/adapters/twilioSms/smsIdentity';
import { resolvePersistentSecret } from './services/security/persistentSecret';
import { KnownSmsSenders } from './services/sms/knownSmsSenders';
import { PhoneConfirmation } from './services/sms/phoneConfirmation';
import type { SmsSender } from './services/notifications/smsSender';
import { UnconfiguredSmsSender } from './services/notifications/unconfiguredSmsSender';
import { WebChatChannel } from './bot/adapters/directLine/webChatChannel';
import { webChatSite } from './web/webChatSite';
import { strictTransportSecurity } from './bot/http/strictTransportSecurity';
import { SupportBot } from './bot/supportBot';
import { ReusedClientsAuthentication } from './bot/reusedClientsAuthentication';
import { ReplyDeliveryWatch } from './bot/onTurnError';
import { SatisfactionRatings } from './services/feedback/satisfactionRatings';
import { UnansweredQuestions } from './services/feedback/unansweredQuestions';
import { loadDialogWording } from './dialogs/wording/dialogWording';
import { FaqLibrary } from './services/knowledge/faqLibrary';
import { ProductCatalogue } from './services/knowledge/productCatalogue';
import { TroubleshootingLibrary } from './services/knowledge/troubleshootingLibrary';
import { createRecognizer } from './services/recognition/createRecognizer';
import { MongoStorage } from './services/store/mongoStorage';
import { TicketService } from './services/tickets/ticketService';
import { TicketOutbox } from './services/tickets/ticketOutbox';
import { TicketLookupLimits } from './services/tickets/lookupLimits';
import { RegistrationLimits } from './services/tickets/registrationLimits';
import type { TicketOperations } from './dialogs/ports';
import { ticketRoutes } from './bot/routes/ticketRoutes';
import { agentRoutes } from './bot/routes/agentRoutes';
import { AgentAccounts } from './services/agents/agentAccounts';
import { AgentSessions } from './services/agents/agentSessions';
import { createAgentConsole } from './bot/agentConsole';
import { HandoffService } from './services/handoff/handoffService';
import { HandoffDelivery } from './bot/handoffDelivery';
import { SMS_CHANNEL_ID } from './bot/adapters/twilioSms/smsActivity';
import { CHANNEL_ID as DIRECTLINE_CHANNEL_ID } from './bot/adapters/directLine/directLineService';

export interface AppOptions {
  logger: Logger;
  /** Injected clock for tests; defaults to the wall clock. */
  now?: () => Date;
  /** An already opened store (start-up opens it while the app's modules load); the app closes it on stop. */
  database?: Database;
}

/** A background worker (notification dispatcher, relays…) started after listen and stopped before the store closes. */
export interface Worker {
  readonly name: string;
  start(): void;
  stop(): Promise<void>;
}

export interface App {
  readonly server: Server;
  /**
   * Agent takeover: the queue, claims, relay and transcripts (src/services/handoff). The agent
   * console's routes and socket use it; its workers (event bus poll, queue timeout) run with the app's.
   */
  readonly handoff: HandoffService;
  readonly database: Database;
  readonly inFlight: InFlightRequests;
  /** Questions the bot could not answer (redacted), for the supervisor view: `report()`. */
  readonly unanswered: UnansweredQuestions;
  /** Listens on config.http (or the given port) and starts the workers; resolves with the bound address. */
  listen(port?: number, host?: string): Promise<AddressInfo>;
  /** Graceful stop: refuse new requests, finish those in flight, stop workers, flush and close the store. */
  stop(): Promise<void>;
}

/** The composition root: builds every service from the config and wires them into the HTTP server. */
export async function createApp(config: AppConfig, options: AppOptions): Promise<App> {
  const { logger } = options;
  const database = options.database ?? (await openDatabase(config.store, logger));
  const workers: Worker[] = [];
  const registrars: RouteRegistrar[] = [];

  try {
    // Web chat: the local Direct Line (or the Azure token exchange); it also routes the bot's
    // connector calls for web chat conversations back to this server.
    const webChat = await WebChatChannel.create({
      config,
      logger,
      connection: database.connection,
      ...(options.now ? { now: options.now } : {}),
    });
    // One connector and token client per channel endpoint, not two HTTP pipelines per turn.
    const auth = new ReusedClientsAuthentication(
      webChat.authentication(new ConfigurationBotFrameworkAuthentication({ ...config.botAuth })),
    );
    const adapter = new CloudAdapter(auth);
    // First, so it sees every other send handler's failure too (see createOnTurnError).
    adapter.use(new ReplyDeliveryWatch());

    // The support conversation (src/bot/supportBot.ts): dialogs over the ticket service, with
    // conversation and user state in the store so a restart continues where the customer was.
    const catalogue = ProductCatalogue.load();
    const tickets = new TicketService({
      connection: database.connection,
      catalogue,
      logger: logger.child({ component: 'tickets' }),
      repairs: config.repairs,
      lookupLimits: new TicketLookupLimits({
        perCaller: config.abuse.lookupFailuresPerCaller,
        perTicket: config.abuse.lookupFailuresPerTicket,
        perClientAddress: config.abuse.lookupFailuresPerClientAddress,
        ...(options.now ? { clock: { now: options.now } } : {}),
      }),
      ...(options.now ? { clock: { now: options.now } } : {}),
      ...(webChat.attachmentKeeper ? { attachmentKeeper: webChat.attachmentKeeper } : {}),
    });
    await tickets.init();
    const storage = new MongoStorage(database.connection, {
      cache: { maxBytes: config.store.stateCacheBytes },
      retentionSeconds: config.retention.stateDays * 24 * 3600,
    });
    await storage.init();
    // What the dialogs register through: the ticket service behind the customers' registration caps.
    const registrationLimits = new RegistrationLimits({
      connection: database.connection,
      perConversation: config.abuse.registrationsPerConversation,
      perPhonePerDay: config.abuse.registrationsPerPhonePerDay,
      ...(options.now ? { clock: { now: options.now } } : {}),
    });
    const customerTickets: TicketOperations = {
      register: async (input, registerOptions) => {
        await registrationLimits.check(input, registerOptions.idempotencyKey);
        return tickets.register(input, registerOptions);
      },
      findForCustomer: (query) => tickets.findForCustomer(query),
      cancelForCustomer: (query) => tickets.cancelForCustomer(query),
      ticketsForPhone: (phone) => tickets.ticketsForPhone(phone),
    };
    const smsIdentity = new SmsIdentity(
      await resolvePersistentSecret({
        configured: config.sms.idSecret,
        setting: 'SMS_ID_SECRET',
        dataDir: config.store.dataDir,
        file: SMS_ID_SECRET_FILE,
        logger,
      }),
    );
    // A typed mobile number gets a one-time code before the bot texts it (SMS_CONFIRM_NEW_NUMBERS).
    // The SMS channel (its sender) is built after the bot, which it needs: bound once it exists.
    let smsSender: SmsSender = new UnconfiguredSmsSender();
    let smsConfigured = false;
    const knownSenders = new KnownSmsSenders(database.connection, (phone) =>
      smsIdentity.digest('known-sender', phone),
    );
    const phoneConfirmation = new PhoneConfirmation({
      connection: database.connection,
      sender: { send: (message) => smsSender.send(message) },
      knownSenders,
      digest: (purpose, value) => smsIdentity.digest(purpose, value),
      policy: config.sms.confirmNewNumbers,
      canSend: () => smsConfigured,
      clock: { now: options.now ?? (() => new Date()) },
    });
    // Questions the bot could not answer, redacted, for support staff (npm run report:unanswered).
    const unanswered = new UnansweredQuestions(database.connection, {
      retentionDays: config.retention.unansweredDays,
      ...(options.now ? { now: options.now } : {}),
    });
    await unanswered.init();
    // Agent names for transfers: the accounts are built with the agent routes below.
    const directory: { accounts?: AgentAccounts } = {};
    // Agent takeover: the queue and the relay, with the store as the bus between instances.
    const handoff = new HandoffService({
      connection: database.connection,
      settings: {
        hours: config.handoff.hours,
        queueTimeoutMinutes: config.handoff.queueTimeoutMinutes,
        eventPollMs: config.handoff.eventPollMs,
        instanceId: config.instanceId,
        transcriptDays: config.retention.transcriptDays,
      },
      logger: logger.child({ component: 'handoff' }),
      ...(options.now ? { clock: { now: options.now } } : {}),
      agentNames: async (agentId) => (await directory.accounts?.get(agentId))?.name,
    });
    await handoff.init();
    const faq = FaqLibrary.load({ turnaroundBusinessDays: config.repairs.turnaroundBusinessDays });
    const { bot, onTurnError, conversationState } = SupportBot.create({
      phoneConfirmation,
      unanswered,
      storage,
      recognizer: createRecognizer(config, logger.child({ component: 'recognition' }), { catalogue }),
      catalogue,
      faq,
      wording: loadDialogWording(),
      troubleshooting: TroubleshootingLibrary.load({ catalogue }),
      tickets: customerTickets,
      ratings: new SatisfactionRatings(database.connection),
      handoffService: handoff,
      logger: logger.child({ component: 'bot' }),
      ...(options.now ? { now: options.now } : {}),
    });
    adapter.onTurnError = onTurnError;

    // SMS over Twilio: /api/sms routes, the inbox worker, and proactive SMS through the adapter.
    // sms.sender is the SmsSender for notifications (held as 'not_configured' while Twilio is unset).
    const sms = createTwilioSmsChannel({
      config,
      connection: database.connection,
      adapter,
      auth,
      bot,
      conversationState,
      identity: smsIdentity,
      knownSenders,
      logger: logger.child({ component: 'sms' }),
      ...(options.now ? { now: options.now } : {}),
      // The one outbox dispatcher delivers the tickets' SMS too, written inside the tickets.
      outboxes: [new TicketOutbox(database.connection)],
      dispatch: {
        pollIntervalMs: config.notifications.pollIntervalMs,
        maxAttempts: config.notifications.maxAttempts,
        owner: config.instanceId,
      },
    });
    handoff.bindDelivery(
      new HandoffDelivery({
        adapter,
        appId: config.botAuth.MicrosoftAppId ?? '',
        canReach: (channelId, serviceUrl) =>
          channelId === SMS_CHANNEL_ID
            ? sms.configured
            : channelId === DIRECTLINE_CHANNEL_ID
              ? webChat.canReach(serviceUrl)
              : true,
        resume: (context, handoffId, askRating) => bot.resumeAfterHandoff(context, handoffId, askRating),
      }),
    );
    workers.push({ name: 'handoff', start: () => handoff.start(), stop: () => handoff.stop() });
    smsSender = sms.sender;
    smsConfigured = sms.configured;
    registrars.push(sms.registrar);
    registrars.push(
      webChat.registrar(adapter, bot, conversationState),
      webChatSite({
        logger,
        azureEndpoint: config.directLine.azureSecret ? config.directLine.azureEndpoint : undefined,
        allowedOrigins: config.webChat.allowedOrigins,
      }),
      strictTransportSecurity(config.http.publicBaseUrl),
    );
    workers.push(...sms.workers);

    // Back office (/api/tickets). Agent accounts and sessions (the console's sign-in); the back
    // office takes a session too.
    const clock = options.now ? { clock: { now: options.now } } : {};
    const agentSessions = new AgentSessions({
      connection: database.connection,
      settings: config.agentSessions,
      ...clock,
    });
    const agentAccounts = new AgentAccounts({
      connection: database.connection,
      sessions: agentSessions,
      ...clock,
    });
    await agentSessions.init();
    await agentAccounts.init();
    directory.accounts = agentAccounts;
    registrars.push(
      agentRoutes({
        accounts: agentAccounts,
        sessions: agentSessions,
        config,
        logger: logger.child({ component: 'agents' }),
      }),
    );
    registrars.push(
      ticketRoutes({ tickets, config, agentSessions, logger: logger.child({ component: 'backoffice' }) }),
    );
    // The agent console (/agent): page, API and live socket over the handoff service. Its socket
    // stops before the handoff worker (workers stop in reverse order).
    const agentConsole = createAgentConsole({
      handoff,
      sessions: agentSessions,
      accounts: agentAccounts,
      faq,
      connection: database.connection,
      config,
      logger: logger.child({ component: 'agent-console' }),
      unansweredQuestions: async () =>
        (await unanswered.report({ limit: 50 })).map((gap) => ({
          text: gap.question,
          count: gap.count,
          lastAskedAt: new Date(gap.lastAskedAt),
        })),
      ...clock,
    });
    registrars.push(...agentConsole.registrars);
    workers.push(agentConsole.worker);
    if (sms.middleware) adapter.use(sms.middleware);

    const { server, inFlight } = makeServer({
      config,
      logger,
      adapter,
      bot,
      registrars,
      readiness: async () => {
        const store = await database.ping();
        return { ready: store, checks: { store } };
      },
    });

    let stopping: Promise<void> | undefined;
    return {
      server,
      handoff,
      database,
      inFlight,
      unanswered,
      async listen(port = config.http.port, host = config.http.host): Promise<AddressInfo> {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, host, () => {
            server.removeListener('error', reject);
            resolve();
          });
        });
        for (const worker of workers) worker.start();
        const address = server.address();
        logger.info({ port: address.port, host: address.address }, 'listening');
        return address;
      },
      stop(): Promise<void> {
        stopping ??= (async () => {
          logger.info('stopping: no new requests');
          // Web chat turns run after their POST was answered: let them finish while their replies can still arrive.
          await webChat.stop(config.http.shutdownTimeoutMs);
          await closeServer({ server, inFlight }, config.http.shutdownTimeoutMs, logger);
          for (const worker of [...workers].reverse()) await worker.stop();
          await database.close();
          logger.info('stopped');
        })();
        return stopping;
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
