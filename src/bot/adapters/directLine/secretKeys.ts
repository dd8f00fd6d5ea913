import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * One configured secret, several independent keys: tokens, the local connector and attachment links
 * each sign with their own derived key, so a value minted for one purpose is useless for another.
 */
export function deriveKey(secret: string, purpose: string): Buffer {
  return createHmac('sha256', secret).update(`carlinkit-directline:${purpose}`).digest();
}

export function hmacBase64Url(key: Buffer, data: string): string {
  return createHmac('sha256', key).update(data).digest('base64url');
}

/** Constant-time string comparison (different lengths compare unequal without leaking where). */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}
