import type { Activity } from 'botbuilder';
import { KeyedSerialQueue } from '../../../services/concurrency/keyedSerialQueue';
import type { Logger } from '../../../services/logging/logger';
import type { MessageOutbox, OutboundMessage } from '../../../services/notifications/messageOutbox';
import type { OutboundMessages } from '../../../services/notifications/outboundMessages';
import type { InboxEntry, InboxOutcome, PlannedReply, SmsInbox } from '../../../services/sms/smsInbox';
import {
  classifySmsKeyword,
  keywordFromTwilioOptOutType,
  type SmsKeyword,
} from '../../../services/sms/smsKeywords';
import type { SmsOptOutRegistry } from '../../../services/sms/smsOptOutRegistry';
import type { SplitOptions } from '../../../services/sms/splitSmsText';
import { COMPLIANCE_REPLIES, TURN_FAILED_REPLY } from './complianceReplies';
import { LoadAwareLimiter } from './loadAwareLimiter';
import type { ChannelFacts } from '../../../dialogs/channelFacts';
import { toInboundActivity } from './smsActivity';
import type { SmsIdentity } from './smsIdentity';
import { renderRepliesAsSms } from './smsRendering';

export interface SmsTurns {
  run(activity: Activity, facts: ChannelFacts): Promise<Array<Partial<Activity>>>;
}

export interface SmsInboxProcessorOptions {
  /** How long a message is ours before another process (or a later scan) may take it over. */
  leaseMs?: number;
  /** How often unfinished messages with an expired lease are looked for. */
  scanIntervalMs?: number;
  /**
   * Most turns running at once across all numbers (each number is always one at a time, in order).
   * Fewer run while the event loop lags (LoadAwareLimiter), so webhooks stay quick to answer.
   */
  maxConcurrent?: number;
  split?: SplitOptions;
}

export interface SmsInboxProcessorDeps {
  inbox: SmsInbox;
  optOuts: SmsOptOutRegistry;
  /** The one outbox: the replies are handed to it and sent at once (retried by its dispatcher). */
  outbound: OutboundMessages;
  /** Where the replies wait: read only to recognise a turn whose replies were already handed over. */
  messages: Pick<MessageOutbox, 'has'>;
  turns: SmsTurns;
  /** Keys the conversation and user ids of a number. */
  identity: SmsIdentity;
  /** Numbers that texted us: the "registered" SMS may go to them without a one-time code. */
  knownSenders?: { remember(phoneNumber: string, at: Date): Promise<void> };
  logger: Logger;
  now?: () => Date;
  options?: SmsInboxProcessorOptions;
}

/**
 * Mean event-loop lateness (ms) above which fewer turns run at once. Low on purpose: a mean of a few
 * ms already means each webhook waits tens of ms across its hops; measured with bench/channels/sms.ts.
 */
const TURN_LOOP_DELAY_TARGET_MS = 3;
/** Messages queued in this process above which it counts as busy… */
const BUSY_BACKLOG = 100;
/** …and then scans only every this many intervals. */
const BUSY_SCAN_EVERY = 8;

/**
 * Works through the SMS inbox: each customer's messages one at a time in arrival order (keyed by
 * number), at most `maxConcurrent` at once overall. A message is either a compliance keyword (STOP,
 * START, HELP: handled here, no bot turn) or a bot turn; the replies are stored on the inbox entry
 * before they are sent, so after a crash they are re-sent (deduplicated by idempotency key) rather
 * than the turn being run twice.
 */
export class SmsInboxProcessor {
  readonly name = 'sms-inbox';
  private readonly queue = new KeyedSerialQueue();
  private readonly queued = new Set<string>();
  private readonly now: () => Date;
  private readonly options: Required<Omit<SmsInboxProcessorOptions, 'split'>> & { split: SplitOptions };
  private readonly abort = new AbortController();
  private scanTimer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private started = false;
  private lastScanAt = Number.NEGATIVE_INFINITY;
  private readonly limiter: LoadAwareLimiter;

  constructor(private readonly deps: SmsInboxProcessorDeps) {
    this.now = deps.now ?? (() => new Date());
    const options = deps.options ?? {};
    this.options = {
      leaseMs: options.leaseMs ?? 60_000,
      scanIntervalMs: options.scanIntervalMs ?? 15_000,
      maxConcurrent: options.maxConcurrent ?? 32,
      split: options.split ?? {},
    };
    this.limiter = new LoadAwareLimiter({
      max: this.options.maxConcurrent,
      min: 1,
      targetDelayMs: TURN_LOOP_DELAY_TARGET_MS,
    });
  }

  /** The lease a freshly received message gets: it is processed by this process right away. */
  leaseFrom(now: Date): Date {
    return new Date(now.getTime() + this.options.leaseMs);
  }

  /** Queues an inbox entry behind earlier messages from the same number. */
  submit(entry: InboxEntry): void {
    if (this.abort.signal.aborted || this.queued.has(entry.messageSid)) return;
    this.queued.add(entry.messageSid);
    void this.queue
      .run(entry.from, () => this.limiter.run(() => this.process(entry)))
      .catch((error: unknown) => {
        // The lease runs out and a later scan takes the message up again.
        this.deps.logger.error({ err: error, messageSid: entry.messageSid }, 'sms message processing failed');
      })
      .finally(() => this.queued.delete(entry.messageSid));
  }

  /** Picks up what an earlier run left unfinished, then keeps looking every scanIntervalMs. */
  start(): void {
    if (this.started || this.abort.signal.aborted) return;
    this.started = true;
    this.limiter.start();
    this.scheduleScan(0);
  }

  /** Stops scanning, cuts retry waits short and waits for messages being processed. */
  async stop(): Promise<void> {
    this.abort.abort();
    clearTimeout(this.scanTimer);
    this.limiter.stop();
    await this.scanning;
    await this.queue.idle();
  }

  private scheduleScan(delayMs: number): void {
    if (this.abort.signal.aborted) return;
    this.scanTimer = setTimeout(() => {
      this.scanning = this.scan()
        .catch((error: unknown) => this.deps.logger.error({ err: error }, 'sms inbox scan failed'))
        .finally(() => {
          this.scanning = undefined;
          this.scheduleScan(this.options.scanIntervalMs);
        });
    }, delayMs);
    this.scanTimer.unref();
  }

  private async scan(): Promise<void> {
    const now = this.now();
    // The scan filters every unfinished message, which costs event-loop time in proportion to the
    // backlog; while this process has a backlog of its own it scans only now and then.
    const busy = this.queued.size >= BUSY_BACKLOG;
    if (busy && now.getTime() - this.lastScanAt < this.options.scanIntervalMs * BUSY_SCAN_EVERY) return;
    this.lastScanAt = now.getTime();
    const claimed = await this.deps.inbox.claimDue(now, this.leaseFrom(now), 500, (sid) =>
      this.queued.has(sid),
    );
    if (claimed.length > 0)
      this.deps.logger.info({ count: claimed.length }, 'sms inbox: resuming unfinished messages');
    for (const entry of claimed) this.submit(entry);
  }

  private async process(entry: InboxEntry): Promise<void> {
    const { inbox } = this.deps;
    let current = entry;
    // Fresh: the turn runs in this pass, so the opt-out status is read moments before the replies go.
    const fresh = current.state === 'received';
    if (this.abort.signal.aborted) {
      // Stopping: hand the message back (lease ends now) so the next start takes it up at once.
      await inbox.postpone(current.messageSid, this.now(), this.now());
      return;
    }
    if (current.state === 'done' || current.state === 'failed') return;
    // A message that waited long in the queue (a backlog) may have outlived its lease: renew it, or
    // leave it if a scan elsewhere has taken it over meanwhile.
    const now = this.now();
    if (current.leaseUntil.getTime() - now.getTime() < this.options.leaseMs / 2) {
      const leaseUntil = this.leaseFrom(now);
      if (!(await inbox.renewLease(current.messageSid, current.leaseUntil, leaseUntil))) {
        this.deps.logger.info(
          { messageSid: current.messageSid },
          'sms message taken over by another process',
        );
        return;
      }
      current = { ...current, leaseUntil };
    }
    let outcome = current.outcome;
    let replies = current.replies;
    if (current.state === 'received') {
      // Resumed after a crash between handing the replies over and finishing: never run the turn twice.
      if (current.attempts > 0 && (await this.deps.messages.has(smsReplyId(current.messageSid, 0)))) {
        await inbox.finish(current.messageSid, 'done', this.now());
        return;
      }
      ({ outcome, replies } = await this.plan(current));
    }
    if (replies.length > 0) {
      // Handed to the outbox before the message counts as done: from here its dispatcher owns them.
      const results = await this.deps.outbound.send(
        replies.map((reply, index): OutboundMessage => ({
          id: smsReplyId(current.messageSid, index),
          kind: 'reply',
          to: current.from,
          body: reply.body,
          orderKey: current.from,
          ...(reply.compliance ? { compliance: true } : {}),
        })),
        { fresh },
      );
      const unsent = results.filter((result) => result.outcome !== 'sent').length;
      if (unsent > 0)
        this.deps.logger.warn(
          { messageSid: current.messageSid, unsent },
          'sms replies not sent at once; the outbox retries them',
        );
    }
    await inbox.finish(current.messageSid, 'done', this.now(), outcome);
  }

  private async plan(entry: InboxEntry): Promise<{ outcome: InboxOutcome; replies: PlannedReply[] }> {
    const { optOuts, logger } = this.deps;
    const optedOut = await optOuts.isOptedOut(entry.from);
    // Twilio's Advanced Opt-Out has already answered the keyword: record it, do not answer twice.
    const handledByTwilio = keywordFromTwilioOptOutType(entry.optOutType);
    const keyword = handledByTwilio ?? classifySmsKeyword(entry.body, optedOut);
    const answer = (word: SmsKeyword): PlannedReply[] =>
      handledByTwilio ? [] : [{ body: COMPLIANCE_REPLIES[word], compliance: true }];
    switch (keyword) {
      case 'opt_out':
        await optOuts.optOut(entry.from, handledByTwilio ? 'twilio:STOP' : 'keyword', this.now());
        logger.info({ messageSid: entry.messageSid }, 'sms: number opted out');
        return { outcome: 'opt_out', replies: answer('opt_out') };
      case 'opt_in':
        await optOuts.optIn(entry.from, handledByTwilio ? 'twilio:START' : 'keyword', this.now());
        logger.info({ messageSid: entry.messageSid }, 'sms: number opted back in');
        return { outcome: 'opt_in', replies: answer('opt_in') };
      case 'help':
        return { outcome: 'help', replies: answer('help') };
      case undefined:
        break;
    }
    // An opted-out number gets nothing back, so there is no point running a turn for it.
    if (optedOut) return { outcome: 'ignored_opted_out', replies: [] };
    await this.deps.knownSenders?.remember(entry.from, this.now());
    try {
      // The number is verified: the inbox only holds messages whose webhook carried Twilio's signature.
      const activities = await this.deps.turns.run(toInboundActivity(entry, this.deps.identity), {
        verifiedPhone: entry.from,
      });
      const bodies = renderRepliesAsSms(activities, this.options.split);
      return { outcome: 'turn', replies: bodies.map((body) => ({ body, compliance: false })) };
    } catch (error) {
      logger.error({ err: error, messageSid: entry.messageSid }, 'sms turn failed');
      return { outcome: 'turn_failed', replies: [{ body: TURN_FAILED_REPLY, compliance: false }] };
    }
  }
}

/**
 * A reply's id in the outbox: its idempotency key, the same however often the message is processed
 * (the first one's presence tells that a message's replies were handed over).
 */
export function smsReplyId(messageSid: string, index: number): string {
  return `reply:${messageSid}:${index}`;
}
