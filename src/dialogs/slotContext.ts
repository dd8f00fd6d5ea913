import type { TurnContext } from 'botbuilder';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { ExtractedSlots, ExtractionContext, SlotName } from '../services/extraction/slotExtractor';
import { channelFacts } from './channelFacts';

/**
 * What the extractor needs to know about this turn: the customer's locale (date order, phone
 * country), and a country known otherwise (the address given, else the SMS sender's number).
 */
export function extractionContext(
  context: TurnContext,
  now: Date,
  asked?: SlotName,
  country?: string,
): ExtractionContext {
  const sender = channelFacts(context).verifiedPhone;
  const senderCountry = sender ? parsePhoneNumberFromString(sender)?.country : undefined;
  const known = country ?? senderCountry;
  return {
    now,
    ...(context.activity.locale ? { locale: context.activity.locale } : {}),
    ...(known ? { country: known } : {}),
    ...(asked ? { asked } : {}),
  };
}

/** Whether a message gave anything to store or change (a correction word alone is not enough). */
export function meaningful(slots: ExtractedSlots): boolean {
  return Object.entries(slots).some(
    ([key, value]) =>
      key !== 'correction' && key !== 'carMake' && key !== 'phoneModel' && value !== undefined,
  );
}
