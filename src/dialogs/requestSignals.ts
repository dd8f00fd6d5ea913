import { ticketNumberSchema } from '../services/tickets/types';
import { normaliseAnswer } from './choices';

/**
 * Signals in what the customer wrote that decide the route before (or instead of) the recognizer:
 * a ticket number, a request to cancel a repair (not the form in progress), frustration, a goodbye.
 * Pure functions over the text, so each is tested on its own and costs no recognition.
 */

const TICKET_NUMBER = /\bck[\s-]?([a-z0-9]{8})\b/i;

/** A ticket number written in the message ("CK-7K3P9QXA", "ck 7k3p9qxa"), normalised; undefined if none. */
export function ticketNumberIn(text: string): string | undefined {
  const match = TICKET_NUMBER.exec(text);
  if (!match) return undefined;
  const parsed = ticketNumberSchema.safeParse(`CK-${match[1]}`);
  return parsed.success ? parsed.data : undefined;
}

const CANCEL_WORD = /\b(cancel+(ed|ing|ation)?|withdraw|call off|don'?t need (the|my|a) repair)\b/;
const REPAIR_WORD = /\b(repair|ticket|rma|registration|request|claim|case)s?\b/;

/**
 * "Cancel my repair CK-…", "I want to cancel my repair ticket": a registered repair the customer no
 * longer needs. "Cancel" or "stop this form" on their own are about the dialog in progress; an order
 * ("cancel my order") is the shop's, not a repair.
 */
export function isTicketCancelRequest(text: string): boolean {
  const answer = normaliseAnswer(text);
  if (!CANCEL_WORD.test(answer)) return false;
  if (/\b(this|the) form\b/.test(answer)) return false;
  return ticketNumberIn(text) !== undefined || REPAIR_WORD.test(answer);
}

const LOST_NUMBER =
  /\b(lost|lose|forgot|forgotten|misplaced|can'?t find|cannot find|don'?t have|do not have|don'?t know|no longer have)\b.{0,30}\b(ticket|reference|repair|case|rma) ?(number|no|#|id)\b/;

/** "I lost my ticket number": found again by the phone on the ticket and a one-time code. */
export function isLostTicketNumber(text: string): boolean {
  return LOST_NUMBER.test(normaliseAnswer(text));
}

const FRUSTRATION_WORDS =
  /\b(useless|ridiculous|pathetic|terrible|worst|waste of (my )?time|third time|(second|fourth|fifth) time|again and again|so many times|scam|fed up|sick of|joke|unacceptable|stupid bot|not helping|you'?re not helping|wtf)\b/;

/**
 * How angry or fed up a message sounds: 'strong' for words such as "useless", "third time" or a
 * shouted "REFUND"; 'shouting' for mostly capitals over a few words or "!!!". Such a customer gets an
 * apology and the fast path, not the next form question.
 */
export function frustrationIn(text: string): 'strong' | 'shouting' | undefined {
  if (FRUSTRATION_WORDS.test(text.toLowerCase()) || /\bREFUND\b/.test(text) || /refund\s*!/i.test(text))
    return 'strong';
  // Ticket, serial and model numbers are written in capitals anyway: only words count.
  const words = text.replace(/\S*\d\S*/g, ' ');
  const letters = words.replace(/[^A-Za-z]/g, '');
  const upper = words.replace(/[^A-Z]/g, '').length;
  const capitals = letters.length >= 10 && upper / letters.length >= 0.7 && /\s/.test(text.trim());
  return capitals || /!{3,}/.test(text) ? 'shouting' : undefined;
}

const GOODBYE =
  /^(ok(ay)?[, ]*|alright[, ]*)?(thanks?( you)?( so much)?[, ]*)?(bye+( bye)?|good ?bye|see (you|ya)( later)?|later|talk (to you )?later|ttyl|gotta go|got to go|i'?ll (try|do|check) (that|it|this) later|i'?ll come back( later)?|i'?ll be back|i'?ll get back to you)([, ]*(thanks?( you)?|thx|cheers|bye))?$/;
const THANKS_ONLY = /^(ok(ay)?[, ]*)?(thanks?( you)?( so much)?|thx|ty|cheers)( bye)?$/;

/**
 * "bye", "thanks", "I'll try that later, thanks" inside a question: the customer is leaving, not
 * answering. Whole-message patterns only, so an answer that merely contains "later" is not taken.
 */
export function isGoodbye(text: string): boolean {
  const answer = normaliseAnswer(text).replace(/[!.]+/g, '').trim();
  return GOODBYE.test(answer) || THANKS_ONLY.test(answer);
}
