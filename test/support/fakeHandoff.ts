import { ConflictError, ForbiddenError, NotFoundError } from '../../src/services/errors';
import type { HandoffConsole } from '../../src/bot/routes/agentConsoleRoutes';
import type {
  AgentRef,
  ConversationView,
  HandoffEvent,
  HandoffListener,
  HandoffView,
  LiveConversation,
  TranscriptEntry,
} from '../../src/services/handoff/types';

type Distributive<T> = T extends unknown ? Omit<T, 'seq' | 'at' | 'handoffId' | 'conversationId'> : never;

/**
 * An in-memory stand-in for the handoff service with the same rules the console relies on (one
 * holder; only the holder replies; closed is final), recording every call that changed something.
 * For the console's HTTP and socket tests; the real service has its own tests.
 */
export class FakeHandoff implements HandoffConsole {
  readonly changes: string[] = [];
  private readonly conversations = new Map<string, ConversationView>();
  private readonly listeners = new Set<HandoffListener>();
  private seq = 0;

  subscribe(listener: HandoffListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A customer escalates: queued with this summary and a first customer message. */
  escalate(conversationId: string, summary: string, overrides: Partial<HandoffView> = {}): HandoffView {
    const handoff: HandoffView = {
      handoffId: `h-${conversationId}`,
      conversationId,
      channel: 'webchat',
      state: 'queued',
      reason: 'asked',
      queuedAt: new Date(),
      summary,
      context: { troubleshooting: [], photos: [] },
      afterHours: false,
      ...overrides,
    };
    this.conversations.set(conversationId, {
      conversationId,
      channel: handoff.channel,
      handoff,
      transcript: [],
      history: [],
    });
    this.emit(conversationId, { type: 'queued', handoff });
    this.customerSays(conversationId, summary);
    return handoff;
  }

  customerSays(conversationId: string, text: string): TranscriptEntry {
    return this.addEntry(conversationId, 'customer', text);
  }

  queue(): Promise<HandoffView[]> {
    return Promise.resolve(
      [...this.conversations.values()]
        .map((conversation) => conversation.handoff)
        .filter((handoff): handoff is HandoffView => handoff !== undefined && handoff.state !== 'closed'),
    );
  }

  get(conversationId: string): Promise<ConversationView | undefined> {
    return Promise.resolve(this.conversations.get(conversationId));
  }

  liveConversations(): Promise<LiveConversation[]> {
    return Promise.resolve([]);
  }

  claim(conversationId: string, agent: AgentRef): Promise<void> {
    const handoff = this.handoff(conversationId);
    if (handoff.state === 'closed') throw new ConflictError('This conversation is closed');
    if (handoff.state === 'with_agent')
      throw new ConflictError(`${handoff.agent?.name ?? 'Another agent'} already has this conversation`, {
        holder: handoff.agent,
      });
    return this.holdBy(conversationId, agent, 'claim');
  }

  takeOver(conversationId: string, agent: AgentRef): Promise<void> {
    const handoff = this.handoff(conversationId);
    if (handoff.state === 'closed') throw new ConflictError('This conversation is closed');
    return this.holdBy(conversationId, agent, 'take-over');
  }

  reply(conversationId: string, agent: AgentRef, text: string): Promise<TranscriptEntry> {
    this.requireHolder(conversationId, agent);
    this.changes.push(`reply ${conversationId}`);
    return Promise.resolve(this.addEntry(conversationId, 'agent', text, agent));
  }

  typing(conversationId: string, agent: AgentRef): Promise<void> {
    this.requireHolder(conversationId, agent);
    this.emit(conversationId, { type: 'typing', agent });
    return Promise.resolve();
  }

  handBack(conversationId: string, agent: AgentRef): Promise<void> {
    return this.end(conversationId, agent, 'handed_back');
  }

  close(conversationId: string, agent: AgentRef): Promise<void> {
    return this.end(conversationId, agent, 'closed');
  }

  transfer(conversationId: string, agent: AgentRef, toAgentId: string): Promise<void> {
    const handoff = this.requireHolder(conversationId, agent);
    const toAgent = { agentId: toAgentId, name: `agent ${toAgentId.slice(-4)}` };
    handoff.agent = toAgent;
    this.changes.push(`transfer ${conversationId}`);
    this.emit(conversationId, { type: 'transferred', agent, toAgent });
    return Promise.resolve();
  }

  private handoff(conversationId: string): HandoffView {
    const handoff = this.conversations.get(conversationId)?.handoff;
    if (!handoff) throw new NotFoundError(`There is no handoff for ${conversationId}`);
    return handoff;
  }

  private requireHolder(conversationId: string, agent: AgentRef): HandoffView {
    const handoff = this.handoff(conversationId);
    if (handoff.state !== 'with_agent' || handoff.agent?.agentId !== agent.agentId)
      throw new ForbiddenError('You do not hold this conversation: claim it first');
    return handoff;
  }

  private holdBy(conversationId: string, agent: AgentRef, change: string): Promise<void> {
    const handoff = this.handoff(conversationId);
    handoff.state = 'with_agent';
    handoff.agent = agent;
    handoff.claimedAt = new Date();
    this.changes.push(`${change} ${conversationId}`);
    this.emit(conversationId, { type: 'claimed', agent, takeover: change === 'take-over' });
    return Promise.resolve();
  }

  private end(conversationId: string, agent: AgentRef, type: 'handed_back' | 'closed'): Promise<void> {
    const handoff = this.requireHolder(conversationId, agent);
    handoff.state = 'closed';
    handoff.closedAt = new Date();
    this.changes.push(`${type} ${conversationId}`);
    this.emit(conversationId, { type, agent });
    return Promise.resolve();
  }

  private addEntry(
    conversationId: string,
    from: TranscriptEntry['from'],
    text: string,
    agent?: AgentRef,
  ): TranscriptEntry {
    const conversation = this.conversations.get(conversationId);
    if (!conversation) throw new NotFoundError(`There is no conversation ${conversationId}`);
    const entry: TranscriptEntry = {
      seq: conversation.transcript.length + 1,
      messageId: `${conversationId}-${conversation.transcript.length + 1}`,
      conversationId,
      at: new Date(),
      from,
      text,
      ...(agent ? { agentName: agent.name, agentId: agent.agentId } : {}),
    };
    conversation.transcript.push(entry);
    this.emit(conversationId, {
      type: from === 'agent' ? 'agent_message' : 'customer_message',
      entry,
    });
    return entry;
  }

  private emit(conversationId: string, event: Distributive<HandoffEvent>): void {
    this.seq += 1;
    const full = {
      ...event,
      seq: this.seq,
      at: new Date(),
      conversationId,
      handoffId: `h-${conversationId}`,
    };
    for (const listener of this.listeners) listener(full);
  }
}
