import { strict as assert } from 'node:assert';
import { FieldValidators, parsePurchaseDate, type FieldName } from '../../src/dialogs/fieldValidators';
import { loadDialogWording } from '../../src/dialogs/wording/dialogWording';
import { ProductCatalogue } from '../../src/services/knowledge/productCatalogue';
import { loadCarMakes } from '../../src/services/recognition/carMakes';

const aliases = new Map<string, string>();
for (const make of loadCarMakes())
  for (const alias of [make.name.toLowerCase(), ...make.aliases]) aliases.set(alias, make.name);
const validators = new FieldValidators(ProductCatalogue.load(), aliases);
const words = loadDialogWording().forLocale('en');
// 12 March 2026, 10:00 in Shanghai (the service centre's calendar decides what "future" means).
const now = new Date('2026-03-12T02:00:00Z');

type Row = [FieldName, string, { value: string } | { reason: RegExp }];

const rows: Row[] = [
  ['productModel', 'CPC200-CCPA', { value: 'cpc200-ccpa' }],
  ['productModel', 'it is a carlinkit 4.0', { value: 'cpc200-ccpa' }],
  ['productModel', 'U2W Plus', { value: 'u2w-plus' }],
  ['productModel', 'tbox plus', { value: 'tbox-plus' }],
  ['productModel', 'an ottocast', { reason: /don't recognise that model.*label/ }],
  ['serialNumber', 'ck2air123456', { value: 'CK2AIR123456' }],
  ['serialNumber', 'S/N: 2024 0815 77', { value: '2024081577' }],
  ['serialNumber', 'yes', { reason: /serial number.*S\/N/ }],
  ['serialNumber', 'ABCDEFGH', { reason: /6 to 40 letters and digits/ }],
  ['purchaseDate', '2025-03-05', { value: '2025-03-05' }],
  ['purchaseDate', '5 March 2025', { value: '2025-03-05' }],
  ['purchaseDate', 'March 5th, 2025', { value: '2025-03-05' }],
  ['purchaseDate', '25/03/2025', { value: '2025-03-25' }],
  ['purchaseDate', '03/25/2025', { value: '2025-03-25' }],
  ['purchaseDate', '03/05/2025', { reason: /read two ways.*month in words/ }],
  ['purchaseDate', 'March 2025', { reason: /give the day too/ }],
  ['purchaseDate', '31 February 2025', { reason: /doesn't exist/ }],
  ['purchaseDate', '2026-03-13', { reason: /in the future/ }],
  ['purchaseDate', 'today', { value: '2026-03-12' }],
  ['purchaseDate', '1 January 2009', { reason: /before CarlinKit sold/ }],
  ['purchaseDate', 'last summer', { reason: /couldn't read that date/ }],
  ['purchasedFrom', 'Amazon', { value: 'Amazon' }],
  ['purchasedFrom', '42', { reason: /shop or website/ }],
  ['orderNumber', '113-4567890-1234567', { value: '113-4567890-1234567' }],
  ['orderNumber', 'order #8001234', { value: '8001234' }],
  ['orderNumber', 'no idea', { reason: /order number/ }],
  [
    'faultDescription',
    'It disconnects every ten minutes since the last update',
    { value: 'It disconnects every ten minutes since the last update' },
  ],
  ['faultDescription', 'broken', { reason: /few more words/ }],
  ['name', 'Jane Doe', { value: 'Jane Doe' }],
  ['name', 'jane@example.com', { reason: /full name/ }],
  ['phone', '+44 7700 900123', { value: '+447700900123' }],
  ['phone', '0044 7700 900123', { value: '+447700900123' }],
  ['phone', '+1 (415) 555-0100', { value: '+14155550100' }],
  ['phone', '07700 900123', { reason: /country code at the start/ }],
  ['phone', 'call me', { reason: /doesn't look like a phone number/ }],
  ['phone', '+0 123', { reason: /doesn't look right/ }],
  ['email', 'Jane.Doe@Example.COM', { value: 'jane.doe@example.com' }],
  ['email', 'jane at example', { reason: /e-mail address/ }],
  ['addressLine1', '1 High Street', { value: '1 High Street' }],
  ['addressLine1', '12', { reason: /street and house number/ }],
  ['city', 'London', { value: 'London' }],
  ['postalCode', 'sw1a 1aa', { value: 'SW1A 1AA' }],
  ['postalCode', '94105', { value: '94105' }],
  ['postalCode', 'London', { reason: /postal code/ }],
  ['country', 'UK', { value: 'United Kingdom' }],
  ['country', 'germany', { value: 'Germany' }],
  ['country', 'US', { value: 'United States' }],
  ['country', 'Narnia', { reason: /don't recognise that country/ }],
  ['ticketNumber', 'ck-7k3p9qxa', { value: 'CK-7K3P9QXA' }],
  ['ticketNumber', 'ticket CK 7K3P9QXA', { value: 'CK-7K3P9QXA' }],
  ['ticketNumber', '12345', { reason: /starts with CK-/ }],
  ['carMake', 'my vw golf', { value: 'Volkswagen' }],
  ['carMake', 'Mercedes', { value: 'Mercedes-Benz' }],
  ['carMake', 'REFUND!!!', { reason: /car's make/ }],
  ['serialNumber', 'like i said 3 months ago', { reason: /serial number/ }],
  ['serialNumber', 'ok found it on the bottom, U2WP22C118834', { value: 'U2WP22C118834' }],
  ['name', 'I already gave you that above', { reason: /full name/ }],
  ['city', 'skip', { reason: /town or city/ }],
  ['addressLine2', 'i just gave you the whole address', { reason: /200 characters/ }],
];

describe('FieldValidators', () => {
  for (const [field, input, expected] of rows) {
    const outcome =
      'value' in expected
        ? `accepts it as "${expected.value}"`
        : `refuses it saying ${String(expected.reason)}`;
    it(`when the ${field} answer is "${input}", it ${outcome}`, () => {
      const result = validators.validate(field, input, { now, words });
      if ('value' in expected) {
        assert.deepEqual(result, { ok: true, value: expected.value });
      } else {
        assert.equal(result.ok, false);
        if (!result.ok) assert.match(result.reason, expected.reason);
      }
    });
  }

  it('when "yesterday" is given on the 1st of a month, it is the last day of the month before', () => {
    assert.deepEqual(parsePurchaseDate('yesterday', '2026-03-01'), { date: '2026-02-28' });
  });
});
