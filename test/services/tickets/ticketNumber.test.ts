import { strict as assert } from 'node:assert';
import { TICKET_NUMBER_ALPHABET, generateTicketNumber } from '../../../src/services/tickets/ticketNumber';
import { TICKET_NUMBER_PATTERN, ticketNumberSchema } from '../../../src/services/tickets/types';

describe('ticket numbers', () => {
  it('when generated, they read CK- and 8 unambiguous upper-case letters or digits', () => {
    for (let index = 0; index < 2_000; index += 1) {
      const number = generateTicketNumber();
      assert.match(number, TICKET_NUMBER_PATTERN);
      assert.match(number, /^CK-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}$/);
    }
    assert.doesNotMatch(TICKET_NUMBER_ALPHABET, /[01OIL]/);
  });

  it('when 20,000 are generated, none repeats and every character of the alphabet is used', () => {
    const numbers = new Set(Array.from({ length: 20_000 }, () => generateTicketNumber()));
    assert.equal(numbers.size, 20_000);
    const used = new Set([...numbers].flatMap((number) => [...number.slice(3)]));
    assert.equal(used.size, TICKET_NUMBER_ALPHABET.length);
  });

  it('when a customer types one loosely, it is normalised; anything else is refused', () => {
    assert.equal(ticketNumberSchema.parse(' ck-7k3p9qx '), 'CK-7K3P9QX');
    assert.equal(ticketNumberSchema.parse('CK 7K3P 9QX'), 'CK-7K3P9QX');
    assert.equal(ticketNumberSchema.parse('ck7k3p9qx'), 'CK-7K3P9QX');
    for (const bad of ['7K3P9QX', 'CK-12345', 'CK-ABCDEFGHIJK', 'CK-7K3P9Q!', '']) {
      assert.equal(ticketNumberSchema.safeParse(bad).success, false, bad);
    }
  });
});
