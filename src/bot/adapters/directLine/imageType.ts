export const ACCEPTED_IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/heic'] as const;
export type AcceptedImageType = (typeof ACCEPTED_IMAGE_TYPES)[number];

const HEIC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1']);

/**
 * What the bytes are, by their magic numbers (the declared Content-Type and file name are the
 * browser's guess and can be anything): JPEG, PNG, WebP or HEIC, otherwise undefined.
 */
export function detectImageType(data: Buffer): AcceptedImageType | undefined {
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'image/jpeg';
  if (
    data.length >= 8 &&
    data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
  ) {
    return 'image/png';
  }
  if (
    data.length >= 12 &&
    data.toString('latin1', 0, 4) === 'RIFF' &&
    data.toString('latin1', 8, 12) === 'WEBP'
  ) {
    return 'image/webp';
  }
  // ISO base media file: [size]['ftyp'][major brand]…; HEIF stills from phones use these brands.
  if (data.length >= 12 && data.toString('latin1', 4, 8) === 'ftyp') {
    const major = data.toString('latin1', 8, 12);
    if (HEIC_BRANDS.has(major)) {
      // mif1/msf1 are generic HEIF containers; AVIF uses them too, so require a HEVC brand alongside.
      if (major !== 'mif1' && major !== 'msf1') return 'image/heic';
      const boxSize = data.readUInt32BE(0);
      const brands = data.toString('latin1', 16, Math.min(boxSize, data.length, 64));
      if (/hei[cxms]|hev[cx]/.test(brands)) return 'image/heic';
    }
  }
  return undefined;
}
