import { randomInt } from 'node:crypto';

/**
 * Ticket numbers: "CK-" + 8 characters drawn with a CSPRNG from 31 letters and digits that cannot
 * be misread on a phone screen or over the phone (no 0/O, 1/I/L). 31^8 ≈ 8.5·10^11 numbers, so
 * guessing one is hopeless, and the customer lookup also needs the phone number on the ticket and
 * is rate-limited.
 */
export const TICKET_NUMBER_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const TICKET_NUMBER_LENGTH = 8;

export function generateTicketNumber(length: number = TICKET_NUMBER_LENGTH): string {
  let suffix = '';
  // randomInt draws without modulo bias.
  for (let index = 0; index < length; index += 1)
    suffix += TICKET_NUMBER_ALPHABET[randomInt(TICKET_NUMBER_ALPHABET.length)];
  return `CK-${suffix}`;
}
