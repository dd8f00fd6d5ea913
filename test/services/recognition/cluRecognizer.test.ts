import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  createHttpHeaders,
  RestError,
  type HttpClient,
  type PipelineRequest,
  type PipelineResponse,
} from '@azure/core-rest-pipeline';
import { projectPath } from '../../../src/services/projectPath';
import { CluRecognizer, type CluSettings } from '../../../src/services/recognition/cluRecognizer';
import { OfflineRecognizer } from '../../../src/services/recognition/offlineRecognizer';
import { memoryLogger } from '../../support/silentLogger';

const SETTINGS: CluSettings = {
  endpoint: 'https://carlinkit-lang.cognitiveservices.azure.com',
  key: 'test-key-0123456789abcdef',
  projectName: 'carlinkit-support',
  deploymentName: 'production',
  timeoutMs: 300,
};

function fixture(name: string): string {
  return readFileSync(projectPath('test/fixtures/nlu/clu', name), 'utf8');
}

function bodyOf(request: PipelineRequest | undefined): string {
  assert.equal(typeof request?.body, 'string', 'the SDK sends the JSON body as a string');
  return request?.body as string;
}

type Answer = { status: number; body: string } | 'hang' | 'network-error';

/** Stands in for the network under the SDK's real client: records each request, answers as told. */
class RecordedClu implements HttpClient {
  readonly requests: PipelineRequest[] = [];
  constructor(private readonly answer: Answer) {}

  sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
    this.requests.push(request);
    const answer = this.answer;
    if (answer === 'network-error')
      return Promise.reject(new RestError('connect ECONNREFUSED', { code: 'ECONNREFUSED', request }));
    if (answer === 'hang') {
      // Like a real socket: nothing until the caller aborts.
      return new Promise((_, reject) => {
        request.abortSignal?.addEventListener('abort', () =>
          reject(new RestError('The operation was aborted.', { code: 'REQUEST_SEND_ERROR', request })),
        );
      });
    }
    return Promise.resolve({
      request,
      status: answer.status,
      headers: createHttpHeaders({
        'content-type': 'application/json; charset=utf-8',
        'apim-request-id': 'f3c1a6e2-0000-4a5b-9c1d-000000000001',
      }),
      bodyAsText: answer.body,
    });
  }
}

describe('CluRecognizer', () => {
  let offline: OfflineRecognizer;

  before(() => {
    offline = OfflineRecognizer.create();
  });

  function cluWith(answer: Answer, settings: CluSettings = SETTINGS) {
    const http = new RecordedClu(answer);
    const { logger, lines } = memoryLogger();
    return { clu: new CluRecognizer(settings, offline, logger, { httpClient: http }), http, lines };
  }

  it('sends one analyze-conversations request with the key, API version, project and deployment', async () => {
    const { clu, http } = cluWith({ status: 200, body: fixture('none.json') });

    await clu.recognize('whats the weather in berlin');

    assert.equal(http.requests.length, 1);
    const [request] = http.requests;
    assert.equal(request?.method, 'POST');
    assert.equal(request?.url, `${SETTINGS.endpoint}/language/:analyze-conversations?api-version=2023-04-01`);
    assert.equal(request?.headers.get('ocp-apim-subscription-key'), SETTINGS.key);
    assert.deepEqual(JSON.parse(bodyOf(request)), {
      kind: 'Conversation',
      analysisInput: {
        conversationItem: { id: '1', participantId: 'customer', text: 'whats the weather in berlin' },
      },
      parameters: { projectName: 'carlinkit-support', deploymentName: 'production' },
    });
  });

  it('when CLU answers, its top intent, confidence, runners-up and entities become the recognition', async () => {
    const { clu } = cluWith({ status: 200, body: fixture('connection-with-entities.json') });
    const text = 'my 2air wont connect in my VW Golf, ticket ck-7f3k29q';

    const recognition = await clu.recognize(text);

    assert.equal(recognition.source, 'clu');
    assert.equal(recognition.intent, 'troubleshoot_connection');
    assert.equal(recognition.confidence, 0.912);
    assert.deepEqual(recognition.alternatives, [
      { intent: 'repair_request', confidence: 0.437 },
      { intent: 'ticket_status', confidence: 0.386 },
    ]);
    // CLU's list entities carry our canonical values; the ticket CLU missed comes from our own patterns.
    assert.deepEqual(
      recognition.entities.map(({ kind, text: written, value, start, end }) => ({
        kind,
        written,
        value,
        start,
        end,
      })),
      [
        { kind: 'product_model', written: '2air', value: '2air', start: 3, end: 7 },
        { kind: 'car_make', written: 'VW', value: 'Volkswagen', start: 27, end: 29 },
        { kind: 'ticket_number', written: 'ck-7f3k29q', value: 'CK-7F3K29Q', start: 43, end: 53 },
      ],
    );
  });

  it('when CLU picks its built-in None intent, the recognition is none', async () => {
    const { clu } = cluWith({ status: 200, body: fixture('none.json') });

    const recognition = await clu.recognize('whats the weather in berlin');

    assert.equal(recognition.intent, 'none');
    assert.equal(recognition.confidence, 0.881);
    assert.equal(recognition.source, 'clu');
  });

  it('when CLU is unsure (below 0.5), the recognition is none with its guesses as alternatives', async () => {
    const { clu } = cluWith({ status: 200, body: fixture('low-confidence.json') });

    const recognition = await clu.recognize('the thing is doing the thing again');

    assert.equal(recognition.intent, 'none');
    assert.deepEqual(
      recognition.alternatives.map((alternative) => alternative.intent),
      ['troubleshoot_power', 'troubleshoot_connection'],
    );
  });

  it('when CLU returns an intent this bot does not know, the recognition is none', async () => {
    const { clu } = cluWith({ status: 200, body: fixture('unknown-intent.json') });

    const recognition = await clu.recognize('do you have a black friday sale');

    assert.equal(recognition.intent, 'none');
    assert.ok(
      recognition.alternatives.every((alternative) => alternative.intent !== ('presales_discount' as string)),
    );
  });

  const failures: Array<{ name: string; answer: Answer; reason: string; status?: number }> = [
    {
      name: 'an HTTP 500',
      answer: { status: 500, body: fixture('error-500.json') },
      reason: 'http_error',
      status: 500,
    },
    {
      name: 'an HTTP 401 (wrong key)',
      answer: { status: 401, body: fixture('error-401.json') },
      reason: 'http_error',
      status: 401,
    },
    {
      name: 'an HTTP 404 (unknown deployment)',
      answer: { status: 404, body: fixture('error-404-deployment.json') },
      reason: 'http_error',
      status: 404,
    },
    {
      name: 'malformed JSON',
      answer: { status: 200, body: '{"kind":"ConversationResult","result":{' },
      reason: 'invalid_response',
    },
    {
      name: 'JSON of another shape',
      answer: { status: 200, body: '{"kind":"ConversationResult","result":{"query":"x"}}' },
      reason: 'invalid_response',
    },
    { name: 'a refused connection', answer: 'network-error', reason: 'network_error' },
    { name: 'no answer within the timeout', answer: 'hang', reason: 'timeout' },
  ];
  for (const { name, answer, reason, status } of failures) {
    it(`when CLU fails with ${name}, the offline recognizer answers (clu-fallback) and one log line says why, without the message`, async () => {
      const { clu, http, lines } = cluWith(answer);
      const text = 'wont conect to my iphone, call me on +44 7700 900123';
      const started = performance.now();

      const recognition = await clu.recognize(text);

      assert.equal(http.requests.length, 1, 'no retry');
      assert.ok(performance.now() - started < SETTINGS.timeoutMs + 500);
      assert.equal(recognition.source, 'clu-fallback');
      assert.equal(recognition.intent, 'troubleshoot_connection');
      assert.deepEqual(
        recognition.entities.map((entity) => entity.value),
        ['+447700900123'],
      );
      const warnings = lines
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line.level === 'warn');
      assert.equal(warnings.length, 1);
      assert.equal(warnings[0]?.reason, reason);
      if (status !== undefined) assert.equal(warnings[0]?.status, status);
      assert.ok(
        !lines.join('\n').includes('iphone') && !lines.join('\n').includes('7700'),
        'no customer text in the log',
      );
    });
  }

  it('when the message is longer than CLU accepts, it sends the first 1,000 characters', async () => {
    const { clu, http } = cluWith({ status: 200, body: fixture('none.json') });

    await clu.recognize('a'.repeat(5000));

    const body = JSON.parse(bodyOf(http.requests[0])) as {
      analysisInput: { conversationItem: { text: string } };
    };
    assert.equal(body.analysisInput.conversationItem.text.length, 1000);
  });

  it('when the message is empty, it answers offline without calling CLU', async () => {
    const { clu, http } = cluWith({ status: 200, body: fixture('none.json') });

    const recognition = await clu.recognize('  ');

    assert.equal(http.requests.length, 0);
    assert.equal(recognition.intent, 'none');
  });
});
