import type { DirectLineActivity, StoredActivity } from './directLineStore';

export type FeedEvent =
  | { readonly kind: 'stored'; readonly entry: StoredActivity }
  /** Typing indicators: pushed live, never written to the log (Direct Line does the same). */
  | { readonly kind: 'ephemeral'; readonly activity: DirectLineActivity }
  /** The customer ended the chat: its streams close. */
  | { readonly kind: 'ended' };

export type FeedListener = (event: FeedEvent) => void;

/**
 * In-process fan-out of a conversation's new activities to its open WebSockets. The log in the store
 * is the truth; this only saves the stream from polling it.
 */
export class ConversationFeed {
  private readonly listeners = new Map<string, Set<FeedListener>>();

  subscribe(conversationId: string, listener: FeedListener): () => void {
    let set = this.listeners.get(conversationId);
    if (!set) {
      set = new Set();
      this.listeners.set(conversationId, set);
    }
    set.add(listener);
    return () => {
      const current = this.listeners.get(conversationId);
      if (!current) return;
      current.delete(listener);
      if (current.size === 0) this.listeners.delete(conversationId);
    };
  }

  publish(conversationId: string, event: FeedEvent): void {
    for (const listener of [...(this.listeners.get(conversationId) ?? [])]) listener(event);
  }

  get size(): number {
    let count = 0;
    for (const set of this.listeners.values()) count += set.size;
    return count;
  }
}
