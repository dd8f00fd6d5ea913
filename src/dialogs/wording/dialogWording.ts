import type { TurnContext } from 'botbuilder';
import { projectPath } from '../../services/projectPath';
import { WordingCatalog, type Wording } from '../../services/content/wordingCatalog';

/**
 * Every message the dialogs say (src/dialogs/wording/<locale>.json) and the placeholders each may
 * use: a file with a missing message, an unknown one, or an unknown placeholder stops start-up.
 * Keys are "area.id"; the file groups them by area. Answer choices' extra words (synonyms) stay in
 * code: they are what customers type, matched like the recognizer's vocabulary, not what the bot says.
 */
export const DIALOG_WORDING = {
  'main.welcome': [],
  'main.stopWords': [],
  'main.stopWordsSms': [],
  'main.help': ['stopWords'],
  'main.menuPromptFirst': [],
  'main.menuPromptAgain': [],
  'main.menuTroubleshoot': [],
  'main.menuRegister': [],
  'main.menuStatus': [],
  'main.menuFaq': [],
  'main.notUnderstood': [],
  'main.goodbye': [],
  'main.backToIt': [],
  'main.didYouMean': [],
  'main.somethingElse': [],
  'main.stopped': [],
  'main.startOver': [],
  'main.nothingToCancel': [],
  'intents.faqRepairCost': [],
  'intents.faqShippingCost': [],
  'intents.faqTurnaround': [],
  'intents.faqProcess': [],
  'intents.faqWarranty': [],
  'intents.faqSendAddress': [],
  'intents.repairRequest': [],
  'intents.troubleshootConnection': [],
  'intents.troubleshootAudio': [],
  'intents.troubleshootDisplay': [],
  'intents.troubleshootPower': [],
  'intents.troubleshootFirmware': [],
  'intents.ticketStatus': [],
  'intents.talkToAgent': [],
  'faq.menuPrompt': [],
  'photos.kept': ['count'],
  'photos.keptOutsideRegistration': ['count'],
  'photos.alreadyKept': ['count'],
  'photos.overLimit': ['max', 'count'],
  'photos.refused': ['types', 'files'],
  'photos.unnamedFiles': ['count'],
  'photos.fileList': ['names', 'last'],
  'photos.fileListMore': ['names', 'more'],
  'photos.unusable': ['count', 'maxMegabytes'],
  'registration.offerPrompt': [],
  'registration.offerTroubleshoot': [],
  'registration.offerRegister': [],
  'registration.intro': ['stopWords'],
  'registration.askProduct': [],
  'registration.askSerialNumber': [],
  'registration.askPurchaseDate': [],
  'registration.askPurchasedFrom': [],
  'registration.askOrderNumber': [],
  'registration.askFaultCategory': [],
  'registration.askFaultDescriptionOrKeep': ['summary'],
  'registration.askFaultDescription': [],
  'registration.askName': [],
  'registration.askSenderPhone': ['phone'],
  'registration.useSenderPhone': [],
  'registration.useSenderPhoneSmsHint': [],
  'registration.askPhone': [],
  'registration.askEmail': [],
  'registration.askAddressLine1': [],
  'registration.askAddressLine2': [],
  'registration.askCity': [],
  'registration.askRegion': [],
  'registration.askPostalCode': [],
  'registration.askCountry': [],
  'registration.skip': [],
  'registration.faultConnection': [],
  'registration.faultAudio': [],
  'registration.faultDisplay': [],
  'registration.faultPower': [],
  'registration.faultFirmware': [],
  'registration.faultOther': [],
  'registration.summaryPrompt': [],
  'registration.summaryTitle': [],
  'registration.factProduct': [],
  'registration.factSerialNumber': [],
  'registration.factPurchaseDate': [],
  'registration.factBoughtFrom': [],
  'registration.factOrderNumber': [],
  'registration.factNoOrderNumber': [],
  'registration.factProblem': [],
  'registration.factProblemValue': ['category', 'description'],
  'registration.factAlreadyTried': [],
  'registration.factAlreadyTriedValue': ['count'],
  'registration.factName': [],
  'registration.factMobile': [],
  'registration.factEmail': [],
  'registration.factReturnAddress': [],
  'registration.factPhotos': [],
  'registration.factPhotosValue': ['count'],
  'registration.confirm': [],
  'registration.edit': [],
  'registration.cancel': [],
  'registration.cancelled': [],
  'registration.editPrompt': [],
  'registration.editProduct': [],
  'registration.editSerialNumber': [],
  'registration.editPurchaseDate': [],
  'registration.editShop': [],
  'registration.editOrderNumber': [],
  'registration.editProblem': [],
  'registration.editName': [],
  'registration.editPhone': [],
  'registration.editEmail': [],
  'registration.editAddress': [],
  'registration.registered': ['ticketNumber', 'photos', 'warrantyReason'],
  'registration.nextSteps': [],
  'registration.alreadyRegistered': ['ticketNumber'],
  'registration.invalid': ['problem'],
  'registration.rateLimited': ['minutes'],
  'registration.failed': [],
  'status.askTicketNumber': [],
  'status.askPhone': [],
  'status.rateLimited': ['minutes'],
  'status.stillNotFound': ['contact'],
  'status.notFound': [],
  'status.summary': ['ticketNumber', 'product', 'status'],
  'status.expectedCompletion': ['date'],
  'status.nextStep': ['nextStep'],
  'ask.typeAnswer': [],
  'ask.replyWithNumber': [],
  'ask.chooseOption': [],
  'ask.personSms': [],
  'ask.personWeb': [],
  'ask.talkToPerson': [],
  'ask.smsTwoOptions': ['first', 'second'],
  'ask.smsOptions': [],
  'handoff.notYet': ['contact'],
  'handoff.afterFailures': ['contact'],
  'system.apology': [],
  'system.concurrentTurn': [],
} as const;

export type DialogWordingSpec = typeof DIALOG_WORDING;
export type DialogWording = WordingCatalog<DialogWordingSpec>;
export type Words = Wording<DialogWordingSpec>;
export type WordKey = keyof DialogWordingSpec;
/** The messages without placeholders (labels among them). */
export type PlainWordKey = {
  [K in WordKey]: DialogWordingSpec[K] extends readonly [] ? K : never;
}[WordKey];

export const DEFAULT_WORDING_DIR = projectPath('src/dialogs/wording');

/** The locales with a wording file; the first answers every other locale. */
export const WORDING_LOCALES = ['en'] as const;

/** Loads and checks the wording files (at start-up: a mistake stops the process, naming it). */
export function loadDialogWording(dir: string = DEFAULT_WORDING_DIR): DialogWording {
  return WordingCatalog.load(DIALOG_WORDING, { dir, locales: WORDING_LOCALES });
}

/** The wording in the customer's language (the channel's locale; the default one until translated). */
export function wordsFor(wording: DialogWording, context: TurnContext): Words {
  return wording.forLocale(context.activity.locale);
}
