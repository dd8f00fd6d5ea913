import type { Connection } from 'mongoose';
import { agentSessionModel } from '../agents/sessionModel';
import { handoffCollections } from '../handoff/handoffModels';
import type { HandoffView } from '../handoff/types';
import { ticketModel } from '../tickets/ticketModel';

/** What a supervisor sees at a glance: today's figures since local midnight (UTC here). */
export interface SupervisorOverviewView {
  since: string;
  conversations: {
    /** Conversations the bot state shows active today (any channel). */
    total: number;
    /** Neither handed off nor ended in a repair ticket. */
    solvedByBot: number;
    handedOff: number;
    ticketCreated: number;
  };
  /** Queue waits of today's handoffs that an agent claimed, in seconds; null when there are none. */
  queueWaitSeconds: { median: number | null; p90: number | null; waiting: number };
  /** Average customer rating (1–5) given today; null when nobody rated. */
  averageRating: { value: number | null; count: number };
  agentsOnline: Array<{ agentId: string; name: string; load: number }>;
  /** Conversations handed off today, by the language recorded at the handoff ('unknown' when none). */
  byLanguage: Record<string, number>;
}

/** What the figures need of a handoff. */
export type HandoffFigures = Pick<
  HandoffView,
  'conversationId' | 'state' | 'language' | 'queuedAt' | 'claimedAt' | 'agent'
>;

export interface SupervisorOverviewDeps {
  connection: Connection;
  /** Today's handoffs and those still open; default: read from the handoff service's collection. */
  handoffsSince?(since: Date): Promise<HandoffFigures[]>;
  /** Agents holding a console open on any instance, with their names. */
  agentNames(ids: readonly string[]): Promise<Map<string, string>>;
  /** Bot state collection (MongoStorage), for conversations active today. */
  stateCollection?: string;
  clock?: { now(): Date };
}

/** The value below which `fraction` of the sorted values fall (nearest rank). */
export function percentile(sorted: readonly number[], fraction: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(fraction * sorted.length)));
  return sorted[rank - 1] ?? null;
}

/** Today's figures for the supervisor view, read from the store (so every instance agrees). */
export class SupervisorOverview {
  constructor(private readonly deps: SupervisorOverviewDeps) {}

  async today(): Promise<SupervisorOverviewView> {
    const now = this.deps.clock?.now() ?? new Date();
    const since = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    const { connection } = this.deps;
    const [handoffs, conversationIds, ticketConversations, ratings, sessions] = await Promise.all([
      this.deps.handoffsSince ? this.deps.handoffsSince(since) : this.handoffsSince(since),
      this.activeConversations(since),
      ticketModel(connection).distinct('origin.conversationId', { createdAt: { $gte: since } }),
      connection
        .collection('satisfactionratings')
        .find({ createdAt: { $gte: since } }, { projection: { rating: 1 } })
        .toArray(),
      agentSessionModel(connection)
        .find({ expiresAt: { $gt: now } }, { agentId: 1 })
        .lean(),
    ]);

    const handedOff = new Set(handoffs.map((handoff) => handoff.conversationId));
    const ticketed = new Set(ticketConversations.map(String));
    const all = new Set([...conversationIds, ...handedOff, ...ticketed]);
    let solvedByBot = 0;
    for (const id of all) if (!handedOff.has(id) && !ticketed.has(id)) solvedByBot += 1;

    const waits = handoffs
      .filter((handoff) => handoff.claimedAt !== undefined)
      .map(
        (handoff) => (new Date(handoff.claimedAt!).getTime() - new Date(handoff.queuedAt).getTime()) / 1000,
      )
      .sort((a, b) => a - b);

    const values = ratings
      .map((doc) => Number((doc as { rating?: unknown }).rating))
      .filter((value) => Number.isFinite(value));
    const average =
      values.length === 0
        ? null
        : Math.round((values.reduce((sum, value) => sum + value, 0) / values.length) * 100) / 100;

    const load = new Map<string, number>();
    for (const handoff of handoffs)
      if (handoff.state === 'with_agent' && handoff.agent)
        load.set(handoff.agent.agentId, (load.get(handoff.agent.agentId) ?? 0) + 1);
    const onlineIds = [...new Set(sessions.map((session) => String(session.agentId)))];
    const names = await this.deps.agentNames(onlineIds);
    const agentsOnline = onlineIds
      .filter((id) => names.has(id))
      .map((id) => ({ agentId: id, name: names.get(id) ?? id, load: load.get(id) ?? 0 }))
      .sort((a, b) => b.load - a.load || a.name.localeCompare(b.name));

    const byLanguage: Record<string, number> = {};
    for (const handoff of handoffs) {
      const language = handoff.language ?? 'unknown';
      byLanguage[language] = (byLanguage[language] ?? 0) + 1;
    }

    return {
      since: since.toISOString(),
      conversations: {
        total: all.size,
        solvedByBot,
        handedOff: handedOff.size,
        ticketCreated: ticketed.size,
      },
      queueWaitSeconds: {
        median: roundOrNull(percentile(waits, 0.5)),
        p90: roundOrNull(percentile(waits, 0.9)),
        waiting: handoffs.filter((handoff) => handoff.state === 'queued').length,
      },
      averageRating: { value: average, count: values.length },
      agentsOnline,
      byLanguage,
    };
  }

  private async handoffsSince(since: Date): Promise<HandoffFigures[]> {
    const docs = await handoffCollections(this.deps.connection)
      .handoffs.find(
        { $or: [{ queuedAt: { $gte: since } }, { state: { $ne: 'closed' } }] },
        { projection: { conversationId: 1, state: 1, language: 1, queuedAt: 1, claimedAt: 1, agent: 1 } },
      )
      .toArray();
    return docs.map((doc) => ({
      conversationId: doc.conversationId,
      state: doc.state,
      queuedAt: doc.queuedAt,
      ...(doc.language ? { language: doc.language } : {}),
      ...(doc.claimedAt ? { claimedAt: doc.claimedAt } : {}),
      ...(doc.agent ? { agent: doc.agent } : {}),
    }));
  }

  /** Conversation ids active today: the handoff service's record, and bot state (keys look like `<channel>/conversations/<id>`). */
  private async activeConversations(since: Date): Promise<string[]> {
    const [docs, recorded] = await Promise.all([
      this.deps.connection
        .collection<{ _id: string }>(this.deps.stateCollection ?? 'botstate')
        .find({ updatedAt: { $gte: since } }, { projection: { _id: 1 } })
        .toArray(),
      // The handoff service records every conversation it sees (transcripts), with its last activity.
      handoffCollections(this.deps.connection)
        .conversations.find({ lastActivityAt: { $gte: since } }, { projection: { _id: 1 } })
        .toArray(),
    ]);
    const ids: string[] = recorded.map((doc) => doc._id);
    for (const doc of docs) {
      const match = /^[^/]+\/conversations\/(.+)$/.exec(String(doc._id));
      if (match?.[1]) ids.push(match[1]);
    }
    return ids;
  }
}

function roundOrNull(value: number | null): number | null {
  return value === null ? null : Math.round(value * 10) / 10;
}
