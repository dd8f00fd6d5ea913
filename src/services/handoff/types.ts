/**
 * The handoff's public shapes: what the agent console, the bot's relay and the tests see. Plain
 * data (no mongoose documents), dates as Date.
 */

/** queued: waiting for an agent (or a left message outside hours); with_agent: claimed; closed: over. */
export type HandoffState = 'queued' | 'with_agent' | 'closed';

/** Why the customer was handed off. */
export type HandoffReason = 'asked' | 'repeated_failures' | 'unsolved' | 'agent_takeover' | 'frustrated';

export const HANDOFF_REASONS: readonly HandoffReason[] = [
  'asked',
  'repeated_failures',
  'unsolved',
  'agent_takeover',
  'frustrated',
];

/** Who holds (or did something to) a conversation. */
export interface AgentRef {
  agentId: string;
  name: string;
}

/** What the agent sees at a glance: gathered by the bot when it escalates. */
export interface HandoffContext {
  /** The SMS customer's number, masked (+44 ••• ••• 0123). */
  maskedPhone?: string;
  /** Product id or model the customer named. */
  product?: string;
  carMake?: string;
  /** Troubleshooting steps the customer tried and what they answered. */
  troubleshooting: { step: string; answer: string }[];
  ticket?: { number: string; status: string };
  registrationDraft?: Record<string, string>;
  /** Photo URLs the customer sent in this conversation. */
  photos: string[];
}

export type Channel = 'webchat' | 'sms' | (string & {});

export interface HandoffView {
  handoffId: string;
  conversationId: string;
  channel: Channel;
  state: HandoffState;
  reason: HandoffReason;
  language?: string;
  queuedAt: Date;
  claimedAt?: Date;
  closedAt?: Date;
  /** The agent who holds it (with_agent), or held it last (closed). */
  agent?: AgentRef;
  /** One line for the queue: the customer's last words before the handoff, or the reason. */
  summary: string;
  context: HandoffContext;
  /** Escalated outside SUPPORT_HOURS: a message left for the team. */
  afterHours: boolean;
  /** 1-based place among the waiting conversations (queued only). */
  position?: number;
}

export interface TranscriptAttachment {
  name?: string;
  contentType: string;
  url?: string;
}

export type TranscriptSender = 'customer' | 'bot' | 'agent' | 'system';

export interface TranscriptEntry {
  /** Monotonic within the conversation. */
  seq: number;
  /** Stable id (idempotent delivery). */
  messageId: string;
  conversationId: string;
  at: Date;
  from: TranscriptSender;
  /** Set on agent messages and on system notices about an agent action. */
  agentName?: string;
  agentId?: string;
  text: string;
  attachments?: TranscriptAttachment[];
  /** System notices: the Bot Framework handoff status they stand for (accepted, completed). */
  status?: 'accepted' | 'completed' | 'failed';
  /** Agent and system messages that could not reach the customer, and why (e.g. opted out of SMS). */
  undelivered?: string;
}

/** A conversation with its handoff (if any) and its full transcript, bot part included. */
export interface ConversationView {
  conversationId: string;
  channel: Channel;
  handoff?: HandoffView;
  transcript: TranscriptEntry[];
  /** Agent actions on this conversation (claim, reply, hand back…), oldest first. */
  history: AgentAction[];
}

/** A live bot conversation an agent may open and take over. */
export interface LiveConversation {
  conversationId: string;
  channel: Channel;
  lastActivityAt: Date;
  /** The customer's last message. */
  lastCustomerText?: string;
  handoffState?: HandoffState;
}

export type AgentActionKind = 'claimed' | 'took_over' | 'replied' | 'handed_back' | 'closed' | 'transferred';

export interface AgentAction {
  kind: AgentActionKind;
  agent: AgentRef;
  at: Date;
  /** For transfers: who received it. */
  toAgent?: AgentRef;
}

interface EventBase {
  /** Monotonic across all instances (the handoff_events collection's sequence). */
  seq: number;
  conversationId: string;
  handoffId: string;
  at: Date;
}

export type HandoffEvent =
  | (EventBase & { type: 'queued'; handoff: HandoffView })
  | (EventBase & { type: 'claimed'; agent: AgentRef; takeover: boolean })
  | (EventBase & { type: 'customer_message'; entry: TranscriptEntry })
  | (EventBase & { type: 'agent_message'; entry: TranscriptEntry })
  /** A notice for the customer (agent joined/left, queue position, timeout offer): delivered like an agent message. */
  | (EventBase & { type: 'system_message'; entry: TranscriptEntry })
  | (EventBase & { type: 'handed_back'; agent: AgentRef })
  | (EventBase & { type: 'closed'; agent: AgentRef })
  | (EventBase & { type: 'transferred'; agent: AgentRef; toAgent: AgentRef })
  | (EventBase & { type: 'cancelled' })
  | (EventBase & { type: 'typing'; agent: AgentRef })
  /** An agent or system message could not reach the customer for good (opted out of SMS…). */
  | (EventBase & { type: 'undelivered'; messageId: string; reason: string });

export type HandoffEventType = HandoffEvent['type'];

export type HandoffListener = (event: HandoffEvent) => void;

/** How escalate() went. */
export interface EscalationResult {
  handoffId: string;
  /** 1-based place in the queue. */
  position: number;
  afterHours: boolean;
  /** Outside hours: when the team is back. */
  backAt?: Date;
  /** The conversation was already handed off: nothing new was queued. */
  alreadyHandedOff: boolean;
}

export interface CustomerMessageInput {
  text: string;
  attachments?: TranscriptAttachment[];
  language?: string;
  /** Stable id of the incoming activity, so a retried turn records it once. */
  messageId?: string;
  /** The channel and conversation reference (JSON), kept so an agent can reach the customer later. */
  channel?: Channel;
  reference?: unknown;
}

/** Where a message to the customer goes: the conversation's stored reference and channel. */
export interface DeliveryTarget {
  conversationId: string;
  channel: Channel;
  /** The Bot Framework conversation reference as stored (opaque to the service). */
  reference: unknown;
}

export interface CustomerNotice {
  messageId: string;
  text: string;
  from: 'agent' | 'system';
  agentName?: string;
  /** Bot Framework handoff status this notice stands for (sent as a `handoff.status` event too). */
  status?: 'accepted' | 'completed' | 'failed';
}

/**
 * How the service reaches customers (implemented in src/bot: web chat through the adapter,
 * SMS through the outbound path). Services know nothing of channels beyond this.
 */
export interface CustomerDelivery {
  /** Whether this instance can deliver to the target (web chat: its Direct Line holds the conversation). */
  canDeliver(target: DeliveryTarget): boolean;
  deliver(target: DeliveryTarget, notice: CustomerNotice): Promise<void>;
  /** Typing indicator (web chat only; a no-op elsewhere). */
  typing(target: DeliveryTarget): Promise<void>;
  /** The bot takes the conversation back (asks for a rating when `askRating`). */
  resumeBot(target: DeliveryTarget, options: { handoffId: string; askRating: boolean }): Promise<void>;
}

/** Thrown by a CustomerDelivery when a message can never reach the customer (not retried). */
export class UndeliverableError extends Error {
  constructor(readonly reason: string) {
    super(`undeliverable: ${reason}`);
    this.name = 'UndeliverableError';
  }
}
