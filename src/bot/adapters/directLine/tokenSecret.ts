import type { Logger } from '../../../services/logging/logger';
import { resolvePersistentSecret } from '../../../services/security/persistentSecret';

export const TOKEN_SECRET_FILE = 'directline-token-secret';

/**
 * DIRECTLINE_TOKEN_SECRET when set; otherwise a random secret generated once and kept in DATA_DIR
 * (mode 0600), so tokens held by open pages stay valid across restarts in development.
 */
export function resolveTokenSecret(
  configured: string | undefined,
  dataDir: string,
  logger: Logger,
): Promise<string> {
  return resolvePersistentSecret({
    configured,
    setting: 'DIRECTLINE_TOKEN_SECRET',
    dataDir,
    file: TOKEN_SECRET_FILE,
    logger,
  });
}
