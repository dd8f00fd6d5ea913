import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../../services/logging/logger';

export const TOKEN_SECRET_FILE = 'directline-token-secret';

/**
 * DIRECTLINE_TOKEN_SECRET when set; otherwise a random secret generated once and kept in DATA_DIR
 * (mode 0600), so tokens held by open pages stay valid across restarts in development.
 */
export async function resolveTokenSecret(
  configured: string | undefined,
  dataDir: string,
  logger: Logger,
): Promise<string> {
  if (configured) return configured;
  const file = path.join(dataDir, TOKEN_SECRET_FILE);
  const existing = await readSecret(file);
  if (existing) return existing;
  // DATA_DIR also holds the store's journal: owner only (see ensurePrivateDirectory).
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const secret = randomBytes(48).toString('base64url');
  try {
    await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    logger.info({ file }, 'generated a Direct Line token secret (set DIRECTLINE_TOKEN_SECRET to choose one)');
    return secret;
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      const raced = await readSecret(file);
      if (raced) return raced;
    }
    throw error;
  }
}

async function readSecret(file: string): Promise<string | undefined> {
  try {
    const text = (await readFile(file, 'utf8')).trim();
    if (text.length < 32)
      throw new Error(`${file} holds a secret shorter than 32 characters; delete it to generate a new one`);
    return text;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
