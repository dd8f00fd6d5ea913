import { Binary } from 'bson';
import { z } from 'zod';
import { bsonNumber, command, parseCommand } from './commandArgs';
import type { CommandHandler } from './commandContext';

/** SASL payloads travel as BSON binary (the driver) or, from older tools, as a string. */
const payload = z
  .union([z.instanceof(Binary), z.string()])
  .transform((value) =>
    typeof value === 'string'
      ? value
      : Buffer.from(value.buffer.subarray(0, value.position)).toString('utf8'),
  );

const saslStartSchema = command({ mechanism: z.string(), payload });
const saslContinueSchema = command({ conversationId: bsonNumber, payload });

/** saslStart: begins a SCRAM-SHA-256 login (see ConnectionAuth). */
export const saslStart: CommandHandler = (body, context) => {
  const args = parseCommand(saslStartSchema, body, 'saslStart');
  const reply = context.connection.auth.start(context.db, args.mechanism, args.payload);
  return {
    conversationId: reply.conversationId,
    done: false,
    payload: new Binary(Buffer.from(reply.payload, 'utf8')),
    ok: 1,
  };
};

/**
 * saslContinue: checks the client's proof and answers with the server's signature, done at once
 * (what MongoDB does for clients that ask for `skipEmptyExchange`, as every current driver does).
 */
export const saslContinue: CommandHandler = (body, context) => {
  const args = parseCommand(saslContinueSchema, body, 'saslContinue');
  const reply = context.connection.auth.continue(args.conversationId, args.payload);
  return {
    conversationId: reply.conversationId,
    done: true,
    payload: new Binary(Buffer.from(reply.payload, 'utf8')),
    ok: 1,
  };
};
