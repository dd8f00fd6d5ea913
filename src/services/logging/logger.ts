import pino, { type DestinationStream, type Logger } from 'pino';
import { redactValue } from './redact';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level: string;
  /** Where lines go; stdout by default. Tests pass a stream to assert on what was logged. */
  destination?: DestinationStream;
}

/** One JSON line per event; every field and message is passed through the personal-data redactor. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'carlinkit-support-bot' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => redactValue(object) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          // Redact the message string itself (e.g. "reply sent to +8613800138000").
          const redacted = args.map((arg) => (typeof arg === 'string' ? (redactValue(arg) as string) : arg));
          method.apply(this, redacted as Parameters<typeof method>);
        },
      },
      serializers: { err: (error: unknown) => redactValue(error) },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}
