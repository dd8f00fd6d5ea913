import type { OutboxDoc } from './ticketModel';

/**
 * When the dispatcher next needs to look at a ticket's outbox: the earliest retry of a pending
 * entry or the end of a lease on a 'sending' one (a dispatcher that died mid-send). Undefined when
 * nothing is waiting, so the ticket drops out of the dispatcher's index range.
 */
export function outboxDueAt(outbox: readonly OutboxDoc[]): Date | undefined {
  let due: number | undefined;
  for (const entry of outbox) {
    const at =
      entry.status === 'pending'
        ? (entry.nextAttemptAt ?? entry.createdAt).getTime()
        : entry.status === 'sending'
          ? entry.leaseUntil?.getTime()
          : undefined;
    if (at !== undefined && (due === undefined || at < due)) due = at;
  }
  return due === undefined ? undefined : new Date(due);
}

/** The $set/$unset pair that stores `outbox` and its due time. */
export function outboxUpdate(outbox: OutboxDoc[]): {
  set: { outbox: OutboxDoc[]; outboxDueAt?: Date };
  unset: { outboxDueAt?: 1 };
} {
  const due = outboxDueAt(outbox);
  return due
    ? { set: { outbox, outboxDueAt: due }, unset: {} }
    : { set: { outbox }, unset: { outboxDueAt: 1 } };
}
