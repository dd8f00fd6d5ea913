import { z } from 'zod';

/**
 * The one media policy: which files a customer may send us and how large, for every way they
 * arrive (a web chat upload, an MMS, a link on any other channel) and for the ticket that keeps them.
 *
 * Photos only: the service centre needs to see the device, its LED, the serial-number label, the
 * damage or a receipt, and a photo or screenshot shows all of them. Every type here is an image a
 * phone's camera or screenshot tool makes, and none of them carries active content (a PDF can hold
 * JavaScript and forms, an SVG scripts) that our attachment links would serve from our own origin.
 * GIF is in because some Android screen recorders and messaging apps produce it (a flickering
 * screen shows best moving). Video is out: a useful clip is larger than any upload we accept.
 * See the README ("Photos customers send").
 */
export const PHOTO_TYPES = [
  'image/jpeg',
  'image/png',
  'image/heic',
  'image/heif',
  'image/webp',
  'image/gif',
] as const;
export type PhotoType = (typeof PHOTO_TYPES)[number];

/** How the accepted types are named to a customer. */
export const PHOTO_TYPE_NAMES = 'JPEG, PNG, HEIC, WebP or GIF';

/**
 * The largest photo, in bytes. A 12-megapixel phone photo is 2–5 MB (HEIC about half of that),
 * and MMS carriers stop at about 5 MB, so 8 MB takes every ordinary photo with room to spare.
 */
export const MAX_PHOTO_BYTES = 8 * 1024 * 1024;

/** The most photos one repair request carries: more rarely helps the service centre. */
export const MAX_PHOTOS_PER_REQUEST = 10;

/** Photos a browser shows in an <img> (HEIC/HEIF it does not: those stay file cards in Web Chat). */
const BROWSER_TYPES: ReadonlySet<string> = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif']);

/** Non-standard spellings phones and gateways use. */
const TYPE_ALIASES: Readonly<Record<string, PhotoType>> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'image/x-png': 'image/png',
};

const PHOTO_TYPE_SET: ReadonlySet<string> = new Set(PHOTO_TYPES);

const HEIC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1']);

/** A declared Content-Type as one lower-case type, without parameters, aliases resolved. */
export function normalizeContentType(contentType: string | undefined): string {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  return TYPE_ALIASES[type] ?? type;
}

/** The accepted photo type a channel declares (MMS, a link), when all we have is the declaration. */
export function declaredPhotoType(contentType: string | undefined): PhotoType | undefined {
  const type = normalizeContentType(contentType);
  return PHOTO_TYPE_SET.has(type) ? (type as PhotoType) : undefined;
}

export function browserCanShow(contentType: string): boolean {
  return BROWSER_TYPES.has(normalizeContentType(contentType));
}

/**
 * What the bytes are, by their magic numbers: an accepted photo type, otherwise undefined.
 * When we hold the bytes (a web chat upload), they decide and the declared type is ignored: it is
 * the browser's guess from the file name (Windows declares HEIC as application/octet-stream) and
 * can be anything a sender likes.
 */
export function sniffPhotoType(data: Buffer): PhotoType | undefined {
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
  if (data.length >= 6 && /^GIF8[79]a$/.test(data.toString('latin1', 0, 6))) return 'image/gif';
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

export type FileVerdict =
  { accepted: true; contentType: PhotoType } | { accepted: false; reason: 'not_a_photo' | 'too_large' };

/** A file whose bytes we hold (a web chat upload): its size, then its type by its bytes. */
export function judgeFile(data: Buffer): FileVerdict {
  if (data.length > MAX_PHOTO_BYTES) return { accepted: false, reason: 'too_large' };
  const contentType = sniffPhotoType(data);
  return contentType ? { accepted: true, contentType } : { accepted: false, reason: 'not_a_photo' };
}

/** A photo's declared type, as a ticket keeps it. */
export const photoContentTypeSchema = z
  .string()
  .transform(normalizeContentType)
  .refine((type) => PHOTO_TYPE_SET.has(type), `must be a photo (${PHOTO_TYPE_NAMES})`);

/** A photo's size in bytes, when the channel says (MMS media from Twilio come without one). */
export const photoSizeSchema = z
  .number()
  .int()
  .positive()
  .max(MAX_PHOTO_BYTES, `must be at most ${MAX_PHOTO_BYTES / 1024 / 1024} MB`);
