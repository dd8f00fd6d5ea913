import type { ChoiceSpec } from './choices';
import type { PlainWordKey, Words } from './wording/dialogWording';

/**
 * The main menu and the "did you mean…" labels, from the wording file (src/dialogs/wording/en.json);
 * the words customers may type for each option (synonyms) stay here.
 */

/** On SMS, "cancel" and "stop" are carrier opt-out keywords, so the bot never suggests them there. */
export function stopWords(words: Words, channelId: string): string {
  return words.text(channelId === 'sms' ? 'main.stopWordsSms' : 'main.stopWords');
}

export function helpText(words: Words, channelId: string): string {
  return words.text('main.help', { stopWords: stopWords(words, channelId) });
}

export function mainMenu(words: Words): ChoiceSpec[] {
  return [
    {
      value: 'troubleshoot',
      label: words.text('main.menuTroubleshoot'),
      synonyms: ['troubleshoot', 'troubleshooting', 'troubleshoot a problem', 'fix my adapter'],
    },
    {
      value: 'register',
      label: words.text('main.menuRegister'),
      synonyms: ['register', 'repair', 'rma', 'register repair', 'send for repair'],
    },
    {
      value: 'status',
      label: words.text('main.menuStatus'),
      synonyms: ['status', 'check status', 'ticket status', 'track my repair', 'repair status check'],
    },
    {
      value: 'faq',
      label: words.text('main.menuFaq'),
      synonyms: ['questions', 'faq', 'repair question', 'question'],
    },
    // The button to a person (the agents' queue): its text is also an exact command.
    { value: 'agent', label: words.text('main.menuAgent'), synonyms: ['agent', 'person', 'human'] },
  ];
}

/** Intents offered in "did you mean…" when the recognizer is unsure, with their labels. */
const INTENT_LABEL_KEYS: Readonly<Record<string, PlainWordKey>> = {
  faq_repair_cost: 'intents.faqRepairCost',
  faq_shipping_cost: 'intents.faqShippingCost',
  faq_turnaround: 'intents.faqTurnaround',
  faq_process: 'intents.faqProcess',
  faq_warranty: 'intents.faqWarranty',
  faq_send_address: 'intents.faqSendAddress',
  repair_request: 'intents.repairRequest',
  troubleshoot_connection: 'intents.troubleshootConnection',
  troubleshoot_audio: 'intents.troubleshootAudio',
  troubleshoot_display: 'intents.troubleshootDisplay',
  troubleshoot_power: 'intents.troubleshootPower',
  troubleshoot_firmware: 'intents.troubleshootFirmware',
  ticket_status: 'intents.ticketStatus',
  talk_to_agent: 'intents.talkToAgent',
};

export function hasIntentLabel(intent: string): boolean {
  return INTENT_LABEL_KEYS[intent] !== undefined;
}

export function intentLabel(words: Words, intent: string): string {
  const key = INTENT_LABEL_KEYS[intent];
  return key ? words.text(key) : intent;
}
