import type { Connection, mongo } from 'mongoose';
import type { AgentActionKind, AgentRef, HandoffContext, HandoffReason, HandoffState } from './types';

/** One per conversation the bot has seen: where to reach the customer, and whether a person has it. */
export interface ConversationDoc {
  _id: string;
  channel: string;
  /** The Bot Framework conversation reference, as JSON text (its keys may hold "$" or "."). */
  reference?: string;
  createdAt: Date;
  lastActivityAt: Date;
  lastCustomerText?: string;
  /** The last transcript seq handed out. */
  seq: number;
  /** Set while a handoff is queued or with an agent: the guard against two at once. */
  activeHandoffId?: string;
}

export interface HandoffDoc {
  _id: string;
  conversationId: string;
  channel: string;
  state: HandoffState;
  reason: HandoffReason;
  language?: string;
  queuedAt: Date;
  claimedAt?: Date;
  closedAt?: Date;
  closedBy?: 'agent' | 'customer' | 'handed_back';
  agent?: AgentRef;
  summary: string;
  context: HandoffContext;
  afterHours: boolean;
  /** Bumped on every state change: claims are conditional on it. */
  version: number;
  timeoutOfferedAt?: Date;
  /** The position the customer was last told (web chat updates). */
  positionTold?: number;
  /** Which instance took the bot's resumption after a hand-back (exactly one runs it). */
  resumeClaim?: string;
}

export interface TranscriptDoc {
  _id: string;
  conversationId: string;
  seq: number;
  at: Date;
  from: 'customer' | 'bot' | 'agent' | 'system';
  agentId?: string;
  agentName?: string;
  text: string;
  attachments?: { name?: string; contentType: string; url?: string }[];
  /** Agent and system messages: the handoff they belong to. */
  handoffId?: string;
  /** Agent and system messages not yet delivered (nor given up on). */
  pending?: boolean;
  /** Agent and system messages: the instance delivering it (exactly one does). */
  deliveryClaim?: string;
  deliveredAt?: Date;
  /** System notices: the Bot Framework handoff status they stand for. */
  status?: 'accepted' | 'completed' | 'failed';
  /** Why delivery was given up (the customer opted out of texts…). */
  undelivered?: string;
}

export interface ActionDoc {
  _id?: mongo.ObjectId;
  conversationId: string;
  handoffId: string;
  kind: AgentActionKind;
  agent: AgentRef;
  toAgent?: AgentRef;
  at: Date;
}

export interface EventDoc {
  _id?: mongo.ObjectId;
  seq: number;
  type: string;
  conversationId: string;
  handoffId: string;
  at: Date;
  /** The event's own fields as JSON text. */
  body: string;
}

export interface CounterDoc {
  _id: string;
  seq: number;
}

export interface HandoffCollections {
  conversations: mongo.Collection<ConversationDoc>;
  handoffs: mongo.Collection<HandoffDoc>;
  transcripts: mongo.Collection<TranscriptDoc>;
  actions: mongo.Collection<ActionDoc>;
  events: mongo.Collection<EventDoc>;
  counters: mongo.Collection<CounterDoc>;
}

export function handoffCollections(connection: Connection): HandoffCollections {
  return {
    conversations: connection.collection<ConversationDoc>('handoff_conversations'),
    handoffs: connection.collection<HandoffDoc>('handoffs'),
    transcripts: connection.collection<TranscriptDoc>('handoff_transcripts'),
    actions: connection.collection<ActionDoc>('handoff_actions'),
    events: connection.collection<EventDoc>('handoff_events'),
    counters: connection.collection<CounterDoc>('handoff_counters'),
  };
}
