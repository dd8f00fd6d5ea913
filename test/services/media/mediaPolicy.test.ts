import assert from 'node:assert/strict';
import {
  declaredPhotoType,
  judgeFile,
  MAX_PHOTO_BYTES,
  sniffPhotoType,
} from '../../../src/services/media/mediaPolicy';

function isoBox(major: string, compatible: string[]): Buffer {
  const brands = Buffer.from([major, '\0\0\0\0', ...compatible].join(''), 'latin1');
  const size = Buffer.alloc(4);
  size.writeUInt32BE(8 + brands.length);
  return Buffer.concat([size, Buffer.from('ftyp', 'latin1'), brands, Buffer.alloc(16)]);
}

describe('media policy: which files are photos we keep', () => {
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
    ['GIF', Buffer.from('GIF89a'), 'image/gif'],
    ['GIF (1987)', Buffer.from('GIF87a'), 'image/gif'],
    ['SVG', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), undefined],
    ['empty', Buffer.alloc(0), undefined],
  ];
  for (const [name, bytes, expected] of cases) {
    it(`when the bytes are ${name}, it says ${expected ?? 'not an accepted photo'}`, () => {
      assert.equal(sniffPhotoType(bytes), expected);
    });
  }

  it('when a file is over the size limit, it is refused as too large even if it is a photo', () => {
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0]);
    const atLimit = Buffer.concat([jpeg, Buffer.alloc(MAX_PHOTO_BYTES - jpeg.length)]);
    assert.deepEqual(judgeFile(atLimit), { accepted: true, contentType: 'image/jpeg' });
    assert.deepEqual(judgeFile(Buffer.concat([atLimit, Buffer.alloc(1)])), {
      accepted: false,
      reason: 'too_large',
    });
  });

  const declared: Array<[string | undefined, string | undefined]> = [
    ['image/jpeg', 'image/jpeg'],
    ['IMAGE/JPG; name=led.jpg', 'image/jpeg'],
    ['image/heif', 'image/heif'],
    ['image/gif', 'image/gif'],
    ['application/pdf', undefined],
    ['video/mp4', undefined],
    ['image/svg+xml', undefined],
    [undefined, undefined],
  ];
  for (const [type, expected] of declared) {
    it(`when a channel declares ${type ?? 'no type'}, the policy reads it as ${expected ?? 'not a photo'}`, () => {
      assert.equal(declaredPhotoType(type), expected);
    });
  }
});
