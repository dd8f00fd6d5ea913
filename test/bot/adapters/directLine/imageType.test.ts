import assert from 'node:assert/strict';
import { detectImageType } from '../../../../src/bot/adapters/directLine/imageType';

function isoBox(major: string, compatible: string[]): Buffer {
  const brands = Buffer.from([major, '\0\0\0\0', ...compatible].join(''), 'latin1');
  const size = Buffer.alloc(4);
  size.writeUInt32BE(8 + brands.length);
  return Buffer.concat([size, Buffer.from('ftyp', 'latin1'), brands, Buffer.alloc(16)]);
}

describe('detectImageType', () => {
  const cases: Array<[string, Buffer, string | undefined]> = [
    ['JPEG', Buffer.from([0xff, 0xd8, 0xff, 0xe1, 0, 0]), 'image/jpeg'],
    ['PNG', Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), 'image/png'],
    ['WebP', Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 ')]), 'image/webp'],
    ['HEIC (iPhone)', isoBox('heic', ['mif1', 'heic']), 'image/heic'],
    ['HEIF with a HEVC brand', isoBox('mif1', ['mif1', 'heic']), 'image/heic'],
    ['AVIF (not accepted)', isoBox('avif', ['avif', 'mif1']), undefined],
    ['AVIF under mif1', isoBox('mif1', ['avif', 'miaf']), undefined],
    ['MP4 video', isoBox('isom', ['isom', 'mp41']), undefined],
    ['PDF', Buffer.from('%PDF-1.7\n'), undefined],
    ['GIF', Buffer.from('GIF89a'), undefined],
    ['SVG', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), undefined],
    ['empty', Buffer.alloc(0), undefined],
  ];
  for (const [name, bytes, expected] of cases) {
    it(`when the bytes are ${name}, it says ${expected ?? 'not an accepted photo'}`, () => {
      assert.equal(detectImageType(bytes), expected);
    });
  }
});
