import { randomUUID } from 'node:crypto';
import type { Logger } from '../logging/logger';
import { systemClock, type Clock } from '../tickets/clock';
import type { ClaimedNotification, NotificationOutbox } from './notificationOutbox';
import { SmsSendError, type SmsSender } from './smsSender';

export interface DispatcherOptions {
  /** How often to look for due notifications when idle (default 1 s). */
  pollIntervalMs?: number;
  /** Notifications claimed per poll (default 20). */
  batchSize?: number;
  /** Sends in flight at once (default 4). */
  concurrency?: number;
  /**
   * How long a claim lasts unless renewed (default 30 s): how long another instance waits before
   * taking over the work of one that died and did not come back.
   */
  leaseMs?: number;
  /** How often the leases of claims still being worked on are renewed (default leaseMs / 3). */
  renewEveryMs?: number;
  /** Attempts before a notification is marked failed (default 12: with the defaults below, about 4 hours). */
  maxAttempts?: number;
  /** First retry delay (default 10 s), doubled per attempt up to backoffMaxMs (default 1 h). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** 0 ≤ x < 1; injectable so tests can pin the jitter. */
  random?: () => number;
  clock?: Clock;
  /**
   * The instance id on this dispatcher's claims (default a random id per process). Give a live
   * instance an id no other live instance has, and the same id again when it restarts: it then
   * reclaims at once what its previous life held when it died (config INSTANCE_ID).
   */
  owner?: string;
}

export interface DispatcherDeps {
  outbox: NotificationOutbox;
  sms: SmsSender;
  logger: Logger;
}

export type DeliveryOutcome = 'sent' | 'retrying' | 'failed' | 'suppressed' | 'released';

/** What became of one delivery: the provider's id when sent, the error when not. */
export interface DeliveryResult {
  outcome: DeliveryOutcome;
  providerMessageId?: string;
  error?: SmsSendError;
}

export interface DispatchReport {
  claimed: number;
  sent: number;
  retrying: number;
  failed: number;
  suppressed: number;
  released: number;
}

/**
 * Delivers the customers' notifications from the outbox. Claims are leases written atomically, so
 * several instances can run one each; a delivery is recorded as sent with the provider's id, so a
 * restart never sends it again; a failing provider only delays notifications (exponential backoff
 * with jitter per notification) until `maxAttempts`, after which the notification is marked failed,
 * stays visible in the back office and can be re-queued; while SMS is not configured at all
 * ('not_configured') notifications wait without ever failing. An opted-out recipient is suppressed.
 * Logs carry the ticket number and the reason, never the phone number or the text.
 */
export class NotificationDispatcher {
  readonly name = 'notification-dispatcher';
  private readonly options: Required<Omit<DispatcherOptions, 'random' | 'clock' | 'owner'>>;
  private readonly random: () => number;
  private readonly clock: Clock;
  readonly owner: string;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private started = false;
  private stopping = false;

  constructor(
    private readonly deps: DispatcherDeps,
    options: DispatcherOptions = {},
  ) {
    this.options = {
      pollIntervalMs: options.pollIntervalMs ?? 1_000,
      batchSize: options.batchSize ?? 20,
      concurrency: options.concurrency ?? 4,
      leaseMs: options.leaseMs ?? 30_000,
      renewEveryMs: options.renewEveryMs ?? Math.max(1, Math.floor((options.leaseMs ?? 30_000) / 3)),
      maxAttempts: options.maxAttempts ?? 12,
      backoffBaseMs: options.backoffBaseMs ?? 10_000,
      backoffMaxMs: options.backoffMaxMs ?? 3_600_000,
    };
    this.random = options.random ?? Math.random;
    this.clock = options.clock ?? systemClock;
    this.owner = options.owner ?? `dispatcher-${randomUUID()}`;
  }

  /** How long a claim by this dispatcher lasts unless renewed. */
  get leaseMs(): number {
    return this.options.leaseMs;
  }

  /**
   * Starts polling, after reclaiming what this instance id held when it last stopped without
   * finishing (a crash); a no-op when already started.
   */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.stopping = false;
    this.running = this.recover()
      .catch((error: unknown) => {
        // Not fatal: those claims are taken over when their leases run out.
        this.deps.logger.error({ err: error }, 'notification dispatch: reclaiming own claims failed');
      })
      .then(() => {
        this.running = undefined;
        this.schedule(0);
      });
  }

  /** Makes this instance id's leftover claims due now. Public for tests; start() calls it. */
  async recover(): Promise<number> {
    const reclaimed = await this.deps.outbox.reclaim(this.owner, this.clock.now());
    if (reclaimed > 0)
      this.deps.logger.info(
        { reclaimed, owner: this.owner },
        'notification dispatch: reclaimed own claims after a restart',
      );
    return reclaimed;
  }

  /** Stops polling and waits for the sends in flight to finish and be recorded. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One poll: claims a batch of due notifications and delivers them. Public for tests and benchmarks. */
  async runOnce(): Promise<DispatchReport> {
    const report: DispatchReport = {
      claimed: 0,
      sent: 0,
      retrying: 0,
      failed: 0,
      suppressed: 0,
      released: 0,
    };
    const claimed = await this.deps.outbox.claimDue({
      now: this.clock.now(),
      leaseMs: this.options.leaseMs,
      owner: this.owner,
      limit: this.options.batchSize,
    });
    report.claimed = claimed.length;
    if (claimed.length === 0) return report;
    // Still alive and working: keep our leases, so no other instance takes these over meanwhile.
    const unfinished = new Set(claimed);
    const renewal = setInterval(() => {
      const held = [...unfinished];
      if (held.length === 0) return;
      const until = new Date(this.clock.now().getTime() + this.options.leaseMs);
      this.deps.outbox.renew(held, until).catch((error: unknown) => {
        this.deps.logger.warn({ err: error }, 'notification dispatch: lease renewal failed');
      });
    }, this.options.renewEveryMs);
    renewal.unref();
    // One queue per recipient whose messages must keep their order (replies); others alone.
    const groups = new Map<string, ClaimedNotification[]>();
    for (const notification of claimed) {
      const key = notification.orderKey ?? `id:${notification.id}`;
      const group = groups.get(key);
      if (group) group.push(notification);
      else groups.set(key, [notification]);
    }
    const queue = [...groups.values()];
    const worker = async (): Promise<void> => {
      for (let group = queue.shift(); group; group = queue.shift()) {
        let blocked = false;
        for (const next of group) {
          if (this.stopping || blocked) {
            // Shutting down, or an earlier message to the same recipient must go first: hand it
            // back untried rather than hold it until the lease runs out.
            await this.deps.outbox.release(next, this.clock.now());
            unfinished.delete(next);
            report.released += 1;
            continue;
          }
          const { outcome } = await this.deliver(next);
          report[outcome] += 1;
          unfinished.delete(next);
          if (outcome === 'retrying') blocked = true;
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(this.options.concurrency, groups.size) }, worker));
    } finally {
      clearInterval(renewal);
    }
    return report;
  }

  /** Delay before attempt `attempts + 1`: base·2^(attempts−1), capped, with jitter in [50 %, 100 %]. */
  backoffMs(attempts: number): number {
    const exponential = Math.min(
      this.options.backoffMaxMs,
      this.options.backoffBaseMs * 2 ** Math.max(0, attempts - 1),
    );
    return Math.round(exponential * (0.5 + this.random() * 0.5));
  }

  /**
   * Delivers claims made by the caller itself (a message it just enqueued leased to this owner),
   * in order, without waiting for a poll. After a temporary failure the rest are handed back, so
   * the dispatcher later sends them in order; what did not go out stays in the outbox either way.
   */
  async deliverNow(claimed: readonly ClaimedNotification[]): Promise<DeliveryResult[]> {
    const results: DeliveryResult[] = [];
    let blocked = false;
    for (const notification of claimed) {
      if (blocked || this.stopping) {
        await this.deps.outbox.release(notification, this.clock.now());
        results.push({ outcome: 'released' });
        continue;
      }
      const result = await this.deliver(notification);
      results.push(result);
      if (result.outcome === 'retrying') blocked = true;
    }
    return results;
  }

  private async deliver(
    notification: ClaimedNotification,
  ): Promise<DeliveryResult & { outcome: Exclude<DeliveryOutcome, 'released'> }> {
    const log = {
      kind: notification.kind,
      ticketNumber: notification.ticketNumber,
      notificationId: notification.id,
      event: notification.event,
      attempts: notification.attempts,
    };
    let providerMessageId: string;
    try {
      ({ providerMessageId } = await this.deps.sms.send({
        to: notification.to,
        body: notification.body,
        idempotencyKey: notification.id,
        ...(notification.compliance || notification.fresh ? { skipOptOutCheck: true } : {}),
        ...(notification.fresh && notification.attempts === 1 ? { firstAttempt: true } : {}),
        priorAttempts: notification.attempts - 1,
        ...(notification.queuedAt ? { notBefore: notification.queuedAt } : {}),
      }));
    } catch (error) {
      const smsError = error instanceof SmsSendError ? error : undefined;
      const reason = smsError?.reason ?? 'unknown';
      const retryable = smsError ? smsError.retryable : true;
      const now = this.clock.now();
      const description = `${reason}${smsError?.providerCode !== undefined ? ` (${smsError.providerCode})` : ''}`;
      if (!retryable) {
        const final = reason === 'opted_out' ? 'suppressed' : 'failed';
        await this.deps.outbox.markFailed(notification, { at: now, error: description, final });
        this.deps.logger.warn(
          { ...log, reason: description },
          final === 'suppressed' ? 'notification suppressed' : 'notification failed permanently',
        );
        return { outcome: final, error: smsError ?? new SmsSendError(description, reason, false) };
      }
      // 'not_configured' is this instance's setup, not the notification's fault: keep it queued until SMS is set up.
      if (notification.attempts >= this.options.maxAttempts && reason !== 'not_configured') {
        await this.deps.outbox.markFailed(notification, { at: now, error: description, final: 'failed' });
        this.deps.logger.error({ ...log, reason: description }, 'notification failed after the last attempt');
        return { outcome: 'failed', error: smsError ?? new SmsSendError(description, reason, true) };
      }
      // The provider's Retry-After (429, 503) wins when it asks for longer than our backoff.
      const delayMs = Math.max(this.backoffMs(notification.attempts), smsError?.retryAfterMs ?? 0);
      const retryAt = new Date(now.getTime() + delayMs);
      await this.deps.outbox.markFailed(notification, { at: now, error: description, retryAt });
      this.deps.logger.warn(
        { ...log, reason: description, retryAt: retryAt.toISOString() },
        'notification delivery failed; will retry',
      );
      return { outcome: 'retrying', error: smsError ?? new SmsSendError(description, reason, true) };
    }
    await this.deps.outbox.markSent(notification, { providerMessageId, at: this.clock.now() });
    this.deps.logger.info({ ...log, providerMessageId }, 'notification sent');
    return { outcome: 'sent', providerMessageId };
  }

  private schedule(delayMs: number): void {
    if (this.stopping) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.runOnce()
        .then(
          (report) => report.claimed >= this.options.batchSize,
          (error: unknown) => {
            this.deps.logger.error({ err: error }, 'notification dispatch failed; will poll again');
            return false;
          },
        )
        .then((more) => {
          this.running = undefined;
          // A full batch suggests a backlog: go again at once.
          this.schedule(more ? 0 : this.options.pollIntervalMs);
        });
    }, delayMs);
  }
}
