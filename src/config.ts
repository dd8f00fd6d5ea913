import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { IANAZone } from 'luxon';
import { z } from 'zod';
import { SupportHours } from './services/handoff/supportHours';

/** Empty strings in the environment mean "not set": `.env` files and CI often export `VAR=`. */
const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const port = z.coerce
  .number({ error: 'must be a port number from 0 to 65535' })
  .int('must be a port number from 0 to 65535')
  .min(0, 'must be a port number from 0 to 65535')
  .max(65535, 'must be a port number from 0 to 65535');

const positiveInt = z.coerce.number().int().positive();

const httpUrl = z
  .string()
  .trim()
  .url()
  .refine((value) => /^https?:\/\//.test(value), 'must start with http:// or https://')
  .transform((value) => value.replace(/\/+$/, ''));

/** `https://shop.example.com`, `https://*.example.com`, `http://localhost:8080`: what CSP frame-ancestors takes. */
const frameOrigin = /^https?:\/\/(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?$/;

/** A hop count (`1`), or addresses and CIDR ranges (`10.0.0.0/8, 2001:db8::/32, 127.0.0.1`). */
const trustedProxies = optionalString.transform((value, ctx): TrustedProxiesSetting => {
  if (value === undefined) return { hops: 0 };
  if (/^\d+$/.test(value)) return { hops: Number(value) };
  const cidrs = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const cidr of cidrs) {
    const [address = '', bits, extra] = cidr.split('/');
    const family = isIP(address);
    const max = family === 4 ? 32 : 128;
    const prefixOk = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= max);
    if (family === 0 || !prefixOk || extra !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `"${cidr}" is not an IP address or CIDR range (TRUSTED_PROXIES is a hop count or a comma-separated list of them)`,
      });
      return z.NEVER;
    }
  }
  return { cidrs };
});

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD');

/** The environment as the process sees it; every setting the service reads is declared here. */
const environmentSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: port.default(3978),
    HOST: z.string().trim().min(1).default('0.0.0.0'),
    PUBLIC_BASE_URL: httpUrl.optional().or(z.literal('').transform(() => undefined)),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    BODY_LIMIT_BYTES: positiveInt.default(1_048_576),
    SHUTDOWN_TIMEOUT_MS: positiveInt.default(10_000),

    MONGODB_URI: optionalString.pipe(
      z
        .string()
        .regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// or mongodb+srv:// URI')
        .optional(),
    ),
    DATA_DIR: z.string().trim().min(1).default('./data'),
    EMBEDDED_STORE_TCP_PORT: z.preprocess(
      (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
      port.optional(),
    ),
    EMBEDDED_STORE_TCP_HOST: z.string().trim().min(1).default('127.0.0.1'),
    STATE_CACHE: z.enum(['auto', 'on', 'off']).default('auto'),
    STATE_CACHE_MB: z.coerce.number().int().min(0).default(32),

    MicrosoftAppId: optionalString,
    MicrosoftAppPassword: optionalString,
    MicrosoftAppType: z.enum(['MultiTenant', 'SingleTenant', 'UserAssignedMSI']).default('MultiTenant'),
    MicrosoftAppTenantId: optionalString,
    BOT_ENDPOINT: z.enum(['on', 'off']).default('on'),

    AGENT_SESSION_IDLE_MINUTES: positiveInt.default(60),
    AGENT_SESSION_MAX_HOURS: positiveInt.default(12),
    BACKOFFICE_TOKEN: optionalString.pipe(
      z.string().min(24, 'must be at least 24 characters (use a long random value)').optional(),
    ),
    REPAIR_HOLIDAYS: z
      .string()
      .trim()
      .default('')
      .transform((value) =>
        value
          .split(',')
          .map((day) => day.trim())
          .filter((day) => day !== ''),
      )
      .pipe(z.array(isoDate)),
    TURNAROUND_BUSINESS_DAYS: positiveInt.default(14),
    SUPPORT_HOURS: z.string().trim().default(''),
    SUPPORT_TIMEZONE: z.string().trim().default('UTC'),
    HANDOFF_QUEUE_TIMEOUT_MINUTES: positiveInt.default(10),
    HANDOFF_EVENT_POLL_MS: positiveInt.default(100),
    NOTIFICATION_POLL_INTERVAL_MS: positiveInt.default(1_000),
    NOTIFICATION_MAX_ATTEMPTS: positiveInt.default(12),
    INSTANCE_ID: optionalString.pipe(
      z
        .string()
        .max(200)
        .regex(/^[\w.:/@-]+$/, 'letters, digits and . : / @ _ - only')
        .optional(),
    ),

    CLU_ENDPOINT: optionalString.pipe(httpUrl.optional()),
    CLU_KEY: optionalString,
    CLU_PROJECT_NAME: optionalString,
    CLU_DEPLOYMENT_NAME: optionalString,
    CLU_TIMEOUT_MS: positiveInt.default(2_500),

    DIRECTLINE_TOKEN_SECRET: optionalString.pipe(
      z.string().min(32, 'must be at least 32 characters (use a long random value)').optional(),
    ),
    DIRECTLINE_TOKEN_TTL_SECONDS: positiveInt.default(3_600),
    DIRECTLINE_TOKENS_PER_MINUTE: positiveInt.default(30),
    DIRECTLINE_TOKENS_PER_MINUTE_GLOBAL: positiveInt.default(300),
    DIRECTLINE_SESSION_MAX_HOURS: positiveInt.default(24),
    TRUSTED_PROXIES: trustedProxies,
    WEBCHAT_ALLOWED_ORIGINS: z
      .string()
      .trim()
      .default('')
      .transform((value) =>
        value
          .split(/[\s,]+/)
          .map((origin) => origin.replace(/\/+$/, ''))
          .filter((origin) => origin !== ''),
      )
      .pipe(z.array(z.string().regex(frameOrigin, 'must be origins such as https://www.example.com'))),
    WEBCHAT_MAX_MESSAGES: positiveInt.default(500),
    WEBCHAT_MAX_PHOTOS: positiveInt.default(20),
    WEBCHAT_MAX_UPLOAD_MB: positiveInt.default(40),
    RETENTION_TRANSCRIPT_DAYS: positiveInt.default(90),
    RETENTION_PHOTO_DAYS: positiveInt.default(30),
    RETENTION_STATE_DAYS: positiveInt.default(30),
    RETENTION_UNANSWERED_DAYS: positiveInt.default(180),
    AZURE_DIRECTLINE_SECRET: optionalString,
    AZURE_DIRECTLINE_ENDPOINT: httpUrl.default('https://directline.botframework.com'),

    TWILIO_ACCOUNT_SID: optionalString.pipe(
      z
        .string()
        .regex(/^AC[0-9a-fA-F]{32}$/, 'must be AC followed by 32 hex digits')
        .optional(),
    ),
    TWILIO_AUTH_TOKEN: optionalString,
    TWILIO_FROM_NUMBER: optionalString.pipe(
      z
        .string()
        .regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +14155550100')
        .optional(),
    ),
    TWILIO_MESSAGING_SERVICE_SID: optionalString.pipe(
      z
        .string()
        .regex(/^MG[0-9a-fA-F]{32}$/, 'must be MG followed by 32 hex digits')
        .optional(),
    ),
    TWILIO_API_BASE_URL: optionalString.pipe(httpUrl.optional()),
    TWILIO_TIMEOUT_MS: positiveInt.default(10_000),

    SMS_ID_SECRET: optionalString.pipe(
      z.string().min(32, 'must be at least 32 characters (use a long random value)').optional(),
    ),
    TICKET_LOOKUP_MAX_FAILURES: positiveInt.default(5),
    TICKET_LOOKUP_MAX_FAILURES_PER_TICKET: positiveInt.default(10),
    TICKET_LOOKUP_MAX_FAILURES_PER_IP: positiveInt.default(20),
    REGISTRATIONS_PER_CONVERSATION: positiveInt.default(3),
    REGISTRATIONS_PER_PHONE_PER_DAY: positiveInt.default(3),
    SMS_CONFIRM_NEW_NUMBERS: z.enum(['code', 'off']).default('code'),
  })
  .superRefine((env, ctx) => {
    try {
      SupportHours.parse(env.SUPPORT_HOURS, env.SUPPORT_TIMEZONE || 'UTC');
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        path: [
          env.SUPPORT_TIMEZONE && !IANAZone.isValidZone(env.SUPPORT_TIMEZONE)
            ? 'SUPPORT_TIMEZONE'
            : 'SUPPORT_HOURS',
        ],
        message: (error as Error).message,
      });
    }
    if (env.MicrosoftAppId && !env.MicrosoftAppPassword && env.MicrosoftAppType !== 'UserAssignedMSI') {
      ctx.addIssue({
        code: 'custom',
        path: ['MicrosoftAppPassword'],
        message: 'is required when MicrosoftAppId is set (unless MicrosoftAppType is UserAssignedMSI)',
      });
    }
    if (env.MicrosoftAppType === 'SingleTenant' && env.MicrosoftAppId && !env.MicrosoftAppTenantId) {
      ctx.addIssue({
        code: 'custom',
        path: ['MicrosoftAppTenantId'],
        message: 'is required when MicrosoftAppType is SingleTenant',
      });
    }
    const cluSettings = ['CLU_ENDPOINT', 'CLU_KEY', 'CLU_PROJECT_NAME', 'CLU_DEPLOYMENT_NAME'] as const;
    const cluSet = cluSettings.filter((name) => env[name] !== undefined);
    if (cluSet.length > 0 && cluSet.length < cluSettings.length) {
      for (const name of cluSettings.filter((candidate) => env[candidate] === undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `is required when any CLU setting is set (set all of ${cluSettings.join(', ')} or none)`,
        });
      }
    }
    if (env.TWILIO_ACCOUNT_SID) {
      if (!env.TWILIO_AUTH_TOKEN) {
        ctx.addIssue({
          code: 'custom',
          path: ['TWILIO_AUTH_TOKEN'],
          message: 'is required with TWILIO_ACCOUNT_SID',
        });
      }
      if (!env.TWILIO_FROM_NUMBER && !env.TWILIO_MESSAGING_SERVICE_SID) {
        ctx.addIssue({
          code: 'custom',
          path: ['TWILIO_FROM_NUMBER'],
          message: 'TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID is required with TWILIO_ACCOUNT_SID',
        });
      }
    }
    if (env.NODE_ENV === 'production' && !env.MicrosoftAppId && env.BOT_ENDPOINT === 'on') {
      ctx.addIssue({
        code: 'custom',
        path: ['MicrosoftAppId'],
        message:
          'is required in production while BOT_ENDPOINT is on: without it /api/messages would take unauthenticated activities (set BOT_ENDPOINT=off when no Azure Bot Service channel is used)',
      });
    }
    if (env.NODE_ENV === 'production' && env.TWILIO_ACCOUNT_SID && !env.PUBLIC_BASE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['PUBLIC_BASE_URL'],
        message: 'is required in production with Twilio: webhook signatures are computed over the public URL',
      });
    }
  });

export type Environment = z.input<typeof environmentSchema>;

/**
 * Which proxies' X-Forwarded-For to believe: `hops` proxies in front of us (0 = none: the socket
 * address is the client), or those whose addresses fall in `cidrs`.
 */
export type TrustedProxiesSetting = { readonly hops: number } | { readonly cidrs: readonly string[] };

/** The one typed configuration object; read once at start-up and passed to whoever needs it. */
export interface AppConfig {
  readonly env: 'development' | 'production' | 'test';
  readonly http: {
    readonly port: number;
    readonly host: string;
    /** Where the outside world reaches this service (Twilio signatures, Bot Connector serviceUrl). */
    readonly publicBaseUrl: string;
    readonly bodyLimitBytes: number;
    readonly shutdownTimeoutMs: number;
  };
  /** TRUSTED_PROXIES: when X-Forwarded-For names the client (see src/bot/http/clientAddress.ts). */
  readonly trustedProxies: TrustedProxiesSetting;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly store: {
    /** Unset → the embedded MongoDB-compatible store under `dataDir`. */
    readonly mongodbUri: string | undefined;
    readonly dataDir: string;
    /**
     * Set → the embedded store also listens on TCP here (for mongosh, Compass, other instances),
     * requiring the SCRAM-SHA-256 login kept in `dataDir`. Unset → the owner-only Unix socket alone.
     */
    readonly embeddedTcp: { readonly host: string; readonly port: number } | undefined;
    /**
     * Bytes of conversation/user state JSON kept in memory after this process wrote it, so the next
     * turn needs no read; 0 = off. Only sound while no other process writes the same state.
     */
    readonly stateCacheBytes: number;
  };
  readonly botAuth: {
    readonly MicrosoftAppId: string | undefined;
    readonly MicrosoftAppPassword: string | undefined;
    readonly MicrosoftAppType: 'MultiTenant' | 'SingleTenant' | 'UserAssignedMSI';
    readonly MicrosoftAppTenantId: string | undefined;
  };
  /**
   * POST /api/messages, for Bot Framework channels (Azure Bot Service, the Emulator). Off: the route
   * is not registered (web chat and SMS run in-process through their own adapters and need no route).
   */
  readonly botEndpoint: { readonly enabled: boolean };
  readonly backoffice: { readonly token: string | undefined };
  /** Agent console sign-in sessions: ended after `idleMinutes` without a request, and `maxHours` after sign-in whatever happens. */
  readonly agentSessions: { readonly idleMinutes: number; readonly maxHours: number };
  readonly repairs: { readonly holidays: readonly string[]; readonly turnaroundBusinessDays: number };
  /** Customer notifications (the tickets' outbox): how often to poll, and attempts before one is marked failed. */
  readonly notifications: { readonly pollIntervalMs: number; readonly maxAttempts: number };
  /**
   * Agent takeover: when the team answers (empty SUPPORT_HOURS: always), how long a customer waits
   * before the bot offers to carry on or take a message, how often instances poll the handoff bus.
   */
  readonly handoff: {
    readonly hours: SupportHours;
    readonly queueTimeoutMinutes: number;
    readonly eventPollMs: number;
  };
  /**
   * This process's name on the work it leases (outbox claims). Unique among live instances and the
   * same after a restart, so a restarted instance takes its own unfinished work back at once.
   */
  readonly instanceId: string;
  readonly clu:
    | {
        readonly endpoint: string;
        readonly key: string;
        readonly projectName: string;
        readonly deploymentName: string;
        readonly timeoutMs: number;
      }
    | undefined;
  readonly directLine: {
    /** Unset → a random secret generated once and kept in DATA_DIR (mode 0600), so dev tokens survive restarts. */
    readonly tokenSecret: string | undefined;
    readonly tokenTtlSeconds: number;
    /** New conversations (tokens) one client IP may start per minute. */
    readonly tokensPerMinute: number;
    /** New conversations all clients together may start per minute. */
    readonly tokensPerMinuteGlobal: number;
    /** A conversation's tokens stop working this long after it started; refresh can't extend it. */
    readonly sessionMaxHours: number;
    /** Set → the page gets tokens from Azure Direct Line instead of the local endpoint. */
    readonly azureSecret: string | undefined;
    /** Azure Direct Line base URL (regional endpoints differ; tests point it at a local fake). */
    readonly azureEndpoint: string;
  };
  readonly webChat: {
    /** Origins (besides this one) whose pages may frame /chat. */
    readonly allowedOrigins: readonly string[];
    /** Per conversation: messages from the customer, photos, and bytes of photos. */
    readonly maxMessages: number;
    readonly maxPhotos: number;
    readonly maxUploadBytes: number;
  };
  /** Days kept: web chat transcripts, photos not attached to a ticket, idle conversation state. */
  readonly retention: {
    readonly transcriptDays: number;
    readonly photoDays: number;
    readonly stateDays: number;
    /** Questions the bot could not answer (unanswered_questions), kept for content gaps. */
    readonly unansweredDays: number;
  };
  readonly twilio: {
    readonly accountSid: string | undefined;
    readonly authToken: string | undefined;
    readonly fromNumber: string | undefined;
    readonly messagingServiceSid: string | undefined;
    readonly apiBaseUrl: string | undefined;
    /** How long a call to Twilio's API may take before it counts as failed (in doubt for a send). */
    readonly timeoutMs: number;
  };
  readonly sms: {
    /** Unset → a random secret generated once into DATA_DIR; keys SMS conversation and user ids. */
    readonly idSecret: string | undefined;
    /**
     * 'code': a web chat registration with a number that never texted us is confirmed with a
     * one-time code sent to it first; 'off': the "registered" SMS goes to whatever number was typed.
     */
    readonly confirmNewNumbers: 'code' | 'off';
  };
  readonly abuse: {
    /** Failed ticket lookups per 15 minutes: per caller (conversation/number), per ticket number, per client IP. */
    readonly lookupFailuresPerCaller: number;
    readonly lookupFailuresPerTicket: number;
    readonly lookupFailuresPerClientAddress: number;
    readonly registrationsPerConversation: number;
    readonly registrationsPerPhonePerDay: number;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment once; throws ConfigError naming every bad variable and why. */
export function loadConfig(
  environment: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): AppConfig {
  const parsed = environmentSchema.safeParse(environment);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(environment)';
      return `${name}: ${issue.message}`;
    });
    throw new ConfigError(problems);
  }
  const env = parsed.data;
  const clu =
    env.CLU_ENDPOINT && env.CLU_KEY && env.CLU_PROJECT_NAME && env.CLU_DEPLOYMENT_NAME
      ? {
          endpoint: env.CLU_ENDPOINT,
          key: env.CLU_KEY,
          projectName: env.CLU_PROJECT_NAME,
          deploymentName: env.CLU_DEPLOYMENT_NAME,
          timeoutMs: env.CLU_TIMEOUT_MS,
        }
      : undefined;
  return {
    env: env.NODE_ENV,
    http: {
      port: env.PORT,
      host: env.HOST,
      publicBaseUrl: env.PUBLIC_BASE_URL ?? `http://localhost:${env.PORT}`,
      bodyLimitBytes: env.BODY_LIMIT_BYTES,
      shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    },
    trustedProxies: env.TRUSTED_PROXIES,
    logLevel: env.LOG_LEVEL,
    store: {
      mongodbUri: env.MONGODB_URI,
      dataDir: path.resolve(cwd, env.DATA_DIR),
      embeddedTcp:
        env.EMBEDDED_STORE_TCP_PORT === undefined
          ? undefined
          : { host: env.EMBEDDED_STORE_TCP_HOST, port: env.EMBEDDED_STORE_TCP_PORT },
      // auto: on with the embedded store (this process is its only client), off with a shared MongoDB.
      stateCacheBytes:
        env.STATE_CACHE === 'off' || (env.STATE_CACHE === 'auto' && env.MONGODB_URI)
          ? 0
          : env.STATE_CACHE_MB * 1024 * 1024,
    },
    botAuth: {
      MicrosoftAppId: env.MicrosoftAppId,
      MicrosoftAppPassword: env.MicrosoftAppPassword,
      MicrosoftAppType: env.MicrosoftAppType,
      MicrosoftAppTenantId: env.MicrosoftAppTenantId,
    },
    botEndpoint: { enabled: env.BOT_ENDPOINT === 'on' },
    backoffice: { token: env.BACKOFFICE_TOKEN },
    agentSessions: { idleMinutes: env.AGENT_SESSION_IDLE_MINUTES, maxHours: env.AGENT_SESSION_MAX_HOURS },
    repairs: { holidays: env.REPAIR_HOLIDAYS, turnaroundBusinessDays: env.TURNAROUND_BUSINESS_DAYS },
    handoff: {
      hours: SupportHours.parse(env.SUPPORT_HOURS, env.SUPPORT_TIMEZONE || 'UTC'),
      queueTimeoutMinutes: env.HANDOFF_QUEUE_TIMEOUT_MINUTES,
      eventPollMs: env.HANDOFF_EVENT_POLL_MS,
    },
    notifications: {
      pollIntervalMs: env.NOTIFICATION_POLL_INTERVAL_MS,
      maxAttempts: env.NOTIFICATION_MAX_ATTEMPTS,
    },
    // The embedded store has one process per data directory, so the directory names the instance
    // across restarts; with a shared MongoDB each replica needs its own (the host name by default).
    instanceId:
      env.INSTANCE_ID ?? (env.MONGODB_URI ? os.hostname() : `embedded:${path.resolve(cwd, env.DATA_DIR)}`),
    clu,
    directLine: {
      tokenSecret: env.DIRECTLINE_TOKEN_SECRET,
      tokenTtlSeconds: env.DIRECTLINE_TOKEN_TTL_SECONDS,
      tokensPerMinute: env.DIRECTLINE_TOKENS_PER_MINUTE,
      tokensPerMinuteGlobal: env.DIRECTLINE_TOKENS_PER_MINUTE_GLOBAL,
      sessionMaxHours: env.DIRECTLINE_SESSION_MAX_HOURS,
      azureSecret: env.AZURE_DIRECTLINE_SECRET,
      azureEndpoint: env.AZURE_DIRECTLINE_ENDPOINT,
    },
    webChat: {
      allowedOrigins: env.WEBCHAT_ALLOWED_ORIGINS,
      maxMessages: env.WEBCHAT_MAX_MESSAGES,
      maxPhotos: env.WEBCHAT_MAX_PHOTOS,
      maxUploadBytes: env.WEBCHAT_MAX_UPLOAD_MB * 1024 * 1024,
    },
    retention: {
      transcriptDays: env.RETENTION_TRANSCRIPT_DAYS,
      photoDays: env.RETENTION_PHOTO_DAYS,
      stateDays: env.RETENTION_STATE_DAYS,
      unansweredDays: env.RETENTION_UNANSWERED_DAYS,
    },
    twilio: {
      accountSid: env.TWILIO_ACCOUNT_SID,
      authToken: env.TWILIO_AUTH_TOKEN,
      fromNumber: env.TWILIO_FROM_NUMBER,
      messagingServiceSid: env.TWILIO_MESSAGING_SERVICE_SID,
      apiBaseUrl: env.TWILIO_API_BASE_URL,
      timeoutMs: env.TWILIO_TIMEOUT_MS,
    },
    sms: { idSecret: env.SMS_ID_SECRET, confirmNewNumbers: env.SMS_CONFIRM_NEW_NUMBERS },
    abuse: {
      lookupFailuresPerCaller: env.TICKET_LOOKUP_MAX_FAILURES,
      lookupFailuresPerTicket: env.TICKET_LOOKUP_MAX_FAILURES_PER_TICKET,
      lookupFailuresPerClientAddress: env.TICKET_LOOKUP_MAX_FAILURES_PER_IP,
      registrationsPerConversation: env.REGISTRATIONS_PER_CONVERSATION,
      registrationsPerPhonePerDay: env.REGISTRATIONS_PER_PHONE_PER_DAY,
    },
  };
}
