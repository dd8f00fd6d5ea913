import { countryCodeOf, countryName, isPostalCode } from './countries';
import { isChatter } from './sentences';

export interface ParsedAddress {
  line1: string;
  line2?: string;
  city: string;
  region?: string;
  postalCode: string;
  /** English name, as tickets store it ("France"). */
  country: string;
  countryCode: string;
}

export type AddressProblem = 'country' | 'postalCode' | 'street' | 'city';
export type AddressResult = { ok: true; address: ParsedAddress } | { ok: false; problem: AddressProblem };

const JUNK_PART = /^(skip|none|n\/?a|-+|\.+)$/i;

/** Splits off a trailing country ("… Paris 75002 France") when the last part is not a country by itself. */
function splitTrailingCountry(part: string): { rest: string; code: string } | undefined {
  const tokens = part.split(/\s+/);
  for (let take = Math.min(4, tokens.length - 1); take >= 1; take -= 1) {
    const code = countryCodeOf(tokens.slice(-take).join(' '));
    if (code && code.length === 2) return { rest: tokens.slice(0, -take).join(' '), code };
  }
  return undefined;
}

/**
 * An address block as written on a parcel (lines, or parts separated by commas) into its lines: the
 * first part is the street, the country is required (named in any of the supported languages or
 * taken from `defaultCountry`), the postal code must be valid for it, the city is next to the postal
 * code, and what lies between the street and the city is line 2 (and a region). Parts that talk
 * ("already included above", a photo caption, "skip") are dropped.
 */
export function parseAddress(block: string, defaultCountry?: string): AddressResult {
  let parts = block
    .split(/\r?\n|,|;/)
    .map((part) => part.trim().replace(/\s+/g, ' '))
    .filter((part) => part !== '' && !JUNK_PART.test(part) && !isChatter(part));
  if (parts.length === 0) return { ok: false, problem: 'street' };

  let countryCode: string | undefined;
  const last = parts[parts.length - 1];
  const whole = countryCodeOf(last);
  if (whole && parts.length > 1) {
    countryCode = whole;
    parts = parts.slice(0, -1);
  } else {
    const trailing = splitTrailingCountry(last);
    if (trailing && trailing.rest) {
      countryCode = trailing.code;
      parts[parts.length - 1] = trailing.rest;
    }
  }
  countryCode ??= defaultCountry;
  if (!countryCode) return { ok: false, problem: 'country' };

  // The postal code: the last part holding a token (or two, "SW1A 1AA") valid for the country.
  let postal: { index: number; code: string; rest: string } | undefined;
  for (let index = parts.length - 1; index >= 1 && !postal; index -= 1) {
    const tokens = parts[index].split(' ');
    for (let start = 0; start < tokens.length && !postal; start += 1) {
      for (const size of [2, 1]) {
        const candidate = tokens.slice(start, start + size).join(' ');
        if (start + size > tokens.length || !/\d/.test(candidate)) continue;
        if (isPostalCode(candidate, countryCode)) {
          const rest = [...tokens.slice(0, start), ...tokens.slice(start + size)].join(' ').trim();
          postal = { index, code: candidate.toUpperCase(), rest };
          break;
        }
      }
    }
  }
  if (!postal) return { ok: false, problem: 'postalCode' };

  const line1 = parts[0];
  if (!/\p{L}/u.test(line1) || line1.length < 3) return { ok: false, problem: 'street' };
  let city: string | undefined;
  let region: string | undefined;
  let cityIndex = postal.index;
  if (postal.rest) {
    // "San Francisco, CA 94105": a short code beside the postal code is the region.
    if (/^[A-Z]{2,3}$/.test(postal.rest) && postal.index >= 2) {
      region = postal.rest;
      cityIndex = postal.index - 1;
      city = parts[cityIndex];
    } else {
      city = postal.rest;
    }
  } else if (postal.index >= 3) {
    // "Paris, Île-de-France, 75002": city, region, postal code.
    cityIndex = postal.index - 2;
    city = parts[cityIndex];
    region = parts[postal.index - 1];
  } else if (postal.index === 2) {
    cityIndex = 1;
    city = parts[1];
  } else if (parts[postal.index + 1]) {
    city = parts[postal.index + 1];
  }
  if (!city || !/\p{L}/u.test(city)) return { ok: false, problem: 'city' };
  const between = parts.slice(1, Math.min(cityIndex, postal.index)).join(', ');
  return {
    ok: true,
    address: {
      line1,
      ...(between ? { line2: between } : {}),
      city,
      ...(region ? { region } : {}),
      postalCode: postal.code,
      country: countryName(countryCode),
      countryCode,
    },
  };
}
