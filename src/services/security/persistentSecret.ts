import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../logging/logger';

export interface PersistentSecretOptions {
  /** The setting's value, when the operator chose one; used as is. */
  configured: string | undefined;
  /** The setting's name, for the log line and errors. */
  setting: string;
  dataDir: string;
  /** File name under dataDir. */
  file: string;
  logger: Logger;
}

/**
 * A secret from its setting, or else generated once into DATA_DIR (mode 0600) and reused on every
 * start, so what it keys (ids, tokens) stays stable across restarts. Several instances sharing a
 * database but not a DATA_DIR must set the setting instead.
 */
export async function resolvePersistentSecret(options: PersistentSecretOptions): Promise<string> {
  if (options.configured) return options.configured;
  const file = path.join(options.dataDir, options.file);
  const existing = await readSecret(file);
  if (existing) return existing;
  // DATA_DIR also holds the store's journal: owner only (see ensurePrivateDirectory).
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const secret = randomBytes(48).toString('base64url');
  try {
    await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    options.logger.info({ file }, `generated a secret (set ${options.setting} to choose one)`);
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
