import type { ChoiceSpec } from './choices';

/** The bot's own words (support content such as answers and troubleshooting steps lives in data files). */

export const WELCOME =
  "Hi, I'm the CarlinKit support assistant. I can help you fix connection, sound, screen, power or firmware problems with your CarlinKit adapter or AI box, register a repair, check a repair's status, and answer questions about repair costs, shipping, turnaround and warranty.\n\nWhat can I do for you? You can also just describe the problem in your own words.";

/** On SMS, "cancel" and "stop" are carrier opt-out keywords, so the bot never suggests them there. */
export function stopWords(channelId: string): string {
  return channelId === 'sms' ? "'menu' or 'never mind'" : "'start over' or 'cancel'";
}

export function helpText(channelId: string): string {
  return `Here's what I can do:\n- Fix a problem: I walk you through checks for connection, sound, screen, power and firmware problems.\n- Register a repair: I collect the product and contact details and give you a ticket number.\n- Repair status: tell me your ticket number and mobile number.\n- Repair questions: cost, shipping, how long it takes, warranty, where to send it.\n\nAt any point you can say ${stopWords(channelId)}, or 'agent' to reach a person. You can also ask a question in the middle of anything, and we'll carry on afterwards.`;
}

export const MENU_PROMPT_FIRST = 'What can I help you with?';
export const MENU_PROMPT_AGAIN = 'Is there anything else I can help you with?';

export const MAIN_MENU: ChoiceSpec[] = [
  {
    value: 'troubleshoot',
    label: 'Fix a problem',
    synonyms: ['troubleshoot', 'troubleshooting', 'troubleshoot a problem', 'fix my adapter'],
  },
  {
    value: 'register',
    label: 'Register a repair',
    synonyms: ['register', 'repair', 'rma', 'register repair', 'send for repair'],
  },
  {
    value: 'status',
    label: 'Repair status',
    synonyms: ['status', 'check status', 'ticket status', 'track my repair', 'repair status check'],
  },
  { value: 'faq', label: 'Repair questions', synonyms: ['questions', 'faq', 'repair question', 'question'] },
];

export const NOT_UNDERSTOOD =
  "Sorry, I didn't quite get that. I can help with problems with your CarlinKit adapter or AI box, repairs and their status, and questions about cost, shipping and warranty.";

export const GOODBYE =
  "You're welcome! If anything else comes up, just send me a message. Have a good drive!";

export const BACK_TO_IT = 'Now, back to where we were:';

/** Labels for "did you mean…" when the recognizer is unsure. */
export const INTENT_LABELS: Readonly<Record<string, string>> = {
  faq_repair_cost: 'Repair cost',
  faq_shipping_cost: 'Shipping cost',
  faq_turnaround: 'How long a repair takes',
  faq_process: 'How repairs work',
  faq_warranty: 'Warranty',
  faq_send_address: 'Where to send it',
  repair_request: 'Register a repair',
  troubleshoot_connection: 'Connection problem',
  troubleshoot_audio: 'Sound problem',
  troubleshoot_display: 'Screen problem',
  troubleshoot_power: 'Power problem',
  troubleshoot_firmware: 'Firmware problem',
  ticket_status: 'Repair status',
  talk_to_agent: 'Talk to a person',
};
