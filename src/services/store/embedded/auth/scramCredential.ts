import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import saslprep from '@mongodb-js/saslprep';

/** MongoDB's default `scramSHA256IterationCount`; drivers refuse fewer than 4096. */
export const SCRAM_ITERATIONS = 15_000;
/** MongoDB's SCRAM-SHA-256 salt length (the digest length minus the 4-byte block counter). */
const SALT_BYTES = 28;

/**
 * What the server keeps to check a SCRAM-SHA-256 login (RFC 5802 §3, RFC 7677), as MongoDB keeps in
 * `admin.system.users`: never the password itself.
 */
export interface ScramCredential {
  readonly username: string;
  /** The database the user is defined in (the driver's `authSource`). */
  readonly source: string;
  readonly salt: Buffer;
  readonly iterations: number;
  /** H(HMAC(SaltedPassword, "Client Key")) */
  readonly storedKey: Buffer;
  /** HMAC(SaltedPassword, "Server Key") */
  readonly serverKey: Buffer;
}

/**
 * Derives the server-side keys from a password. The password is SASLprep'd first (RFC 4013), as
 * the mongodb driver does for SCRAM-SHA-256, so any password a client can send works here too.
 */
export function deriveScramCredential(
  username: string,
  password: string,
  options: { source?: string; iterations?: number; salt?: Buffer } = {},
): ScramCredential {
  const salt = options.salt ?? randomBytes(SALT_BYTES);
  const iterations = options.iterations ?? SCRAM_ITERATIONS;
  const saltedPassword = pbkdf2Sync(saslprep(password), salt, iterations, 32, 'sha256');
  const clientKey = hmac(saltedPassword, 'Client Key');
  return {
    username,
    source: options.source ?? 'admin',
    salt,
    iterations,
    storedKey: createHash('sha256').update(clientKey).digest(),
    serverKey: hmac(saltedPassword, 'Server Key'),
  };
}

export function hmac(key: Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text, 'utf8').digest();
}
