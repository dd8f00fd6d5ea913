/**
 * Personal data never reaches the logs: phone numbers, e-mail addresses and postal addresses are
 * masked wherever they appear, by key name (structured fields) and by pattern (free text such as a
 * customer's message).
 */

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
// International or local numbers with at least 7 digits, allowing spaces, dots, dashes and brackets.
const PHONE = /(?<![\w-])\+?\d[\d\s().-]{5,}\d(?![\w-])/g;
const SECRET_KEY = /(password|secret|token|authorization|apikey|api_key|key|signature|cookie)$/i;
const PERSONAL_KEY =
  /^(phone|mobile|mobileNumber|phoneNumber|msisdn|email|e-?mail|address|returnAddress|mailingAddress|street|postalCode|zip|from|to|From|To|name|customerName|fullName)$/i;

export const REDACTED = '[redacted]';

/** Masks e-mail addresses and phone-like digit runs in free text; keeps the last two digits for support. */
export function redactText(text: string): string {
  return text.replace(EMAIL, '[email]').replace(PHONE, (match) => {
    const digits = match.replace(/\D/g, '');
    return digits.length >= 7 ? `[phone …${digits.slice(-2)}]` : match;
  });
}

/** Returns a deep copy of `value` with secrets and personal data masked. */
export function redactValue(value: unknown, key = '', depth = 0): unknown {
  if (depth > 8) return '[deep]';
  if (typeof value === 'string') {
    if (key && SECRET_KEY.test(key)) return REDACTED;
    if (key && PERSONAL_KEY.test(key)) return REDACTED;
    return redactText(value);
  }
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    return {
      type: value.name,
      message: redactText(value.message),
      stack: value.stack ? redactText(value.stack) : undefined,
    };
  }
  if (value instanceof Date) return value;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, key, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [childKey, childValue] of Object.entries(value as Record<string, unknown>)) {
    if (SECRET_KEY.test(childKey) && childValue !== undefined && childValue !== null) {
      out[childKey] = REDACTED;
    } else if (
      PERSONAL_KEY.test(childKey) &&
      childValue !== undefined &&
      childValue !== null &&
      typeof childValue !== 'object'
    ) {
      out[childKey] = REDACTED;
    } else if (PERSONAL_KEY.test(childKey) && childValue !== null && typeof childValue === 'object') {
      // A structured address or contact object: keep its shape for debugging, mask every leaf.
      out[childKey] = maskLeaves(childValue);
    } else {
      out[childKey] = redactValue(childValue, childKey, depth + 1);
    }
  }
  return out;
}

function maskLeaves(value: object): unknown {
  if (Array.isArray(value))
    return value.map((item: unknown) =>
      item !== null && typeof item === 'object' ? maskLeaves(item) : REDACTED,
    );
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    out[key] = child !== null && typeof child === 'object' ? maskLeaves(child) : REDACTED;
  }
  return out;
}
