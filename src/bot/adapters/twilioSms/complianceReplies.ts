import type { SmsKeyword } from '../../../services/sms/smsKeywords';

/**
 * Answers to the carrier compliance keywords, worded like Twilio's defaults (CTIA: name the sender,
 * say how to opt out/in, mention rates). Sent once, and only when Twilio's own opt-out handling has
 * not answered already.
 */
export const COMPLIANCE_REPLIES: Record<SmsKeyword, string> = {
  opt_out:
    'CarlinKit Support: you are unsubscribed and will receive no more messages from this number. Reply START to resubscribe.',
  opt_in:
    'CarlinKit Support: you are resubscribed and can text us your question again. Reply HELP for help, STOP to unsubscribe. Msg & data rates may apply.',
  help:
    'CarlinKit Support: text us your question (e.g. "CarPlay keeps disconnecting") or your repair ticket number for an update. ' +
    'Text MENU to start over, AGENT for a person. Reply STOP to unsubscribe. Msg & data rates may apply.',
};

/** Sent when the bot itself failed and no turn-error handler answered. */
export const TURN_FAILED_REPLY =
  'Sorry, something went wrong on our side. Please text us again in a few minutes.';
