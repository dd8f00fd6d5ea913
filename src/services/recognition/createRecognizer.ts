import type { HttpClient } from '@azure/core-rest-pipeline';
import type { AppConfig } from '../../config';
import type { ProductCatalogue } from '../knowledge/productCatalogue';
import type { Logger } from '../logging/logger';
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
 * configured (all four CLU_* settings), the offline recognizer alone otherwise. The CLU client
 * (the Azure SDK, about 3.5 MB of heap) is only loaded when CLU is configured.
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
  // Required here rather than imported at the top, so an offline-only bot never loads the Azure SDK.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { CluRecognizer } = require('./cluRecognizer') as typeof import('./cluRecognizer');
  return new CluRecognizer(
    config.clu,
    offline,
    logger,
    options.cluHttpClient ? { httpClient: options.cluHttpClient } : {},
  );
}
