import { ValidationError } from '../errors';
import {
  SERVICE_TIME_ZONE,
  addDays,
  addMonths,
  calendarDateOf,
  formatDateInWords,
  isCalendarDate,
} from './calendarDate';

/**
 * The after-sales page's warranty and cost rules:
 * - a fault that is not caused by the customer, within the warranty period → free repair or
 *   replacement, and CarlinKit pays shipping both ways;
 * - a fault caused by the customer (damage, misuse) → repair starts after the customer accepts the
 *   quote and pays; the customer pays shipping to the service centre;
 * - out of warranty → repair charged as incurred (quoted first); the customer pays shipping to the
 *   service centre.
 * "You only need to pay the one-way logistics cost (the cost of sending to the after-sales
 * center)": so when the customer pays, CarlinKit still pays the return leg ('return_only').
 *
 * The warranty lasts `warrantyMonths` from the purchase date: the last covered day is the day before
 * the anniversary (bought 2025-03-12 → covered up to and including 2026-03-11). The claim date is
 * what counts, not the inspection date: a product registered on its last covered day stays covered
 * however long the post takes.
 */

export type WarrantyBasis = 'in_warranty' | 'customer_caused' | 'out_of_warranty';

export interface WarrantyAssessment {
  /** 'preliminary' at registration (purchase date only); 'final' after inspection. */
  stage: 'preliminary' | 'final';
  /** Free repair or replacement (for a preliminary assessment: if inspection finds no customer cause). */
  covered: boolean;
  basis: WarrantyBasis;
  withinWarrantyPeriod: boolean;
  purchaseDate: string;
  /** The last day the warranty covers, inclusive (YYYY-MM-DD). */
  lastCoveredDay: string;
  /** The day the claim is judged on (the registration day, in the service centre's calendar). */
  claimDate: string;
  /** null until the product has been inspected. */
  causedByCustomer: boolean | null;
  repairCost: 'free' | 'quoted_before_repair';
  companyPaysShipping: 'both_ways' | 'return_only';
  customerPays: { repair: boolean; shippingToCentre: boolean; shippingBack: boolean };
  /** One or two sentences the bot can say as they are. */
  reason: string;
}

export interface WarrantyInput {
  purchaseDate: string;
  warrantyMonths: number;
  /** The claim: an instant (turned into the service centre's calendar day) or a YYYY-MM-DD day. */
  asOf: Date | string;
  /** Omit for the preliminary assessment; the inspection finding for the final one. */
  causedByCustomer?: boolean;
  /** Used in the sentence ("Your CPC200-CCPA was bought…"); "product" when omitted. */
  productName?: string;
  timeZone?: string;
}

/** The last covered day for a purchase date (inclusive). */
export function lastCoveredDay(purchaseDate: string, warrantyMonths: number): string {
  return addDays(addMonths(purchaseDate, warrantyMonths), -1);
}

/** Pure: the same input always gives the same assessment. Throws ValidationError on impossible dates. */
export function assessWarranty(input: WarrantyInput): WarrantyAssessment {
  const { purchaseDate, warrantyMonths } = input;
  if (!isCalendarDate(purchaseDate))
    throw new ValidationError(`The purchase date "${purchaseDate}" is not a date in the form YYYY-MM-DD`);
  if (!Number.isInteger(warrantyMonths) || warrantyMonths <= 0)
    throw new ValidationError('The warranty length must be a whole number of months');
  const claimDate =
    typeof input.asOf === 'string'
      ? input.asOf
      : calendarDateOf(input.asOf, input.timeZone ?? SERVICE_TIME_ZONE);
  if (!isCalendarDate(claimDate))
    throw new ValidationError(`The claim date "${claimDate}" is not a date in the form YYYY-MM-DD`);
  if (purchaseDate > claimDate)
    throw new ValidationError(`The purchase date ${purchaseDate} is in the future`);

  const lastDay = lastCoveredDay(purchaseDate, warrantyMonths);
  const withinWarrantyPeriod = claimDate <= lastDay;
  const stage = input.causedByCustomer === undefined ? 'preliminary' : 'final';
  const causedByCustomer = input.causedByCustomer ?? null;
  const covered = withinWarrantyPeriod && causedByCustomer !== true;
  const basis: WarrantyBasis = covered
    ? 'in_warranty'
    : causedByCustomer === true
      ? 'customer_caused'
      : 'out_of_warranty';
  const product = input.productName ? `your ${input.productName}` : 'your product';
  const bought = formatDateInWords(purchaseDate);
  const until = formatDateInWords(lastDay);

  let reason: string;
  if (stage === 'preliminary') {
    reason = withinWarrantyPeriod
      ? `${capitalise(product)} was bought on ${bought}, so it is under warranty until ${until}. If our inspection finds a product fault not caused by damage or misuse, the repair or replacement is free and CarlinKit pays shipping both ways.`
      : `${capitalise(product)} was bought on ${bought}; its ${warrantyMonths}-month warranty ended on ${until}. We can still repair it: we quote the cost first and start once you accept and pay, and you pay the shipping to our service centre (we pay the return).`;
  } else if (basis === 'in_warranty') {
    reason = `Our inspection found a product fault not caused by use, and ${product} is under warranty until ${until}: the repair or replacement is free and CarlinKit pays shipping both ways.`;
  } else if (basis === 'customer_caused') {
    reason = `Our inspection found the fault was caused by damage or misuse rather than a product defect, so the warranty does not cover it. We start the repair once you accept our quote and pay; you pay the shipping to our service centre (we pay the return).`;
  } else {
    reason = `The warranty on ${product} ended on ${until} (it was bought on ${bought}), so the repair is charged at cost. We start once you accept our quote and pay; you pay the shipping to our service centre (we pay the return).`;
  }

  return {
    stage,
    covered,
    basis,
    withinWarrantyPeriod,
    purchaseDate,
    lastCoveredDay: lastDay,
    claimDate,
    causedByCustomer,
    repairCost: covered ? 'free' : 'quoted_before_repair',
    companyPaysShipping: covered ? 'both_ways' : 'return_only',
    customerPays: { repair: !covered, shippingToCentre: !covered, shippingBack: false },
    reason,
  };
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
