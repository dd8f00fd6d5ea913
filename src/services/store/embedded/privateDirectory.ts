import { promises as fs } from 'node:fs';
import type { Logger } from '../../logging/logger';

/** Owner only: the data directory holds every ticket, transcript and secret. */
export const PRIVATE_DIRECTORY_MODE = 0o700;
/** Owner read/write: every file the store writes (journal, snapshot, lock, credentials, socket). */
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Creates `dir` (and missing parents) with mode 0700, or tightens an existing one that other users
 * could enter or list: nothing but this service reads it, and a directory left at 0755 (as older
 * versions made it) let any local user read the journal. Tightening is logged once as a warning; a
 * directory this user may not chmod (not its owner) is only warned about, since the files in it are
 * 0600 anyway.
 */
export async function ensurePrivateDirectory(dir: string, logger: Logger): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
  const { mode } = await fs.stat(dir);
  const wider = mode & 0o077;
  if (wider === 0) return;
  const was = (mode & 0o777).toString(8);
  try {
    await fs.chmod(dir, PRIVATE_DIRECTORY_MODE);
    logger.warn({ dir, was: `0${was}`, now: '0700' }, 'data directory was open to other users; tightened it');
  } catch (error) {
    logger.warn(
      { dir, mode: `0${was}`, reason: (error as NodeJS.ErrnoException).code },
      'data directory is open to other users and could not be tightened; make it 0700',
    );
  }
}
