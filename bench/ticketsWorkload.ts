/** The ticket workload bench:tickets and its load process share: one customer's registration and a full lifecycle. */
import type { RegistrationInput, TicketAction } from '../src/services/tickets/types';

const MAILING_ADDRESS = {
  recipient: 'CarlinKit After-sales',
  line1: '3F, Building B, Yunlian Industrial Park',
  city: 'Huizhou',
  region: 'Guangdong',
  postalCode: '516000',
  country: 'China',
};

export const STEPS: TicketAction[] = [
  { type: 'review' },
  { type: 'approve', mailingAddress: MAILING_ADDRESS },
  { type: 'receive', inboundTrackingNumber: '1Z999AA10123456784' },
  { type: 'inspect' },
  { type: 'repair', finding: 'Faulty Wi-Fi module' },
  { type: 'ship', outboundTrackingNumber: 'SF1234567890', carrier: 'SF Express' },
  { type: 'close' },
];

export function phoneFor(index: number): string {
  return `+1415${String(5_000_000 + index).padStart(7, '0')}`;
}

export function registration(index: number): RegistrationInput {
  return {
    product: {
      productId: 'cpc200-ccpa',
      serialNumber: `CCPA${index}`,
      purchaseDate: '2026-01-15',
      purchasedFrom: 'Amazon US',
      faultCategory: 'connection',
      faultDescription: 'CarPlay drops every few minutes.',
      troubleshootingTried: ['updated firmware'],
    },
    customer: {
      name: `Customer ${index}`,
      phone: phoneFor(index),
      email: `customer${index}@example.com`,
      returnAddress: {
        line1: '1 Market St',
        city: 'San Francisco',
        region: 'CA',
        postalCode: '94105',
        country: 'US',
      },
    },
    origin: { channel: 'webchat', conversationId: `bench-${index}` },
  };
}

/** Runs `task(0..count-1)` with at most `concurrency` in flight. */
export async function pool(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      for (let index = next++; index < count; index = next++) await task(index);
    }),
  );
}
