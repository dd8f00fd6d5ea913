import { ConversationAnalysisClient } from '@azure/ai-language-conversations';
import { AzureKeyCredential } from '@azure/core-auth';
import type { HttpClient } from '@azure/core-rest-pipeline';
import { z } from 'zod';
import type { AppConfig } from '../../config';
import type { Logger } from '../logging/logger';
import {
  ENTITY_KINDS,
  INTENTS,
  type EntityKind,
  type IntentName,
  type Recognition,
  type RecognizedEntity,
} from './recognizer';
import type { OfflineRecognizer } from './offlineRecognizer';
import type { Recognizer } from './recognizer';

export type CluSettings = NonNullable<AppConfig['clu']>;

/** CLU's prediction endpoint accepts at most 1,000 characters per utterance. */
export const CLU_MAX_CHARS = 1000;
/** The CLU project has its built-in "None" intent where we say "none" (see cluProject.ts). */
export const CLU_NONE_INTENT = 'None';

export interface CluRecognizerOptions {
  /** Below this CLU confidence the answer is "none" (CLU's own threshold is left at 0 in the export). */
  minConfidence?: number;
  /** Replaces the SDK's HTTP client: tests answer with recorded CLU responses, no network. */
  httpClient?: HttpClient;
}

// What we rely on in the SDK's (already deserialised) answer; anything else is treated as a failure.
const predictionSchema = z.object({
  kind: z.literal('ConversationResult'),
  result: z.object({
    query: z.string(),
    prediction: z.object({
      projectKind: z.literal('Conversation'),
      topIntent: z.string().optional(),
      intents: z.array(z.object({ category: z.string(), confidence: z.number().min(0).max(1) })),
      entities: z.array(
        z.object({
          category: z.string(),
          text: z.string(),
          offset: z.number().int().nonnegative(),
          length: z.number().int().positive(),
          confidence: z.number().min(0).max(1),
          extraInformation: z
            .array(z.object({ extraInformationKind: z.string(), key: z.string().optional() }).loose())
            .optional(),
        }),
      ),
    }),
  }),
});

type FailureReason = 'timeout' | 'http_error' | 'invalid_response' | 'network_error';

/**
 * Azure Conversational Language Understanding (CLU) through the official SDK. Intent names are the
 * same as ours (the project is exported from our corpus by `npm run clu:export`). When CLU fails,
 * is slow or answers nonsense, the offline recognizer answers instead (source "clu-fallback") and
 * one log line says why: the customer never waits more than `timeoutMs` for a CLU problem.
 */
export class CluRecognizer implements Recognizer {
  private readonly client: ConversationAnalysisClient;
  private readonly minConfidence: number;

  constructor(
    private readonly settings: CluSettings,
    private readonly fallback: OfflineRecognizer,
    private readonly logger: Logger,
    options: CluRecognizerOptions = {},
  ) {
    this.minConfidence = options.minConfidence ?? 0.5;
    this.client = new ConversationAnalysisClient(settings.endpoint, new AzureKeyCredential(settings.key), {
      apiVersion: '2023-04-01',
      // No retries: a second attempt would not fit in the time budget; the fallback answers instead.
      retryOptions: { maxRetries: 0 },
      ...(options.httpClient ? { httpClient: options.httpClient } : {}),
    });
  }

  async recognize(text: string): Promise<Recognition> {
    const query = text.slice(0, CLU_MAX_CHARS);
    if (query.trim() === '') return this.fallback.recognize(text);
    const started = performance.now();
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    // The abort signal cancels the HTTP request; the race also bounds the wait should a transport ignore it.
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abort.abort();
        reject(new Error('CLU request timed out'));
      }, this.settings.timeoutMs);
    });
    const call = this.client.analyzeConversation(
      {
        kind: 'Conversation',
        analysisInput: { conversationItem: { id: '1', participantId: 'customer', text: query } },
        parameters: { projectName: this.settings.projectName, deploymentName: this.settings.deploymentName },
      },
      { abortSignal: abort.signal },
    );
    call.catch(() => undefined); // a late failure after the timeout is already handled
    let raw: unknown;
    try {
      raw = await Promise.race([call, timeout]);
    } catch (error) {
      return this.fallBack(text, abort.signal.aborted ? 'timeout' : classify(error), started, error);
    } finally {
      clearTimeout(timer);
    }
    const parsed = predictionSchema.safeParse(raw);
    if (!parsed.success) return this.fallBack(text, 'invalid_response', started);
    return this.toRecognition(text, parsed.data.result.prediction);
  }

  private toRecognition(
    text: string,
    prediction: z.infer<typeof predictionSchema>['result']['prediction'],
  ): Recognition {
    const ranked = prediction.intents
      .map((intent) => ({ intent: toIntent(intent.category), confidence: intent.confidence }))
      .filter((entry): entry is { intent: IntentName; confidence: number } => entry.intent !== undefined)
      .sort((a, b) => b.confidence - a.confidence);
    const topCategory = prediction.topIntent ?? prediction.intents[0]?.category ?? CLU_NONE_INTENT;
    const top = toIntent(topCategory);
    const topConfidence =
      prediction.intents.find((intent) => intent.category === topCategory)?.confidence ?? 0;
    // An intent we do not know (a renamed or extra intent in the cloud project) or a weak guess is "none".
    const intent: IntentName = top !== undefined && topConfidence >= this.minConfidence ? top : 'none';
    const confidence =
      intent === top
        ? topConfidence
        : Math.max(1 - topConfidence, ranked.find((entry) => entry.intent === 'none')?.confidence ?? 0);
    const alternatives = ranked
      .filter((entry) => entry.intent !== intent && entry.intent !== 'none' && entry.confidence >= 0.05)
      .slice(0, 3)
      .map((entry) => ({ intent: entry.intent, confidence: round(entry.confidence) }));
    return {
      text,
      intent,
      confidence: round(confidence),
      alternatives,
      entities: this.entities(text, prediction.entities),
      source: 'clu',
    };
  }

  /** CLU's entities in our kinds and canonical values, completed by our own patterns (tickets, phones…). */
  private entities(
    text: string,
    cluEntities: z.infer<typeof predictionSchema>['result']['prediction']['entities'],
  ): RecognizedEntity[] {
    const local = this.fallback.extractEntities(text);
    const out: RecognizedEntity[] = [];
    for (const entity of cluEntities) {
      const kind = ENTITY_KINDS.find((candidate) => candidate === entity.category);
      const end = entity.offset + entity.length;
      if (!kind || end > text.length) continue;
      const spanText = text.slice(entity.offset, end);
      const listKey = entity.extraInformation?.find((info) => info.extraInformationKind === 'ListKey')?.key;
      const ours = local.find(
        (candidate) => candidate.kind === kind && candidate.start < end && entity.offset < candidate.end,
      );
      const value = canonical(kind, ours?.value ?? listKey ?? spanText, this.fallback);
      out.push({ kind, text: spanText, value, start: entity.offset, end });
    }
    for (const entity of local) {
      if (!out.some((other) => entity.start < other.end && other.start < entity.end)) out.push(entity);
    }
    return out.sort((a, b) => a.start - b.start);
  }

  private async fallBack(
    text: string,
    reason: FailureReason,
    started: number,
    error?: unknown,
  ): Promise<Recognition> {
    const status = (error as { statusCode?: unknown } | undefined)?.statusCode;
    const code = (error as { code?: unknown } | undefined)?.code;
    // Reason, status and timing only: the customer's text may hold personal data.
    this.logger.warn(
      {
        reason,
        status: typeof status === 'number' ? status : undefined,
        code: typeof code === 'string' ? code : undefined,
        ms: Math.round(performance.now() - started),
      },
      'CLU recognition failed; the offline recognizer answered',
    );
    const offline = await this.fallback.recognize(text);
    return { ...offline, source: 'clu-fallback' };
  }
}

function toIntent(category: string): IntentName | undefined {
  if (category === CLU_NONE_INTENT) return 'none';
  return INTENTS.find((intent) => intent === category);
}

/** Canonical value for a CLU entity whose text our extractor did not recognise itself. */
function canonical(kind: EntityKind, value: string, offline: OfflineRecognizer): string {
  if (kind === 'ticket_number' || kind === 'email' || kind === 'phone') {
    return offline.extractEntities(value).find((entity) => entity.kind === kind)?.value ?? value;
  }
  return value;
}

function classify(error: unknown): FailureReason {
  const restError = error as { statusCode?: unknown; code?: unknown };
  if (restError.code === 'PARSE_ERROR') return 'invalid_response';
  if (typeof restError.statusCode === 'number') return 'http_error';
  return 'network_error';
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
