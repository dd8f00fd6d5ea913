import type { Activity } from 'botbuilder';
import { UnavailableError } from '../../../services/errors';
import { KeyedSerialQueue } from '../../../services/concurrency/keyedSerialQueue';
import type { Logger } from '../../../services/logging/logger';

/** What the Direct Line endpoint knew about the request that brought an activity (not stored with it). */
export interface TurnOrigin {
  /** The client's address as the endpoint saw it. */
  clientAddress?: string;
}

/**
 * Runs the bot's turns for web chat activities after the HTTP POST has been answered (Web Chat
 * gives up on a POST after 20 s; a turn may wait on CLU or the store). One conversation's turns run
 * in arrival order and never two at once; other conversations are not held up.
 */
export class DirectLineTurns {
  private readonly queue = new KeyedSerialQueue();
  private open = true;

  constructor(
    private readonly runTurn: (activity: Partial<Activity>, origin: TurnOrigin) => Promise<void>,
    private readonly logger: Logger,
  ) {}

  /** Throws UnavailableError once draining has begun, so the caller stores nothing it cannot answer. */
  assertAccepting(): void {
    if (!this.open)
      throw new UnavailableError(
        'The chat service is restarting; please send your message again in a moment.',
      );
  }

  enqueue(activity: Partial<Activity>, origin: TurnOrigin = {}): void {
    this.assertAccepting();
    const conversationId = activity.conversation?.id ?? '';
    this.queue
      .run(conversationId, () => this.runTurn(activity, origin))
      .catch((error: unknown) =>
        this.logger.error(
          { err: error, conversationId, activityType: activity.type },
          'web chat turn failed',
        ),
      );
  }

  get pending(): number {
    return this.queue.activeKeys;
  }

  /** Refuses new turns and waits (up to timeoutMs) for those queued; false if some were still running. */
  async drain(timeoutMs: number): Promise<boolean> {
    this.open = false;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([this.queue.idle().then(() => true as const), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }
}
