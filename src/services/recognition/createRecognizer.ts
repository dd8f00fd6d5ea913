import type { HttpClient } from '@azure/core-rest-pipeline';
import type { AppConfig } from '../../config';
import type { ProductCatalogue } from '../knowledge/productCatalogue';
import type { Logger } from '../logging/logger';
import { CluRecognizer } from './cluRecognizer';
import { OfflineRecognizer } from './offlineRecognizer';
import type { Recognizer } from './recognizer';

export interface CreateRecognizerOptions {
  /** The product catalogue already loaded by the app (else the data file is read again). */
  catalogue?: ProductCatalogue;
  /** For tests: answers CLU requests without network. */
  cluHttpClient?: HttpClient;
}

/**
 * The recognizer the bot uses: CLU with the offline recognizer as its fallback when CLU is
 * configured (all four CLU_* settings), the offline recognizer alone otherwise.
 */
export function createRecognizer(
  config: AppConfig,
  logger: Logger,
  options: CreateRecognizerOptions = {},
): Recognizer {
  const offline = OfflineRecognizer.create({
    logger,
    ...(options.catalogue ? { catalogue: options.catalogue } : {}),
  });
  if (!config.clu) {
    logger.info({ recognizer: 'offline' }, 'intent recognition: offline (CLU not configured)');
    return offline;
  }
  logger.info(
    {
      recognizer: 'clu',
      project: config.clu.projectName,
      deployment: config.clu.deploymentName,
      timeoutMs: config.clu.timeoutMs,
    },
    'intent recognition: CLU with offline fallback',
  );
  return new CluRecognizer(
    config.clu,
    offline,
    logger,
    options.cluHttpClient ? { httpClient: options.cluHttpClient } : {},
  );
}
