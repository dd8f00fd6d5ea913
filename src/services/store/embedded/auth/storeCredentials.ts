import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Logger } from '../../../logging/logger';
import { ensurePrivateDirectory, PRIVATE_FILE_MODE } from '../privateDirectory';

export const STORE_CREDENTIALS_FILE = 'store-credentials.json';
const DEFAULT_USERNAME = 'carlinkit';

const credentialsSchema = z.object({
  username: z.string().min(1),
  password: z.string().min(24, 'must be at least 24 characters'),
});

/** The login TCP clients of the embedded store need (authSource `admin`, SCRAM-SHA-256). */
export interface StoreCredentials {
  readonly username: string;
  readonly password: string;
  /** Where they are kept (0600 in DATA_DIR), or null for an in-memory store's one-off login. */
  readonly file: string | null;
  /** True when generated just now: the one time the password may be shown (by `npm run db`). */
  readonly created: boolean;
}

/**
 * The embedded store's TCP login: read from `DATA_DIR/store-credentials.json`, or generated into it
 * (mode 0600) on first use. The password is kept, not only its SCRAM keys, so the operator who runs
 * the store can read it again (`cat`); anyone who could read the file could read the journal next
 * to it anyway. In memory (`dataDir` null) a fresh login is made for this run only.
 */
export async function loadOrCreateStoreCredentials(
  dataDir: string | null,
  logger: Logger,
): Promise<StoreCredentials> {
  if (dataDir === null) return { ...generate(), file: null, created: true };
  await ensurePrivateDirectory(dataDir, logger);
  const file = path.join(dataDir, STORE_CREDENTIALS_FILE);
  const existing = await read(file, logger);
  if (existing) return { ...existing, file, created: false };
  const credentials = generate();
  try {
    await fs.writeFile(file, `${JSON.stringify(credentials, null, 2)}\n`, {
      mode: PRIVATE_FILE_MODE,
      flag: 'wx',
    });
    return { ...credentials, file, created: true };
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const raced = await read(file, logger);
    if (!raced) throw error;
    return { ...raced, file, created: false };
  }
}

/** `mongodb://user:password@host:port/?authSource=admin&authMechanism=SCRAM-SHA-256`. */
export function uriWithCredentials(
  tcpUri: string,
  credentials: { username: string; password: string },
): string {
  const hosts = tcpUri.replace(/^mongodb:\/\//, '').replace(/\/$/, '');
  const user = `${encodeURIComponent(credentials.username)}:${encodeURIComponent(credentials.password)}`;
  return `mongodb://${user}@${hosts}/?authSource=admin&authMechanism=SCRAM-SHA-256`;
}

/**
 * 32 random bytes as base64url: 256 bits, and only `[A-Za-z0-9_-]`, which SASLprep leaves as it is
 * and a URI carries without escaping, so the password works pasted into any tool.
 */
function generate(): { username: string; password: string } {
  return { username: DEFAULT_USERNAME, password: randomBytes(32).toString('base64url') };
}

async function read(
  file: string,
  logger: Logger,
): Promise<{ username: string; password: string } | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const { mode } = await fs.stat(file);
  if ((mode & 0o077) !== 0) {
    await fs.chmod(file, PRIVATE_FILE_MODE);
    logger.warn(
      { file, was: `0${(mode & 0o777).toString(8)}` },
      'store credentials were readable by others; made them 0600',
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const result = credentialsSchema.safeParse(parsed);
  if (!result.success) {
    throw new Error(
      `${file} is not {"username": "…", "password": "…"} with a password of 24+ characters; fix it or delete it to generate a new login`,
    );
  }
  return result.data;
}
