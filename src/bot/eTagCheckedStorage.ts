import type { Storage, StoreItem, StoreItems } from 'botbuilder';
import { hasStoredText, type StoredText } from '../services/store/mongoStorage';

/**
 * Makes botbuilder's BotState use optimistic concurrency. BotState.saveChanges always writes with
 * eTag '*' (last writer wins), so two turns of one conversation running at once would silently
 * lose one turn's answers. This storage remembers the eTag each state object was read with and
 * writes with it instead, so the slower turn fails with the storage's eTag conflict (and the
 * customer is asked to resend) rather than overwriting the other.
 *
 * The state object BotState writes is the very object read from storage, which is what the
 * WeakMap keys on; state created in this turn (a new conversation) still writes with '*'.
 */
export class ETagCheckedStorage implements Storage, StoredText {
  private readonly readWith = new WeakMap<object, string>();

  constructor(private readonly inner: Storage) {}

  async read(keys: string[]): Promise<StoreItems> {
    const items = await this.inner.read(keys);
    for (const item of Object.values(items) as Array<StoreItem | undefined>) {
      if (item && typeof item.eTag === 'string' && item.eTag !== '*') this.readWith.set(item, item.eTag);
    }
    return items;
  }

  async write(changes: StoreItems): Promise<void> {
    const checked: StoreItems = {};
    const written: object[] = [];
    for (const [key, item] of Object.entries(changes) as Array<[string, StoreItem | undefined]>) {
      const eTag = item ? this.readWith.get(item) : undefined;
      checked[key] = item && item.eTag === '*' && eTag ? { ...item, eTag } : item;
      if (item) written.push(item);
    }
    await this.inner.write(checked);
    // The stored eTag has changed; a second save in the same turn overwrites deliberately.
    for (const item of written) this.readWith.delete(item);
  }

  /** The inner storage's text of an item it read (items pass through unchanged). */
  storedText(item: object): string | undefined {
    return hasStoredText(this.inner) ? this.inner.storedText(item) : undefined;
  }

  delete(keys: string[]): Promise<void> {
    return this.inner.delete(keys);
  }
}
