import { z } from 'zod';

/** What EmbeddedMongoServer passes to its worker (workerData): plain, cloneable values only. */
export const workerOptionsSchema = z.object({
  dataDir: z.string().nullable(),
  tcp: z
    .object({
      host: z.string(),
      port: z.number().int().min(0).max(65535),
      username: z.string().min(1),
      password: z.string().min(1),
    })
    .optional(),
  cursorTimeoutMs: z.number().positive().optional(),
  ttlIntervalMs: z.number().positive().optional(),
  compactAfterBytes: z.number().positive().optional(),
  logLevel: z.string(),
});

export type WorkerOptions = z.infer<typeof workerOptionsSchema>;

/** Messages from the worker: started (with its Unix socket and TCP port, if any), failed, a log line, closed. */
export const workerMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), port: z.number().int().nullable(), socketPath: z.string() }),
  z.object({ type: z.literal('failed'), message: z.string() }),
  z.object({ type: z.literal('log'), line: z.string() }),
  z.object({ type: z.literal('closed') }),
]);

export type WorkerMessage = z.infer<typeof workerMessageSchema>;
