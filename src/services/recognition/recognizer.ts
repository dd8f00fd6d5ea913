/** The intents the bot understands; names are shared by the offline recognizer, CLU and the dialogs. */
export const INTENTS = [
  'faq_repair_cost',
  'faq_shipping_cost',
  'faq_turnaround',
  'faq_process',
  'faq_warranty',
  'faq_send_address',
  'repair_request',
  'troubleshoot_connection',
  'troubleshoot_audio',
  'troubleshoot_display',
  'troubleshoot_power',
  'troubleshoot_firmware',
  'ticket_status',
  'talk_to_agent',
  'greeting',
  'thanks_goodbye',
  'cancel',
  'none',
] as const;

export type IntentName = (typeof INTENTS)[number];

export const ENTITY_KINDS = [
  'product_model',
  'ticket_number',
  'phone',
  'email',
  'order_number',
  'car_make',
] as const;

export type EntityKind = (typeof ENTITY_KINDS)[number];

export interface RecognizedEntity {
  kind: EntityKind;
  /** The text as the customer wrote it. */
  text: string;
  /**
   * Canonical form: the catalogue product id for product_model (ProductCatalogue.get/find accept it),
   * the make's name for car_make ("Volkswagen"), "CK-" + upper case for ticket_number, "+" and digits
   * for a phone written with a country code (digits only without one), lower-case e-mail, the order
   * number as written (Amazon/eBay dashes kept, "#12345" for shop orders).
   */
  value: string;
  /** Character offsets into the original text. */
  start: number;
  end: number;
}

export interface Recognition {
  text: string;
  intent: IntentName;
  /** 0..1 */
  confidence: number;
  /** Runner-up intents, best first, for disambiguation ("did you mean…"). */
  alternatives: ReadonlyArray<{ intent: IntentName; confidence: number }>;
  entities: readonly RecognizedEntity[];
  /** Which implementation answered: 'offline' or 'clu' (or 'clu-fallback' when CLU failed). */
  source: string;
}

export interface Recognizer {
  recognize(text: string): Promise<Recognition>;
}
