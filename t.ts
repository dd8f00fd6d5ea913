import { SlotExtractor } from './src/services/extraction/slotExtractor';
import { ProductCatalogue } from './src/services/knowledge/productCatalogue';
import { loadCarMakes } from './src/services/recognition/carMakes';
const aliases = new Map<string,string>(); for (const m of loadCarMakes()) for (const a of [m.name.toLowerCase(), ...m.aliases]) aliases.set(a, m.name);
const x = new SlotExtractor({ catalogue: ProductCatalogue.load(), carMakes: aliases });
const now = new Date('2026-03-12T02:00:00Z');
const cases: Array<[string, any]> = [
 ['ok found it on the bottom, U2WP22C118834', {asked:'serial'}],
 ['like i said 3 months ago', {asked:'serial'}],
 ['REFUND!!!', {}],
 ['skip', {asked:'address'}],
 ['I already gave you that above', {asked:'name'}],
 ['my name is Mike Ross, not mike', {}],
 ['actually it\'s the 2air, not the U2W Plus', {}],
 ['call me on (415) 555-0134', {locale:'en-US'}],
 ['11/03/2026', {locale:'en-US'}],
 ['12 mars 2026', {}], ['03.08.2026', {locale:'de-DE'}], ['nov 3rd', {}], ['mid october', {}],
 ['Hi, my U2W Plus keeps disconnecting from my iPhone 15 in my Toyota. Serial U2WP22C118834, bought 4 Sep 2025 on Amazon, order 113-4567890-1234567. I\'m Jane Doe, +1 415 555 0100, jane@example.com, address: 500 Market Street, Apt 4, San Francisco, CA 94105, United States', {}],
 ['I don\'t have the serial number, the label is worn off', {asked:'serial'}],
 ['change the address', {}],
];
for (const [t,c] of cases) console.log(t, '\n   ', JSON.stringify(x.extract(t, {now, ...c})));
