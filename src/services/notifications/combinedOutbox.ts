import type { ClaimedNotification, NotificationOutbox } from './notificationOutbox';

/**
 * Several outbox stores seen as one by the dispatcher: the tickets' outbox (kept inside each
 * ticket, written in the same write as the ticket's change) and the message outbox (replies and
 * proactive messages). Claims are taken from each in turn; every other call goes to the store
 * the claim came from.
 */
export class CombinedOutbox implements NotificationOutbox {
  readonly name = 'combined';
  private readonly byName: ReadonlyMap<string, NotificationOutbox>;

  constructor(private readonly stores: readonly NotificationOutbox[]) {
    this.byName = new Map(stores.map((store) => [store.name, store]));
    if (this.byName.size !== stores.length) throw new TypeError('CombinedOutbox: two stores share a name');
  }

  async claimDue(options: {
    now: Date;
    leaseMs: number;
    owner: string;
    limit: number;
  }): Promise<ClaimedNotification[]> {
    const claimed: ClaimedNotification[] = [];
    for (const store of this.stores) {
      const limit = options.limit - claimed.length;
      if (limit <= 0) break;
      claimed.push(...(await store.claimDue({ ...options, limit })));
    }
    return claimed;
  }

  markSent(
    notification: ClaimedNotification,
    result: { providerMessageId: string; at: Date },
  ): Promise<void> {
    return this.storeOf(notification).markSent(notification, result);
  }

  markFailed(
    notification: ClaimedNotification,
    result: { at: Date; error: string } & ({ retryAt: Date } | { final: 'failed' | 'suppressed' }),
  ): Promise<void> {
    return this.storeOf(notification).markFailed(notification, result);
  }

  release(notification: ClaimedNotification, at: Date): Promise<void> {
    return this.storeOf(notification).release(notification, at);
  }

  async renew(notifications: readonly ClaimedNotification[], leaseUntil: Date): Promise<void> {
    for (const store of this.stores) {
      const mine = notifications.filter((notification) => notification.store === store.name);
      if (mine.length > 0) await store.renew(mine, leaseUntil);
    }
  }

  async reclaim(owner: string, now: Date): Promise<number> {
    let reclaimed = 0;
    for (const store of this.stores) reclaimed += await store.reclaim(owner, now);
    return reclaimed;
  }

  private storeOf(notification: ClaimedNotification): NotificationOutbox {
    const store = this.byName.get(notification.store);
    if (!store)
      throw new Error(`No outbox store "${notification.store}" for notification ${notification.id}`);
    return store;
  }
}
