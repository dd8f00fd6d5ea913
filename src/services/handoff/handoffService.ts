import { randomUUID } from 'node:crypto';
import type { Connection } from 'mongoose';
import { z } from 'zod';
import { ConflictError, NotFoundError, ValidationError } from '../errors';
import type { Logger } from '../logging/logger';
import { systemClock, type Clock } from '../tickets/clock';
import { HandoffEventBus, type NewHandoffEvent } from './handoffEventBus';
import {
  handoffCollections,
  type ConversationDoc,
  type HandoffCollections,
  type HandoffDoc,
  type TranscriptDoc,
} from './handoffModels';
import { handoffNotices, type HandoffNotices } from './handoffNotices';
import { SupportHours } from './supportHours';
import type {
  AgentAction,
  AgentActionKind,
  AgentRef,
  Channel,
  ConversationView,
  CustomerDelivery,
  CustomerMessageInput,
  CustomerNotice,
  DeliveryTarget,
  EscalationResult,
  HandoffContext,
  HandoffEvent,
  HandoffListener,
  HandoffReason,
  HandoffView,
  LiveConversation,
  TranscriptEntry,
} from './types';
import { UndeliverableError } from './types';

export interface HandoffSettings {
  hours: SupportHours;
  /** After this long without an agent, the customer is offered to keep going with the bot or leave a message. */
  queueTimeoutMinutes: number;
  /** How often each instance polls the event bus. */
  eventPollMs: number;
  /** How long a bot conversation counts as live for agents (minutes since its last message). */
  liveMinutes?: number;
  /** This instance's name (delivery claims). */
  instanceId: string;
  /** How long transcripts are kept (days); unset: kept. */
  transcriptDays?: number;
}

export interface HandoffServiceDeps {
  connection: Connection;
  settings: HandoffSettings;
  logger: Logger;
  clock?: Clock;
  /** Set later with `bindDelivery` when the bot (which implements it) is built after the service. */
  delivery?: CustomerDelivery;
  /** Agent names for transfers (AgentAccounts can answer it); unset: the id is the name. */
  agentNames?: (agentId: string) => Promise<string | undefined>;
  /** The customer-facing words (defaults to English). */
  notices?: HandoffNotices;
}

/** Escalation input (from the bot's HumanHandoff implementation). */
export interface EscalateInput {
  conversationId: string;
  channel: Channel;
  reason: HandoffReason;
  context: Partial<HandoffContext>;
  language?: string;
  /** The Bot Framework conversation reference (kept as JSON to reach the customer later). */
  reference: unknown;
  /** One line for the queue; defaults to the customer's last message. */
  summary?: string;
}

export interface RecordedCustomerMessage {
  entry: TranscriptEntry;
  /** The conversation is queued or with an agent: the message went to them, not to the bot. */
  handedOff: boolean;
  handoff?: HandoffView;
}

/** A message turn's place in the transcript, from `beginTurn` to `finishTurn` (opaque to the bot). */
export interface TranscriptTurn {
  readonly conversationId: string;
  /** The customer entry's id; the bot's replies are `<idPrefix>:bot:<n>`. */
  readonly idPrefix: string;
  /** Seqs taken at the start of the turn (handed off): the next one and the last. */
  readonly nextSeq: number;
  readonly lastSeq: number;
  /** The customer's entry when it is not stored yet (the bot has the conversation). */
  readonly customer?: TranscriptDoc;
  /** With `customer`: the conversation's seq as the turn read it, and what the end writes onto it. */
  readonly seenSeq?: number;
  readonly changes?: ConversationChanges;
}

/** What a customer message changes on its conversation document. */
type ConversationChanges = Partial<
  Pick<ConversationDoc, 'lastActivityAt' | 'lastCustomerText' | 'reference' | 'channel'>
>;

export interface CustomerTurn extends RecordedCustomerMessage {
  turn: TranscriptTurn;
}

const MAX_TEXT = 4000;
/**
 * Seqs a message turn takes at once: the customer's entry and up to this many minus one bot replies
 * (a turn sends one to three), so the replies need no counter write of their own. The seqs a turn
 * leaves unused are gaps: the transcript stays in order, its seqs are not consecutive.
 */
export const TURN_SEQ_BLOCK = 8;
/** How often the queue timeout and the delivery retries are looked at. */
const SWEEP_EVERY_MS = 5_000;
const agentSchema = z.strictObject({
  agentId: z.string().trim().min(1).max(200),
  name: z.string().trim().min(1).max(200),
});
const conversationIdSchema = z.string().trim().min(1).max(300);
const replySchema = z
  .string()
  .trim()
  .min(1, 'the message is empty')
  .max(MAX_TEXT, `at most ${MAX_TEXT} characters`);

/**
 * Agent takeover: the queue of handed-off conversations, claims, the relay of messages both ways,
 * hand-back, and the transcript of every conversation (so an agent can open any live one). State is
 * in the store; instances talk over the handoff_events bus, so an agent on one instance reaches a
 * customer whose web chat is on another.
 *
 * Stored before it moves: a customer message is recorded before the turn acknowledges it, an
 * agent message before it is delivered (exactly one instance delivers each, claimed atomically).
 */
export class HandoffService {
  private readonly collections: HandoffCollections;
  private readonly clock: Clock;
  private readonly bus: HandoffEventBus;
  private readonly notices: HandoffNotices;
  private delivery: CustomerDelivery | undefined;
  private unsubscribeDelivery: (() => void) | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly deps: HandoffServiceDeps) {
    this.collections = handoffCollections(deps.connection);
    this.clock = deps.clock ?? systemClock;
    this.notices = deps.notices ?? handoffNotices;
    this.delivery = deps.delivery;
    this.bus = new HandoffEventBus({
      collections: this.collections,
      clock: this.clock,
      logger: deps.logger,
      pollMs: deps.settings.eventPollMs,
    });
  }

  get settings(): HandoffSettings {
    return this.deps.settings;
  }

  /** Creates the indexes and reads the bus position. */
  async init(): Promise<void> {
    const { conversations, handoffs, transcripts, actions } = this.collections;
    await Promise.all([
      conversations.createIndex({ lastActivityAt: -1 }),
      handoffs.createIndex({ conversationId: 1, queuedAt: -1 }),
      handoffs.createIndex({ state: 1, queuedAt: 1 }),
      transcripts.createIndex({ conversationId: 1, seq: 1 }),
      transcripts.createIndex({ pending: 1 }, { sparse: true }),
      actions.createIndex({ conversationId: 1, at: 1 }),
      this.bus.init(),
    ]);
    if (this.deps.settings.transcriptDays) {
      const seconds = this.deps.settings.transcriptDays * 24 * 3600;
      await Promise.all([
        transcripts.createIndex({ at: 1 }, { expireAfterSeconds: seconds, name: 'at_ttl' }),
        conversations.createIndex(
          { lastActivityAt: 1 },
          { expireAfterSeconds: seconds, name: 'lastActivityAt_ttl' },
        ),
      ]);
    }
  }

  /** The channel edge that reaches customers (the bot builds it after the service). */
  bindDelivery(delivery: CustomerDelivery): void {
    this.delivery = delivery;
  }

  /** Starts the bus poll, the delivery of other instances' messages and the queue timeout sweep. */
  start(): void {
    // Other instances' events only: this instance delivers its own messages as it stores them.
    this.unsubscribeDelivery ??= this.bus.subscribe((event) => this.onEvent(event), { ownEvents: false });
    this.bus.start();
    // Messages this instance had claimed but not sent when it stopped (a crash): send them now.
    this.track(this.releaseOwnClaims().then(() => this.redeliver()));
    const tick = (): void => {
      this.track(this.sweep().then(() => this.redeliver()));
      this.sweepTimer = setTimeout(tick, SWEEP_EVERY_MS);
    };
    this.sweepTimer ??= setTimeout(tick, SWEEP_EVERY_MS);
  }

  /**
   * Sends agent and system messages still waiting for delivery that this instance can deliver
   * (stored while no instance could reach the customer, or a send that failed), oldest first.
   */
  async redeliver(): Promise<number> {
    const waiting = await this.collections.transcripts
      .find({ pending: true, deliveryClaim: { $exists: false } })
      .sort({ at: 1 })
      .limit(100)
      .toArray();
    let sent = 0;
    for (const doc of waiting) {
      const target = await this.targetOf(doc.conversationId);
      if (!target) continue;
      if (await this.deliverTo(target, entryOf(doc), doc.handoffId ?? '')) sent += 1;
    }
    return sent;
  }

  private async releaseOwnClaims(): Promise<void> {
    await this.collections.transcripts.updateMany(
      { pending: true, deliveryClaim: this.deps.settings.instanceId },
      { $unset: { deliveryClaim: '' } },
    );
  }

  async stop(): Promise<void> {
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
    this.unsubscribeDelivery?.();
    this.unsubscribeDelivery = undefined;
    await this.bus.stop();
    await Promise.allSettled([...this.pending]);
  }

  /** Listens to every handoff event on every instance; returns the unsubscribe. */
  subscribe(listener: HandoffListener): () => void {
    return this.bus.subscribe(listener);
  }

  /** One poll of the bus (tests; the timer does it otherwise). */
  async pollEvents(): Promise<void> {
    await this.bus.poll();
  }

  /** Waits for deliveries this instance started (tests, shutdown). */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  // ---------------------------------------------------------------- escalation (the bot side)

  async escalate(input: EscalateInput): Promise<EscalationResult> {
    const conversationId = conversationIdSchema.parse(input.conversationId);
    const now = this.clock.now();
    await this.touchConversation(conversationId, input.channel, input.reference, now);
    const active = await this.activeHandoff(conversationId);
    if (active) {
      return {
        handoffId: active._id,
        position: active.state === 'queued' ? await this.positionOf(active) : 0,
        afterHours: active.afterHours,
        alreadyHandedOff: true,
      };
    }
    const handoffId = randomUUID();
    const claimed = await this.collections.conversations.updateOne(
      { _id: conversationId, activeHandoffId: { $exists: false } },
      { $set: { activeHandoffId: handoffId } },
    );
    if (claimed.modifiedCount !== 1) {
      // A concurrent turn escalated first: report that one.
      const other = await this.activeHandoff(conversationId);
      if (!other) throw new ConflictError('The conversation changed; try again.');
      return {
        handoffId: other._id,
        position: await this.positionOf(other),
        afterHours: other.afterHours,
        alreadyHandedOff: true,
      };
    }
    const hours = this.deps.settings.hours;
    const afterHours = !hours.isOpen(now);
    const conversation = await this.collections.conversations.findOne({ _id: conversationId });
    const doc: HandoffDoc = {
      _id: handoffId,
      conversationId,
      channel: input.channel,
      state: 'queued',
      reason: input.reason,
      ...(input.language ? { language: input.language } : {}),
      queuedAt: now,
      summary: oneLine(
        input.summary ?? conversation?.lastCustomerText ?? this.notices.reasonSummary(input.reason),
      ),
      context: normaliseContext(input.context),
      afterHours,
      version: 0,
    };
    await this.collections.handoffs.insertOne(doc);
    const position = await this.positionOf(doc);
    await this.collections.handoffs.updateOne({ _id: handoffId }, { $set: { positionTold: position } });
    await this.publish({ type: 'queued', conversationId, handoffId, handoff: viewOf(doc, position) });
    return {
      handoffId,
      position,
      afterHours,
      ...(afterHours ? { backAt: hours.nextOpening(now) } : {}),
      alreadyHandedOff: false,
    };
  }

  /**
   * Records a customer message (every conversation's, not only handed-off ones). Await it before the
   * turn acknowledges the message: if the conversation is handed off, it goes to the queue/agent.
   */
  async recordCustomerMessage(
    conversationId: string,
    input: CustomerMessageInput,
  ): Promise<RecordedCustomerMessage> {
    const { conversation, entry } = await this.reserveCustomerEntry(conversationId, input, 1);
    return this.storeCustomerEntry(conversation, entry);
  }

  /**
   * Opens a message turn's transcript with one read: is a person on the conversation, as the store
   * has it now (a takeover made on another instance included)?
   *
   * Handed off: the message is stored (and published to agents) before this returns, as
   * recordCustomerMessage does, and the turn takes a block of TURN_SEQ_BLOCK seqs for anything the
   * bot says. Otherwise nothing is written yet: the entry is kept in the returned turn and
   * `finishTurn` writes it with the bot's replies at the end of the turn; the turn must await that
   * before it is acknowledged (SupportBot does, before the HTTP answer), failed turns included.
   */
  async beginTurn(conversationId: string, input: CustomerMessageInput): Promise<CustomerTurn> {
    const id = conversationIdSchema.parse(conversationId);
    const seen = await this.collections.conversations.findOne(
      { _id: id },
      { projection: { seq: 1, activeHandoffId: 1 } },
    );
    if (seen?.activeHandoffId) {
      const { conversation, entry } = await this.reserveCustomerEntry(id, input, TURN_SEQ_BLOCK);
      const turn: TranscriptTurn = {
        conversationId: id,
        idPrefix: entry._id,
        nextSeq: entry.seq + 1,
        lastSeq: conversation.seq,
      };
      return { ...(await this.storeCustomerEntry(conversation, entry)), turn };
    }
    const now = this.clock.now();
    const seenSeq = seen?.seq ?? 0;
    const entry = customerDoc(id, input, seenSeq + 1, now);
    const turn: TranscriptTurn = {
      conversationId: id,
      idPrefix: entry._id,
      nextSeq: seenSeq + 2,
      lastSeq: seenSeq + 1,
      customer: entry,
      seenSeq,
      changes: conversationChanges(input, now),
    };
    return { entry: entryOf(entry), handedOff: false, turn };
  }

  /**
   * Closes a message turn: stores the customer's entry if `beginTurn` kept it, and the bot's replies,
   * in one insert (ids from the activity id, so a retried turn adds nothing twice). Rejects only
   * when the store refused the write.
   *
   * A kept entry and its replies take the seqs after the one the turn read, and the conversation
   * document is moved on past them in the same wave of writes, on condition that its seq is still
   * the one read. When something else took seqs meanwhile (an agent's takeover notice, a second
   * turn at once), the turn's entries take fresh seqs after those instead (two more writes, rare).
   */
  async finishTurn(turn: TranscriptTurn, botTexts: readonly string[]): Promise<void> {
    const texts = botTexts.filter((one) => one.trim() !== '');
    if (turn.customer && turn.seenSeq !== undefined) {
      await this.finishKeptTurn(turn, turn.customer, turn.seenSeq, texts);
      return;
    }
    if (texts.length === 0) return;
    const seqs = await this.seqsFor(turn, texts.length);
    await this.insertOnce(botDocs(turn, texts, seqs, this.clock.now()));
  }

  private async finishKeptTurn(
    turn: TranscriptTurn,
    customer: TranscriptDoc,
    seenSeq: number,
    texts: readonly string[],
  ): Promise<void> {
    const count = 1 + texts.length;
    const now = this.clock.now();
    const docs = [
      customer,
      ...botDocs(
        turn,
        texts,
        texts.map((_, index) => seenSeq + 2 + index),
        now,
      ),
    ];
    const id = turn.conversationId;
    const [moved, inserted] = await Promise.all([
      this.collections.conversations
        .updateOne(
          { _id: id, seq: seenSeq },
          {
            $set: { ...turn.changes, seq: seenSeq + count },
            $setOnInsert: { createdAt: now, ...(turn.changes?.channel ? {} : { channel: 'unknown' }) },
          },
          { upsert: true },
        )
        .then(
          () => true,
          (error: unknown) => {
            // Upserting a conversation that exists with another seq collides on _id: not ours.
            if (isDuplicateKey(error)) return false;
            throw error;
          },
        ),
      this.insertOnce(docs),
    ]);
    if (moved) return;
    const conversation = await this.collections.conversations.findOneAndUpdate(
      { _id: id },
      { $inc: { seq: count }, $set: { ...turn.changes } },
      { returnDocument: 'after', projection: { seq: 1 } },
    );
    if (!conversation) throw new NotFoundError(`No conversation ${id}`);
    const first = conversation.seq - count + 1;
    const renumber = docs.filter((doc) => inserted.has(doc._id));
    if (renumber.length === 0) return;
    await this.collections.transcripts.bulkWrite(
      renumber.map((doc) => ({
        updateOne: {
          filter: { _id: doc._id, seq: doc.seq },
          update: { $set: { seq: first + docs.indexOf(doc) } },
        },
      })),
      { ordered: false },
    );
  }

  /** Inserts what is not stored yet (a retried turn adds nothing twice); returns the ids it inserted. */
  private async insertOnce(docs: readonly TranscriptDoc[]): Promise<Set<string>> {
    const ids = new Set(docs.map((doc) => doc._id));
    if (docs.length === 0) return ids;
    try {
      await this.collections.transcripts.insertMany([...docs], { ordered: false });
    } catch (error) {
      const duplicates = duplicateIndexes(error);
      if (!duplicates) throw error;
      for (const index of duplicates) {
        const doc = docs[index];
        if (doc) ids.delete(doc._id);
      }
    }
    return ids;
  }

  /** The turn's block first; a turn that says more than it holds takes more seqs (one more write). */
  private async seqsFor(turn: TranscriptTurn, count: number): Promise<number[]> {
    const inBlock = Math.max(0, Math.min(count, turn.lastSeq - turn.nextSeq + 1));
    const seqs = Array.from({ length: inBlock }, (_, index) => turn.nextSeq + index);
    const more = count - inBlock;
    if (more > 0) {
      const conversation = await this.collections.conversations.findOneAndUpdate(
        { _id: turn.conversationId },
        { $inc: { seq: more } },
        { returnDocument: 'after', projection: { seq: 1 } },
      );
      if (!conversation) throw new NotFoundError(`No conversation ${turn.conversationId}`);
      for (let seq = conversation.seq - more + 1; seq <= conversation.seq; seq += 1) seqs.push(seq);
    }
    return seqs;
  }

  /** Takes `count` seqs for a customer message (the first is the message's) and notes the message on the conversation. */
  private async reserveCustomerEntry(
    conversationId: string,
    input: CustomerMessageInput,
    count: number,
  ): Promise<{
    conversation: Pick<ConversationDoc, '_id' | 'seq' | 'activeHandoffId'>;
    entry: TranscriptDoc;
  }> {
    const id = conversationIdSchema.parse(conversationId);
    const now = this.clock.now();
    const conversation = await this.collections.conversations.findOneAndUpdate(
      { _id: id },
      {
        $inc: { seq: count },
        $set: conversationChanges(input, now),
        $setOnInsert: { createdAt: now, ...(input.channel ? {} : { channel: 'unknown' }) },
      },
      { upsert: true, returnDocument: 'after', projection: { seq: 1, activeHandoffId: 1 } },
    );
    if (!conversation) throw new Error('handoff conversation: no document after upsert');
    const entry = customerDoc(id, input, conversation.seq - count + 1, now);
    return { conversation, entry };
  }

  /** Stores a customer entry now; when a person has the conversation, publishes it to them. */
  private async storeCustomerEntry(
    conversation: Pick<ConversationDoc, '_id' | 'activeHandoffId'>,
    entry: TranscriptDoc,
  ): Promise<RecordedCustomerMessage> {
    const id = conversation._id;
    try {
      await this.collections.transcripts.insertOne(entry);
    } catch (error) {
      // A retried turn: the message is already recorded (and was already relayed).
      if (isDuplicateKey(error)) {
        const existing = await this.collections.transcripts.findOne({ _id: entry._id });
        const handoff = conversation.activeHandoffId ? await this.activeHandoff(id) : null;
        return {
          entry: entryOf(existing ?? entry),
          handedOff: Boolean(handoff),
          ...(handoff ? { handoff: viewOf(handoff) } : {}),
        };
      }
      throw error;
    }
    if (!conversation.activeHandoffId) return { entry: entryOf(entry), handedOff: false };
    const handoff = await this.activeHandoff(id);
    if (!handoff) return { entry: entryOf(entry), handedOff: false };
    await this.publish({
      type: 'customer_message',
      conversationId: id,
      handoffId: handoff._id,
      entry: entryOf(entry),
    });
    return { entry: entryOf(entry), handedOff: true, handoff: viewOf(handoff) };
  }

  /** Records what the bot said (one entry per message). */
  async recordBotMessage(conversationId: string, text: string | readonly string[]): Promise<void> {
    const texts = (typeof text === 'string' ? [text] : [...text]).filter((one) => one.trim() !== '');
    if (texts.length === 0) return;
    const id = conversationIdSchema.parse(conversationId);
    const now = this.clock.now();
    const conversation = await this.collections.conversations.findOneAndUpdate(
      { _id: id },
      {
        $inc: { seq: texts.length },
        $set: { lastActivityAt: now },
        $setOnInsert: { createdAt: now, channel: 'unknown' },
      },
      { upsert: true, returnDocument: 'after' },
    );
    if (!conversation) return;
    const first = conversation.seq - texts.length + 1;
    await this.collections.transcripts.insertMany(
      texts.map((one, index) => ({
        _id: randomUUID(),
        conversationId: id,
        seq: first + index,
        at: now,
        from: 'bot' as const,
        text: one.slice(0, MAX_TEXT),
      })),
    );
  }

  async isHandedOff(conversationId: string): Promise<boolean> {
    return (await this.activeHandoff(conversationId)) !== null;
  }

  /** The conversation's active handoff (queued or with an agent), if any. */
  async activeFor(conversationId: string): Promise<HandoffView | undefined> {
    const doc = await this.activeHandoff(conversationId);
    return doc ? viewOf(doc, doc.state === 'queued' ? await this.positionOf(doc) : undefined) : undefined;
  }

  /** The customer stops waiting ("never mind"): true when a queued handoff was cancelled. */
  async cancelByCustomer(conversationId: string): Promise<boolean> {
    const doc = await this.activeHandoff(conversationId);
    if (!doc || doc.state !== 'queued') return false;
    const closed = await this.transition(doc, {
      state: 'closed',
      closedAt: this.clock.now(),
      closedBy: 'customer',
    });
    if (!closed) return false;
    await this.publish({ type: 'cancelled', conversationId: doc.conversationId, handoffId: doc._id });
    this.track(this.tellPositions());
    return true;
  }

  // ---------------------------------------------------------------- the agent side

  /** Waiting and with-agent handoffs, oldest first (queued ones carry their position). */
  async queue(): Promise<HandoffView[]> {
    const docs = await this.collections.handoffs
      .find({ state: { $in: ['queued', 'with_agent'] } })
      .sort({ queuedAt: 1 })
      .toArray();
    let position = 0;
    return docs.map((doc) => viewOf(doc, doc.state === 'queued' ? ++position : undefined));
  }

  /** Every handoff queued since `since`, oldest first (supervisor figures: waits, outcomes, languages). */
  async handoffsSince(since: Date, limit = 5000): Promise<HandoffView[]> {
    const docs = await this.collections.handoffs
      .find({ queuedAt: { $gte: since } })
      .sort({ queuedAt: 1 })
      .limit(limit)
      .toArray();
    return docs.map((doc) => viewOf(doc));
  }

  /** A conversation: its handoff (active, else the latest), transcript and agent actions. */
  async get(conversationId: string): Promise<ConversationView> {
    const id = conversationIdSchema.parse(conversationId);
    const conversation = await this.collections.conversations.findOne({ _id: id });
    const [handoff] = await this.collections.handoffs
      .find({ conversationId: id })
      .sort({ queuedAt: -1 })
      .limit(1)
      .toArray();
    if (!conversation && !handoff) throw new NotFoundError(`No conversation ${id}`);
    const [transcript, actions] = await Promise.all([
      this.collections.transcripts.find({ conversationId: id }).sort({ seq: 1 }).toArray(),
      this.collections.actions.find({ conversationId: id }).sort({ at: 1 }).toArray(),
    ]);
    return {
      conversationId: id,
      channel: conversation?.channel ?? handoff?.channel ?? 'unknown',
      ...(handoff
        ? {
            handoff: viewOf(handoff, handoff.state === 'queued' ? await this.positionOf(handoff) : undefined),
          }
        : {}),
      transcript: transcript.map(entryOf),
      history: actions.map((doc): AgentAction => ({
        kind: doc.kind,
        agent: doc.agent,
        at: doc.at,
        ...(doc.toAgent ? { toAgent: doc.toAgent } : {}),
      })),
    };
  }

  /** Recent conversations (newest first) an agent may open and take over. */
  async liveConversations(limit = 200): Promise<LiveConversation[]> {
    const since = new Date(this.clock.now().getTime() - (this.deps.settings.liveMinutes ?? 30) * 60_000);
    const docs = await this.collections.conversations
      .find({ lastActivityAt: { $gte: since } })
      .sort({ lastActivityAt: -1 })
      .limit(limit)
      .toArray();
    const active = docs.filter((doc) => doc.activeHandoffId).map((doc) => doc.activeHandoffId as string);
    const states = new Map(
      (await this.collections.handoffs.find({ _id: { $in: active } }).toArray()).map((doc) => [
        doc._id,
        doc.state,
      ]),
    );
    return docs.map((doc) => {
      const state = doc.activeHandoffId ? states.get(doc.activeHandoffId) : undefined;
      return {
        conversationId: doc._id,
        channel: doc.channel,
        lastActivityAt: doc.lastActivityAt,
        ...(doc.lastCustomerText ? { lastCustomerText: doc.lastCustomerText } : {}),
        ...(state && state !== 'closed' ? { handoffState: state } : {}),
      };
    });
  }

  /** Takes a queued conversation. Exactly one of several agents wins; the others get a ConflictError naming the holder. */
  async claim(conversationId: string, agent: AgentRef): Promise<HandoffView> {
    const who = parseAgent(agent);
    const doc = await this.requireActive(conversationId);
    if (doc.state === 'with_agent') throw heldBy(doc, who);
    const now = this.clock.now();
    const claimed = await this.transition(doc, { state: 'with_agent', claimedAt: now, agent: who });
    if (!claimed) {
      const current = await this.requireActive(conversationId);
      throw heldBy(current, who);
    }
    await this.afterClaim(claimed, who, 'claimed');
    return viewOf(claimed);
  }

  /** Opens any live conversation and takes it from the bot (or claims it from the queue) at once. */
  async takeOver(conversationId: string, agent: AgentRef): Promise<HandoffView> {
    const who = parseAgent(agent);
    const id = conversationIdSchema.parse(conversationId);
    const active = await this.activeHandoff(id);
    if (active) {
      if (active.state === 'with_agent' && active.agent?.agentId === who.agentId) return viewOf(active);
      return this.claim(id, who);
    }
    const conversation = await this.collections.conversations.findOne({ _id: id });
    if (!conversation?.reference) throw new NotFoundError(`No live conversation ${id}`);
    const handoffId = randomUUID();
    const guarded = await this.collections.conversations.updateOne(
      { _id: id, activeHandoffId: { $exists: false } },
      { $set: { activeHandoffId: handoffId } },
    );
    if (guarded.modifiedCount !== 1) return this.claim(id, who);
    const now = this.clock.now();
    const doc: HandoffDoc = {
      _id: handoffId,
      conversationId: id,
      channel: conversation.channel,
      state: 'with_agent',
      reason: 'agent_takeover',
      queuedAt: now,
      claimedAt: now,
      agent: who,
      summary: oneLine(conversation.lastCustomerText ?? this.notices.reasonSummary('agent_takeover')),
      context: normaliseContext({}),
      afterHours: false,
      version: 1,
    };
    await this.collections.handoffs.insertOne(doc);
    await this.afterClaim(doc, who, 'took_over');
    return viewOf(doc);
  }

  /** An agent's message: stored, then delivered (web chat or SMS). Only the holder may reply. */
  async reply(conversationId: string, agent: AgentRef, text: string): Promise<TranscriptEntry> {
    const who = parseAgent(agent);
    const body = parseOr(replySchema, text, 'Reply');
    const doc = await this.requireHeldBy(conversationId, who);
    const { entry, target, claimed } = await this.appendEntry(doc.conversationId, doc._id, {
      from: 'agent',
      agentId: who.agentId,
      agentName: who.name,
      text: body,
    });
    // Stored: now the customer, the consoles and the history, at once rather than one after another.
    await Promise.all([
      claimed && target ? this.sendClaimed(target, entry, doc._id) : undefined,
      this.recordAction(doc, 'replied', who),
      this.publish({
        type: 'agent_message',
        conversationId: doc.conversationId,
        handoffId: doc._id,
        entry,
      }),
    ]);
    return entry;
  }

  /** Shows the web chat customer that the agent is typing. */
  async typing(conversationId: string, agent: AgentRef): Promise<void> {
    const who = parseAgent(agent);
    const doc = await this.requireHeldBy(conversationId, who);
    await this.publish({
      type: 'typing',
      conversationId: doc.conversationId,
      handoffId: doc._id,
      agent: who,
    });
    const target = await this.targetOf(doc.conversationId);
    if (target && this.delivery?.canDeliver(target)) this.track(this.delivery.typing(target));
  }

  /** The agent is done: the bot takes over again and asks the customer for a rating. */
  async handBack(conversationId: string, agent: AgentRef): Promise<HandoffView> {
    const who = parseAgent(agent);
    const doc = await this.requireHeldBy(conversationId, who);
    const closed = await this.transition(doc, {
      state: 'closed',
      closedAt: this.clock.now(),
      closedBy: 'handed_back',
    });
    if (!closed) throw new ConflictError('The conversation changed meanwhile; reload it.');
    await this.recordAction(doc, 'handed_back', who);
    await this.notify(closed, this.notices.agentLeft(who.name, closed.language), 'completed');
    await this.publish({
      type: 'handed_back',
      conversationId: doc.conversationId,
      handoffId: doc._id,
      agent: who,
    });
    await this.resume(closed, true);
    return viewOf(closed);
  }

  /** The agent ends the conversation (no rating asked); the customer is back with the bot if they write again. */
  async close(conversationId: string, agent: AgentRef): Promise<HandoffView> {
    const who = parseAgent(agent);
    const id = conversationIdSchema.parse(conversationId);
    const doc = await this.requireActive(id);
    if (doc.state === 'with_agent' && doc.agent?.agentId !== who.agentId) throw heldBy(doc, who);
    const closed = await this.transition(doc, {
      state: 'closed',
      closedAt: this.clock.now(),
      closedBy: 'agent',
      agent: doc.agent ?? who,
    });
    if (!closed) throw new ConflictError('The conversation changed meanwhile; reload it.');
    await this.recordAction(doc, 'closed', who);
    await this.notify(closed, this.notices.closed(who.name, closed.language), 'completed');
    await this.publish({
      type: 'closed',
      conversationId: doc.conversationId,
      handoffId: doc._id,
      agent: who,
    });
    if (doc.state === 'queued') this.track(this.tellPositions());
    return viewOf(closed);
  }

  /** Passes the conversation to another agent. */
  async transfer(conversationId: string, agent: AgentRef, toAgentId: string): Promise<HandoffView> {
    const who = parseAgent(agent);
    const doc = await this.requireHeldBy(conversationId, who);
    const targetId = parseOr(z.string().trim().min(1).max(200), toAgentId, 'Agent id');
    if (targetId === who.agentId) throw new ValidationError('The conversation is already yours.');
    const name = this.deps.agentNames ? await this.deps.agentNames(targetId) : targetId;
    if (!name) throw new NotFoundError(`No agent ${targetId}`);
    const toAgent: AgentRef = { agentId: targetId, name };
    const moved = await this.transition(doc, { agent: toAgent, claimedAt: this.clock.now() });
    if (!moved) throw new ConflictError('The conversation changed meanwhile; reload it.');
    await this.recordAction(doc, 'transferred', who, toAgent);
    await this.notify(moved, this.notices.transferred(toAgent.name, moved.language));
    await this.publish({
      type: 'transferred',
      conversationId: doc.conversationId,
      handoffId: doc._id,
      agent: who,
      toAgent,
    });
    return viewOf(moved);
  }

  /**
   * Offers "keep going with the assistant or leave a message" to customers waiting longer than the
   * timeout (once each). The timer calls it; tests call it with a moved clock.
   */
  async sweep(): Promise<number> {
    const cutoff = new Date(this.clock.now().getTime() - this.deps.settings.queueTimeoutMinutes * 60_000);
    const waiting = await this.collections.handoffs
      .find({
        state: 'queued',
        afterHours: false,
        timeoutOfferedAt: { $exists: false },
        queuedAt: { $lte: cutoff },
      })
      .limit(100)
      .toArray();
    let offered = 0;
    for (const doc of waiting) {
      const marked = await this.collections.handoffs.updateOne(
        { _id: doc._id, state: 'queued', timeoutOfferedAt: { $exists: false } },
        { $set: { timeoutOfferedAt: this.clock.now() } },
      );
      if (marked.modifiedCount !== 1) continue;
      offered += 1;
      await this.notify(doc, this.notices.timeout(doc.channel, doc.language));
    }
    return offered;
  }

  // ---------------------------------------------------------------- internals

  private async afterClaim(doc: HandoffDoc, who: AgentRef, kind: AgentActionKind): Promise<void> {
    await this.recordAction(doc, kind, who);
    await this.notify(doc, this.notices.agentJoined(who.name, doc.language), 'accepted');
    await this.publish({
      type: 'claimed',
      conversationId: doc.conversationId,
      handoffId: doc._id,
      agent: who,
      takeover: kind === 'took_over',
    });
    this.track(this.tellPositions());
  }

  /** A system notice to the customer: stored, published, delivered by the instance that can. */
  private async notify(doc: HandoffDoc, text: string, status?: CustomerNotice['status']): Promise<void> {
    const { entry, target, claimed } = await this.appendEntry(doc.conversationId, doc._id, {
      from: 'system',
      text,
      ...(status ? { status } : {}),
    });
    await Promise.all([
      claimed && target ? this.sendClaimed(target, entry, doc._id) : undefined,
      this.publish({
        type: 'system_message',
        conversationId: doc.conversationId,
        handoffId: doc._id,
        entry,
      }),
    ]);
  }

  /** Tells waiting web chat customers their new place when it changed (SMS: only on entry and when an agent joins). */
  private async tellPositions(): Promise<void> {
    const queued = await this.collections.handoffs.find({ state: 'queued' }).sort({ queuedAt: 1 }).toArray();
    let position = 0;
    for (const doc of queued) {
      position += 1;
      if (doc.channel === 'sms' || doc.afterHours || doc.positionTold === position) continue;
      const marked = await this.collections.handoffs.updateOne(
        { _id: doc._id, state: 'queued', positionTold: doc.positionTold ?? { $exists: false } },
        { $set: { positionTold: position } },
      );
      if (marked.modifiedCount !== 1) continue;
      await this.notify(doc, this.notices.position(position, doc.language));
    }
  }

  private async appendEntry(
    conversationId: string,
    handoffId: string,
    entry: Pick<TranscriptDoc, 'from' | 'text'> &
      Partial<Pick<TranscriptDoc, 'agentId' | 'agentName' | 'status'>>,
  ): Promise<{ entry: TranscriptEntry; target?: DeliveryTarget; claimed: boolean }> {
    const now = this.clock.now();
    const conversation = await this.collections.conversations.findOneAndUpdate(
      { _id: conversationId },
      { $inc: { seq: 1 }, $set: { lastActivityAt: now } },
      { returnDocument: 'after' },
    );
    if (!conversation) throw new NotFoundError(`No conversation ${conversationId}`);
    const target = targetFrom(conversation);
    // When this instance can reach the customer, the entry is stored already claimed for delivery
    // by it: no other instance sends it, and no second write is needed before sending.
    const claimed = Boolean(target && this.delivery?.canDeliver(target));
    const doc: TranscriptDoc = {
      _id: randomUUID(),
      conversationId,
      seq: conversation.seq,
      at: now,
      ...entry,
      // Waits for delivery until an instance that can reach the customer has sent it.
      pending: true,
      handoffId,
      ...(claimed ? { deliveryClaim: this.deps.settings.instanceId } : {}),
    };
    await this.collections.transcripts.insertOne(doc);
    return { entry: entryOf(doc), ...(target ? { target } : {}), claimed };
  }

  private async recordAction(
    doc: HandoffDoc,
    kind: AgentActionKind,
    agent: AgentRef,
    toAgent?: AgentRef,
  ): Promise<void> {
    await this.collections.actions.insertOne({
      conversationId: doc.conversationId,
      handoffId: doc._id,
      kind,
      agent,
      ...(toAgent ? { toAgent } : {}),
      at: this.clock.now(),
    });
  }

  private publish(event: NewHandoffEvent): Promise<HandoffEvent> {
    return this.bus.publish(event);
  }

  /** Every instance hears every event; the one that can reach the customer delivers. */
  private onEvent(event: HandoffEvent): void {
    if (event.type === 'agent_message' || event.type === 'system_message') {
      this.track(this.deliverById(event.conversationId, event.handoffId, event.entry));
    } else if (event.type === 'typing') {
      this.track(
        this.targetOf(event.conversationId).then(async (target) => {
          if (target && this.delivery?.canDeliver(target)) await this.delivery.typing(target);
        }),
      );
    } else if (event.type === 'handed_back') {
      this.track(
        this.collections.handoffs.findOne({ _id: event.handoffId }).then(async (doc) => {
          if (doc) await this.resume(doc, true);
        }),
      );
    }
  }

  private async deliverById(
    conversationId: string,
    handoffId: string,
    entry: TranscriptEntry,
  ): Promise<void> {
    const target = await this.targetOf(conversationId);
    if (target) await this.deliverTo(target, entry, handoffId);
  }

  /** Claims the entry's delivery (exactly one instance) and sends it; a failed send releases the claim. */
  /** True when it was sent by this call. */
  private async deliverTo(
    target: DeliveryTarget,
    entry: TranscriptEntry,
    handoffId: string,
  ): Promise<boolean> {
    const delivery = this.delivery;
    if (!delivery || !delivery.canDeliver(target)) return false;
    const { transcripts } = this.collections;
    const claimed = await transcripts.updateOne(
      { _id: entry.messageId, deliveryClaim: { $exists: false } },
      { $set: { deliveryClaim: this.deps.settings.instanceId } },
    );
    if (claimed.modifiedCount !== 1) return false;
    return this.sendClaimed(target, entry, handoffId);
  }

  /** Sends an entry this instance holds the delivery claim of; a failed send releases the claim. */
  private async sendClaimed(
    target: DeliveryTarget,
    entry: TranscriptEntry,
    handoffId: string,
  ): Promise<boolean> {
    const delivery = this.delivery;
    const { transcripts } = this.collections;
    if (!delivery) {
      await transcripts.updateOne({ _id: entry.messageId }, { $unset: { deliveryClaim: '' } });
      return false;
    }
    try {
      await delivery.deliver(target, {
        messageId: entry.messageId,
        text: entry.text,
        from: entry.from === 'agent' ? 'agent' : 'system',
        ...(entry.agentName ? { agentName: entry.agentName } : {}),
        ...(entry.status ? { status: entry.status } : {}),
      });
      await transcripts.updateOne(
        { _id: entry.messageId },
        { $set: { deliveredAt: this.clock.now() }, $unset: { pending: '' } },
      );
      return true;
    } catch (error) {
      if (error instanceof UndeliverableError) {
        await transcripts.updateOne(
          { _id: entry.messageId },
          { $set: { undelivered: error.reason }, $unset: { pending: '' } },
        );
        this.deps.logger.info(
          { conversationId: target.conversationId, reason: error.reason },
          'handoff message cannot reach the customer',
        );
        await this.publish({
          type: 'undelivered',
          conversationId: target.conversationId,
          handoffId,
          messageId: entry.messageId,
          reason: error.reason,
        });
        return false;
      }
      this.deps.logger.warn(
        { err: error, conversationId: target.conversationId },
        'handoff message not delivered',
      );
      await transcripts.updateOne({ _id: entry.messageId }, { $unset: { deliveryClaim: '' } });
      return false;
    }
  }

  /** The bot takes the conversation back (exactly one instance runs it). */
  private async resume(doc: HandoffDoc, askRating: boolean): Promise<void> {
    const delivery = this.delivery;
    const target = await this.targetOf(doc.conversationId);
    if (!delivery || !target || !delivery.canDeliver(target)) return;
    const claimed = await this.collections.handoffs.updateOne(
      { _id: doc._id, resumeClaim: { $exists: false } },
      { $set: { resumeClaim: this.deps.settings.instanceId } },
    );
    if (claimed.modifiedCount !== 1) return;
    try {
      await delivery.resumeBot(target, { handoffId: doc._id, askRating });
    } catch (error) {
      this.deps.logger.warn(
        { err: error, conversationId: doc.conversationId },
        'bot did not resume after hand-back',
      );
    }
  }

  private async targetOf(conversationId: string): Promise<DeliveryTarget | undefined> {
    const conversation = await this.collections.conversations.findOne({ _id: conversationId });
    return conversation ? targetFrom(conversation) : undefined;
  }

  private async touchConversation(
    conversationId: string,
    channel: Channel,
    reference: unknown,
    now: Date,
  ): Promise<void> {
    await this.collections.conversations.updateOne(
      { _id: conversationId },
      {
        $set: {
          channel,
          lastActivityAt: now,
          ...(reference !== undefined ? { reference: JSON.stringify(reference) } : {}),
        },
        $setOnInsert: { createdAt: now, seq: 0 },
      },
      { upsert: true },
    );
  }

  /** The active handoff; clears a stale guard left by a crash between closing and unguarding. */
  private async activeHandoff(conversationId: string): Promise<HandoffDoc | null> {
    const conversation = await this.collections.conversations.findOne(
      { _id: conversationId },
      { projection: { activeHandoffId: 1 } },
    );
    if (!conversation?.activeHandoffId) return null;
    const doc = await this.collections.handoffs.findOne({ _id: conversation.activeHandoffId });
    if (doc && doc.state !== 'closed') return doc;
    await this.collections.conversations.updateOne(
      { _id: conversationId, activeHandoffId: conversation.activeHandoffId },
      { $unset: { activeHandoffId: '' } },
    );
    return null;
  }

  private async requireActive(conversationId: string): Promise<HandoffDoc> {
    const id = conversationIdSchema.parse(conversationId);
    const doc = await this.activeHandoff(id);
    if (!doc) {
      const known = await this.collections.handoffs.findOne({ conversationId: id });
      if (known)
        throw new ConflictError('This conversation is no longer waiting for or with an agent.', {
          state: 'closed',
        });
      throw new NotFoundError(`No handoff for conversation ${id}`);
    }
    return doc;
  }

  private async requireHeldBy(conversationId: string, who: AgentRef): Promise<HandoffDoc> {
    // The common case in one read: a conversation has at most one open handoff (its guard).
    const held = await this.collections.handoffs.findOne({
      conversationId: conversationIdSchema.parse(conversationId),
      state: 'with_agent',
      'agent.agentId': who.agentId,
    });
    if (held) return held;
    const doc = await this.requireActive(conversationId);
    if (doc.state !== 'with_agent' || doc.agent?.agentId !== who.agentId) throw heldBy(doc, who);
    return doc;
  }

  /** Applies a change if nobody else changed the handoff since it was read; closing also drops the guard. */
  private async transition(doc: HandoffDoc, changes: Partial<HandoffDoc>): Promise<HandoffDoc | null> {
    const updated = await this.collections.handoffs.findOneAndUpdate(
      { _id: doc._id, version: doc.version, state: doc.state },
      { $set: { ...changes, version: doc.version + 1 } },
      { returnDocument: 'after' },
    );
    if (updated && updated.state === 'closed') {
      await this.collections.conversations.updateOne(
        { _id: doc.conversationId, activeHandoffId: doc._id },
        { $unset: { activeHandoffId: '' } },
      );
    }
    return updated ?? null;
  }

  private async positionOf(doc: HandoffDoc): Promise<number> {
    const ahead = await this.collections.handoffs.countDocuments({
      state: 'queued',
      queuedAt: { $lt: doc.queuedAt },
    });
    return ahead + 1;
  }

  private track(promise: Promise<unknown>): void {
    const tracked = promise
      .catch((error: unknown) => this.deps.logger.warn({ err: error }, 'handoff background work failed'))
      .finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }
}

/** Where the conversation's customer is reached (its stored reference), if known. */
function targetFrom(conversation: ConversationDoc): DeliveryTarget | undefined {
  if (!conversation.reference) return undefined;
  return {
    conversationId: conversation._id,
    channel: conversation.channel,
    reference: JSON.parse(conversation.reference) as unknown,
  };
}

function heldBy(doc: HandoffDoc, who: AgentRef): ConflictError {
  if (doc.state === 'with_agent' && doc.agent) {
    if (doc.agent.agentId === who.agentId)
      return new ConflictError('You already have this conversation.', { holder: doc.agent });
    return new ConflictError(`${doc.agent.name} already has this conversation.`, { holder: doc.agent });
  }
  if (doc.state === 'queued')
    return new ConflictError('Claim the conversation before replying.', { state: doc.state });
  return new ConflictError('This conversation is closed.', { state: doc.state });
}

function parseAgent(agent: AgentRef): AgentRef {
  return parseOr(agentSchema, agent, 'Agent');
}

function parseOr<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new ValidationError(`${what}: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`);
  }
  return parsed.data;
}

function normaliseContext(context: Partial<HandoffContext>): HandoffContext {
  return {
    ...context,
    troubleshooting: context.troubleshooting ?? [],
    photos: context.photos ?? [],
  };
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 140 ? `${flat.slice(0, 139)}…` : flat;
}

function viewOf(doc: HandoffDoc, position?: number): HandoffView {
  return {
    handoffId: doc._id,
    conversationId: doc.conversationId,
    channel: doc.channel,
    state: doc.state,
    reason: doc.reason,
    ...(doc.language ? { language: doc.language } : {}),
    queuedAt: doc.queuedAt,
    ...(doc.claimedAt ? { claimedAt: doc.claimedAt } : {}),
    ...(doc.closedAt ? { closedAt: doc.closedAt } : {}),
    ...(doc.agent ? { agent: doc.agent } : {}),
    summary: doc.summary,
    context: doc.context,
    afterHours: doc.afterHours,
    ...(position !== undefined ? { position } : {}),
  };
}

function entryOf(doc: TranscriptDoc): TranscriptEntry {
  return {
    seq: doc.seq,
    messageId: doc._id,
    conversationId: doc.conversationId,
    at: doc.at,
    from: doc.from,
    ...(doc.agentName ? { agentName: doc.agentName } : {}),
    ...(doc.agentId ? { agentId: doc.agentId } : {}),
    text: doc.text,
    ...(doc.attachments ? { attachments: doc.attachments } : {}),
    ...(doc.status ? { status: doc.status } : {}),
    ...(doc.undelivered ? { undelivered: doc.undelivered } : {}),
  };
}

function isDuplicateKey(error: unknown): boolean {
  return (error as { code?: unknown }).code === 11000;
}

/**
 * An unordered insert whose only failures are duplicate keys (every other document went in): the
 * indexes of the documents already there; undefined for any other failure.
 */
function duplicateIndexes(error: unknown): number[] | undefined {
  const writeErrors = (error as { writeErrors?: unknown }).writeErrors;
  if (writeErrors === undefined) return undefined;
  const list: unknown[] = Array.isArray(writeErrors) ? writeErrors : [writeErrors];
  if (list.length === 0 || !list.every(isDuplicateKey)) return undefined;
  return list.map((one) => Number((one as { index?: unknown }).index));
}

function customerDoc(id: string, input: CustomerMessageInput, seq: number, now: Date): TranscriptDoc {
  return {
    _id: input.messageId ? `${id}:${input.messageId}` : randomUUID(),
    conversationId: id,
    seq,
    at: now,
    from: 'customer',
    text: input.text.slice(0, MAX_TEXT),
    ...(input.attachments && input.attachments.length > 0 ? { attachments: input.attachments } : {}),
  };
}

function conversationChanges(input: CustomerMessageInput, now: Date): ConversationChanges {
  const text = input.text.slice(0, MAX_TEXT);
  return {
    lastActivityAt: now,
    ...(text.trim() !== '' ? { lastCustomerText: oneLine(text) } : {}),
    ...(input.reference !== undefined ? { reference: JSON.stringify(input.reference) } : {}),
    ...(input.channel ? { channel: input.channel } : {}),
  };
}

function botDocs(
  turn: TranscriptTurn,
  texts: readonly string[],
  seqs: readonly number[],
  now: Date,
): TranscriptDoc[] {
  return texts.map((text, index) => ({
    _id: `${turn.idPrefix}:bot:${index}`,
    conversationId: turn.conversationId,
    seq: seqs[index] ?? 0,
    at: now,
    from: 'bot',
    text: text.slice(0, MAX_TEXT),
  }));
}
