import { BACKOFFICE_TOKEN } from './appProcess';

export interface StoredTicket {
  ticketNumber: string;
  createdAt: string;
  product: { serialNumber: string };
  customer: { phone: string };
  origin: { conversationId: string };
}

/** Every ticket in the store, through the back-office API (what support staff see). */
export async function allTickets(baseUrl: string): Promise<StoredTicket[]> {
  const tickets: StoredTicket[] = [];
  for (let page = 1; ; page += 1) {
    const res = await fetch(`${baseUrl}/api/tickets?pageSize=100&page=${page}`, {
      headers: { Authorization: `Bearer ${BACKOFFICE_TOKEN}` },
    });
    if (res.status !== 200) throw new Error(`GET /api/tickets answered ${res.status}: ${await res.text()}`);
    const body = (await res.json()) as { items: StoredTicket[]; total: number };
    tickets.push(...body.items);
    if (body.items.length === 0 || tickets.length >= body.total) return tickets;
  }
}

/** How many tickets the store holds. */
export async function ticketCount(baseUrl: string): Promise<number> {
  const res = await fetch(`${baseUrl}/api/tickets?pageSize=1`, {
    headers: { Authorization: `Bearer ${BACKOFFICE_TOKEN}` },
  });
  if (res.status !== 200) throw new Error(`GET /api/tickets answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { total: number }).total;
}
