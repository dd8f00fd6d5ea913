import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  DEFAULT_TICKET_SMS_FILE,
  SMS_SOFT_LIMIT,
  TicketSmsComposer,
  renderTicketSms,
} from '../../../src/services/notifications/ticketMessages';
import { NOTIFICATION_EVENTS } from '../../../src/services/tickets/types';

const mailingAddress = {
  recipient: 'CarlinKit After-sales',
  line1: '3F, Building B, Yunlian Industrial Park',
  line2: 'Zhongkai Hi-tech Zone',
  city: 'Huizhou',
  region: 'Guangdong',
  postalCode: '516000',
  country: 'China',
  phone: '+867522000000',
};

describe('ticket SMS texts', () => {
  it('when a repair is approved, the SMS carries the ticket number and the whole mailing address', () => {
    const body = renderTicketSms('approved', {
      ticketNumber: 'CK-7K3P9QX',
      productModel: 'CPC200-CCPA',
      mailingAddress,
    });
    assert.equal(
      body,
      'CarlinKit: repair CK-7K3P9QX is approved. Please mail your CPC200-CCPA to: CarlinKit After-sales, 3F, Building B, Yunlian Industrial Park, Zhongkai Hi-tech Zone, Huizhou, Guangdong 516000, China, tel +867522000000. Write CK-7K3P9QX on the parcel.',
    );
    assert.ok(body.length <= SMS_SOFT_LIMIT);
  });

  it('when shipped, the SMS carries the carrier and tracking number', () => {
    const body = renderTicketSms('shipped', {
      ticketNumber: 'CK-7K3P9QX',
      productModel: '2air',
      outboundTrackingNumber: 'SF1234567890',
      carrier: 'SF Express',
    });
    assert.match(body, /SF Express SF1234567890/);
    assert.match(body, /your repaired 2air/);
  });

  it('when a free-text reason is very long, it is shortened so the SMS stays within 320 characters', () => {
    const reason = 'water damage on the main board '.repeat(30);
    for (const event of ['rejected', 'quote', 'cancelled'] as const) {
      const body = renderTicketSms(event, {
        ticketNumber: 'CK-7K3P9QX',
        productModel: 'Tbox Plus',
        rejectionReason: reason,
        cancellationReason: reason,
        quote: { formatted: 'USD 35.00', reason },
      });
      assert.ok(body.length <= SMS_SOFT_LIMIT, `${event}: ${body.length}`);
      assert.match(body, /CK-7K3P9QX/);
      assert.match(body, /…/);
    }
  });

  it('when any event is rendered, it names the ticket and fits in two SMS segments', () => {
    for (const event of NOTIFICATION_EVENTS) {
      const body = renderTicketSms(event, {
        ticketNumber: 'CK-7K3P9QX',
        productModel: 'CPC200-U2W Plus',
        mailingAddress,
        rejectionReason: 'solved by troubleshooting',
        cancellationReason: 'no longer needed',
        expectedCompletion: '2026-12-04',
        quote: { formatted: 'USD 25.00', reason: 'cracked housing' },
        outboundTrackingNumber: 'SF1234567890',
      });
      assert.match(body, /CK-7K3P9QX/, event);
      assert.ok(body.length <= SMS_SOFT_LIMIT, `${event}: ${body.length}`);
    }
  });
});

describe('ticket SMS wording file', () => {
  const shipped = JSON.parse(readFileSync(DEFAULT_TICKET_SMS_FILE, 'utf8')) as Record<string, string>;
  let dir: string;

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ticket-sms-'));
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const write = (texts: Record<string, unknown>): string => {
    const file = path.join(dir, `texts-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(texts));
    return file;
  };

  it('when support staff change a wording, the SMS says the new words', () => {
    const composer = TicketSmsComposer.load(
      write({ ...shipped, closed: 'CarlinKit: {ticketNumber} is done. Thanks!' }),
    );
    assert.equal(
      composer.compose('closed', { ticketNumber: 'CK-7K3P9QX', productModel: '2air' }),
      'CarlinKit: CK-7K3P9QX is done. Thanks!',
    );
  });

  it('when a text drops the ticket number, uses an unknown placeholder or a text is missing, loading fails naming each problem', () => {
    const file = write({
      ...shipped,
      registered: 'CarlinKit: we got your request.',
      approved: 'CarlinKit: {ticketNumber} mail to {mailingAddress} by {deadline}',
      closed: undefined,
    });
    assert.throws(
      () => TicketSmsComposer.load(file),
      (error: Error) =>
        /registered: must contain \{ticketNumber\}/.test(error.message) &&
        /approved: unknown placeholder \{deadline\}/.test(error.message) &&
        /closed/.test(error.message),
    );
  });
});
