import { strict as assert } from 'node:assert';
import { parseAddress } from '../../../src/services/extraction/address';
import {
  SlotExtractor,
  type ExtractedSlots,
  type ExtractionContext,
} from '../../../src/services/extraction/slotExtractor';
import { ProductCatalogue } from '../../../src/services/knowledge/productCatalogue';
import { loadCarMakes } from '../../../src/services/recognition/carMakes';

const aliases = new Map<string, string>();
for (const make of loadCarMakes())
  for (const alias of [make.name.toLowerCase(), ...make.aliases]) aliases.set(alias, make.name);
const extractor = new SlotExtractor({ catalogue: ProductCatalogue.load(), carMakes: aliases });
// Late in 2026, so the example dates (August, November 2026) are in the past.
const now = new Date('2026-12-01T10:00:00Z');

/** What a field must be (a value), or must not be found at all (undefined). */
type Expect = Partial<Record<keyof ExtractedSlots, unknown>>;
type Row = [string, Partial<ExtractionContext>, Expect];

const date = (value: string): { date: string } => ({ date: value });

const rows: Row[] = [
  // A value inside a sentence is taken.
  ['ok found it on the bottom, U2WP22C118834', { asked: 'serial' }, { serialNumber: 'U2WP22C118834' }],
  ['S/N: 2024 0815 77', { asked: 'serial' }, { serialNumber: '2024081577' }],
  // A sentence is never a value.
  [
    'like i said 3 months ago',
    { asked: 'serial' },
    { serialNumber: undefined, purchaseDate: date('2026-09-01') },
  ],
  ['REFUND!!!', {}, { carMake: undefined, name: undefined, productId: undefined }],
  ['skip', { asked: 'address' }, { address: undefined }],
  ['I already gave you that above', { asked: 'name' }, { name: undefined }],
  ['i just gave you the whole address', { asked: 'address' }, { address: undefined }],
  ['here is a photo of the label', { asked: 'name' }, { name: undefined, serialNumber: undefined }],
  ['call me on (415) 555-0134', { locale: 'en-US' }, { phone: '+14155550134', name: undefined }],
  ['CPC200-CCPA', {}, { productId: 'cpc200-ccpa', serialNumber: undefined }],
  ['my iPhone15 keeps dropping', {}, { serialNumber: undefined, phoneModel: 'iPhone15' }],
  // Dates as people write them, day/month order from the locale.
  ['3 months ago', {}, { purchaseDate: date('2026-09-01') }],
  ['the screen goes black after a minute', {}, { purchaseDate: undefined, faultCategory: 'display' }],
  [
    'My CarlinKit 4.0 the screen goes black after a minute',
    {},
    { faultDescription: 'My CarlinKit 4.0 the screen goes black after a minute' },
  ],
  ['mid october', {}, { purchaseDate: date('2026-10-15') }],
  ['nov 3rd', {}, { purchaseDate: date('2026-11-03') }],
  ['03.08.2026', { locale: 'de-DE' }, { purchaseDate: date('2026-08-03') }],
  ['12 mars 2026', { locale: 'fr-FR' }, { purchaseDate: date('2026-03-12') }],
  ['11/03/2026', { locale: 'en-US' }, { purchaseDate: date('2026-11-03') }],
  ['11/03/2026', { locale: 'en-GB' }, { purchaseDate: date('2026-03-11') }],
  ['11/03/2026', {}, { purchaseDate: undefined, dateAmbiguous: true }],
  // Phones in national format with the country from the locale or a known country.
  ['(415) 555-0134', { locale: 'en-US' }, { phone: '+14155550134' }],
  ['07911 123456', { country: 'United Kingdom' }, { phone: '+447911123456' }],
  ['07911 123456', {}, { phone: undefined }],
  // Names, corrections.
  ['my name is Mike Ross, not mike', {}, { name: 'Mike Ross', correction: true }],
  ['Jane Doe', { asked: 'name' }, { name: 'Jane Doe' }],
  ["I'm frustrated", {}, { name: undefined }],
  ["actually it's the 2air, not the U2W Plus", {}, { productId: '2air', correction: true }],
  ['change the address', {}, { change: ['address'] }],
  // The main menu's words, not a change request (it cleared the fault troubleshooting had found).
  ['Fix a problem', {}, { change: undefined }],
  ["I don't have a serial number", { asked: 'serial' }, { noSerial: true, serialNumber: undefined }],
  // Shops, orders, car makes, e-mails.
  ['bought it on amazon', {}, { purchasedFrom: 'Amazon' }],
  ['order number 8123456789012345', {}, { orderNumber: '8123456789012345' }],
  ['in my vw golf', {}, { carMake: 'Volkswagen' }],
  ['jane@example.com', {}, { email: 'jane@example.com' }],
];

describe('SlotExtractor', () => {
  for (const [text, context, expected] of rows) {
    it(`when the message is "${text}" (${JSON.stringify(context)}), it finds ${JSON.stringify(expected)}`, () => {
      const slots = extractor.extract(text, { now, ...context });
      for (const [key, value] of Object.entries(expected)) {
        const actual = slots[key as keyof ExtractedSlots];
        if (value === undefined) assert.equal(actual, undefined, `${key} must not be found`);
        else if (key === 'purchaseDate')
          assert.equal((actual as { date: string } | undefined)?.date, (value as { date: string }).date);
        else assert.deepEqual(actual, value, key);
      }
    });
  }

  it('when everything is in one message, it finds every field', () => {
    const slots = extractor.extract(
      "Hi, my U2W Plus keeps disconnecting from my iPhone 15 in my Toyota. Serial U2WP22C118834, bought 4 Sep 2026 on Amazon, order 113-4567890-1234567. I'm Jane Doe, +1 415 555 0100, jane@example.com, address: 500 Market Street, Apt 4, San Francisco, CA 94105, United States",
      { now },
    );
    assert.equal(slots.productId, 'u2w-plus');
    assert.equal(slots.serialNumber, 'U2WP22C118834');
    assert.equal(slots.purchaseDate?.date, '2026-09-04');
    assert.equal(slots.purchasedFrom, 'Amazon');
    assert.equal(slots.orderNumber, '113-4567890-1234567');
    assert.equal(slots.faultCategory, 'connection');
    assert.equal(slots.carMake, 'Toyota');
    assert.equal(slots.phoneModel, 'iPhone 15');
    assert.equal(slots.name, 'Jane Doe');
    assert.equal(slots.phone, '+14155550100');
    assert.equal(slots.email, 'jane@example.com');
    assert.deepEqual(slots.address, {
      line1: '500 Market Street',
      line2: 'Apt 4',
      city: 'San Francisco',
      region: 'CA',
      postalCode: '94105',
      country: 'United States',
      countryCode: 'US',
    });
  });
});

describe('parseAddress', () => {
  const cases: Array<[string, string | undefined, ReturnType<typeof parseAddress>]> = [
    [
      '12 rue de la Paix\n75002 Paris\nFrance',
      undefined,
      {
        ok: true,
        address: {
          line1: '12 rue de la Paix',
          city: 'Paris',
          postalCode: '75002',
          country: 'France',
          countryCode: 'FR',
        },
      },
    ],
    [
      // The junk line the issue found stored on a ticket is dropped; the country is matched without accents.
      '12 rue de la Paix, already included above, Paris, Île-de-France, 75002, FRANCE',
      undefined,
      {
        ok: true,
        address: {
          line1: '12 rue de la Paix',
          city: 'Paris',
          region: 'Île-de-France',
          postalCode: '75002',
          country: 'France',
          countryCode: 'FR',
        },
      },
    ],
    [
      'Hauptstraße 5, 10115 Berlin',
      'DE',
      {
        ok: true,
        address: {
          line1: 'Hauptstraße 5',
          city: 'Berlin',
          postalCode: '10115',
          country: 'Germany',
          countryCode: 'DE',
        },
      },
    ],
    ['1 Main St, Springfield 62701', undefined, { ok: false, problem: 'country' }],
    ['12 rue de la Paix, Paris 123, France', undefined, { ok: false, problem: 'postalCode' }],
  ];
  for (const [block, country, expected] of cases) {
    it(`when the block is ${JSON.stringify(block)}, it gives ${expected.ok ? 'the lines' : expected.problem}`, () => {
      assert.deepEqual(parseAddress(block, country), expected);
    });
  }
});
