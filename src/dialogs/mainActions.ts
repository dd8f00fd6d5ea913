import type { Symptom } from '../services/knowledge/troubleshootingLibrary';
import type { FaultCategory } from '../services/tickets/types';

/** What the main dialog can start; child dialogs hand one back to chain flows (troubleshooting → repair). */
export type MainAction =
  | { type: 'troubleshoot'; symptom?: Symptom; productId?: string; carMake?: string }
  | { type: 'register'; prefill?: RegistrationPrefill; offerTroubleshootingFirst?: boolean }
  | { type: 'status'; ticketNumber?: string; lostNumber?: boolean }
  | { type: 'cancelTicket'; ticketNumber?: string }
  | { type: 'faqMenu' }
  /** An agent handed the conversation back: ask for a rating of their help. */
  | { type: 'rateHandoff'; handoffId: string };

/** What troubleshooting already knows when it offers a repair ticket. */
export interface RegistrationPrefill {
  productId?: string;
  faultCategory?: FaultCategory;
  /** Offered as the fault description if the customer does not write their own. */
  faultSummary?: string;
  troubleshootingTried?: string[];
  /** What the customer wrote before (the message that started troubleshooting): details are read from it. */
  earlierText?: string;
}

/** Every child dialog of the main dialog ends with this (or nothing). */
export interface ChildResult {
  then?: MainAction;
  /** A person took over: the main dialog stops too. */
  handedOff?: boolean;
}
