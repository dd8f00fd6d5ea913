import type { StatePropertyAccessor, TurnContext } from 'botbuilder';
import type { HandoffContext, HandoffReason } from '../services/handoff/types';
import type { FaqLibrary } from '../services/knowledge/faqLibrary';
import type { ProductCatalogue } from '../services/knowledge/productCatalogue';
import type { TroubleshootingLibrary } from '../services/knowledge/troubleshootingLibrary';
import type { Logger } from '../services/logging/logger';
import type { Recognizer } from '../services/recognition/recognizer';
import type { CustomerCancellation, CustomerTicketSummary } from '../services/tickets/ticketService';
import type { RegistrationInput, TicketView } from '../services/tickets/types';
import type { CustomerPhotos } from './customerPhotos';
import type { FieldValidators } from './fieldValidators';
import type { LanguageSupport } from './otherLanguageDialog';
import type { ChannelRenderer } from './rendering/channelRenderer';
import type { DialogWording } from './wording/dialogWording';

/** What the dialogs need from the ticket service (TicketService satisfies it). */
export interface TicketOperations {
  register(
    input: RegistrationInput,
    /** notifyCustomer false: no "registered" SMS (the number could not be confirmed). */
    options: { idempotencyKey: string; actor: string; notifyCustomer?: boolean },
  ): Promise<TicketView>;
  findForCustomer(query: {
    ticketNumber: string;
    phone: string;
    callerKey: string;
    clientAddress?: string;
  }): Promise<TicketView | null>;
  /**
   * The customer cancels their repair before receipt; see TicketService.cancelForCustomer. Absent
   * (test doubles that only register): the bot says it cannot cancel here and offers a person.
   */
  cancelForCustomer?(query: {
    ticketNumber: string;
    phone: string;
    callerKey: string;
    clientAddress?: string;
    expectedVersion?: number;
    reason: string;
  }): Promise<CustomerCancellation>;
  /** The customer's repairs registered with this phone, newest first (only after the phone is proven). */
  ticketsForPhone?(phone: string): Promise<CustomerTicketSummary[]>;
}

/** One-time codes that prove a typed mobile number before the bot texts it (PhoneConfirmation satisfies it). */
export interface PhoneConfirmer {
  start(request: {
    phone: string;
    conversationId: string;
    /** The code must prove the customer holds the phone (a ticket lookup by phone), whatever the policy. */
    proveOwner?: boolean;
  }): Promise<'not_needed' | 'code_sent' | 'unavailable'>;
  confirm(request: {
    phone: string;
    conversationId: string;
    code: string;
  }): Promise<'confirmed' | 'wrong' | 'expired' | 'too_many'>;
}

export interface SatisfactionRating {
  /** Fixed when the rating is asked for, so a repeated rating turn stores it once. */
  idempotencyKey: string;
  conversationId: string;
  channel: string;
  /** What was rated: 'troubleshooting:<symptom>'. */
  topic: string;
  productId?: string;
  rating: 1 | 2 | 3 | 4 | 5;
}

export interface RatingRecorder {
  record(rating: SatisfactionRating): Promise<void>;
}

/** What the dialogs know that helps the agent (product, car, steps tried…): see HandoffContext. */
export type HandoffDetails = Partial<HandoffContext>;

/**
 * Getting a person involved: QueueHandoff puts the conversation in the agents' queue (and tells the
 * customer their place, or when the team is back); ContactTeamHandoff (tests) only says how to
 * reach the team.
 */
export interface HumanHandoff {
  /** Returns true when a person has taken over the conversation (the bot then stops talking). */
  request(context: TurnContext, reason: HandoffReason, details?: HandoffDetails): Promise<boolean>;
}

/** Where questions the bot could not answer are logged, redacted (UnansweredQuestions satisfies it). */
export interface UnansweredLog {
  record(question: { text: string; channel: string; conversationId: string; reason?: string }): Promise<void>;
}

/** Per-customer memory kept in user state: only ticket numbers, to offer them in the status check. */
export interface CustomerMemory {
  recentTickets: string[];
}

export interface SupportDialogDeps {
  recognizer: Recognizer;
  catalogue: ProductCatalogue;
  faq: FaqLibrary;
  /** The bot's own words (src/dialogs/wording/<locale>.json). */
  wording: DialogWording;
  troubleshooting: TroubleshootingLibrary;
  validators: FieldValidators;
  renderer: ChannelRenderer;
  tickets: TicketOperations;
  ratings: RatingRecorder;
  handoff: HumanHandoff;
  customerMemory: StatePropertyAccessor<CustomerMemory>;
  /** Photos sent in this conversation, waiting for its repair request. */
  photos: CustomerPhotos;
  logger: Logger;
  /** The current time (tests pin it). */
  now: () => Date;
  /** The conversation's language and what is said in languages other than English. */
  languages: LanguageSupport;
  /** Unset: unanswered questions are not kept (tests that do not look at them). */
  unanswered?: UnansweredLog;
  /** Unset: every typed number is texted as is (tests; SMS_CONFIRM_NEW_NUMBERS=off does the same). */
  phoneConfirmation?: PhoneConfirmer;
}
