import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  createHttpHeaders,
  type HttpClient,
  type PipelineRequest,
  type PipelineResponse,
} from '@azure/core-rest-pipeline';
import { loadConfig } from '../../../src/config';
import { projectPath } from '../../../src/services/projectPath';
import { createRecognizer } from '../../../src/services/recognition/createRecognizer';
import { memoryLogger } from '../../support/silentLogger';

describe('createRecognizer', () => {
  it('when CLU is not configured, it returns the offline recognizer', async () => {
    const { logger } = memoryLogger();

    const recognizer = createRecognizer(loadConfig({ NODE_ENV: 'test' }), logger);

    const recognition = await recognizer.recognize('how long is the warranty');
    assert.equal(recognition.source, 'offline');
    assert.equal(recognition.intent, 'faq_warranty');
  });

  it('when CLU is configured, it asks CLU, and falls back to offline when CLU fails', async () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      CLU_ENDPOINT: 'https://carlinkit-lang.cognitiveservices.azure.com/',
      CLU_KEY: 'test-key',
      CLU_PROJECT_NAME: 'carlinkit-support',
      CLU_DEPLOYMENT_NAME: 'production',
      CLU_TIMEOUT_MS: '500',
    });
    let status = 200;
    const cluHttpClient: HttpClient = {
      sendRequest: (request: PipelineRequest): Promise<PipelineResponse> =>
        Promise.resolve({
          request,
          status,
          headers: createHttpHeaders({ 'content-type': 'application/json' }),
          bodyAsText:
            status === 200
              ? readFileSync(projectPath('test/fixtures/nlu/clu/none.json'), 'utf8')
              : readFileSync(projectPath('test/fixtures/nlu/clu/error-500.json'), 'utf8'),
        }),
    };
    const { logger } = memoryLogger();
    const recognizer = createRecognizer(config, logger, { cluHttpClient });

    assert.equal((await recognizer.recognize('whats the weather in berlin')).source, 'clu');
    status = 500;
    const fallback = await recognizer.recognize('how long is the warranty');
    assert.equal(fallback.source, 'clu-fallback');
    assert.equal(fallback.intent, 'faq_warranty');
  });
});
