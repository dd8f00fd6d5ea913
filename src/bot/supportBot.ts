import {
  ActivityHandler,
  ConversationState,
  UserState,
  type Storage,
  type StatePropertyAccessor,
  type TurnContext,
} from 'botbuilder';
import { DialogSet, DialogTurnStatus, type DialogState } from 'botbuilder-dialogs';
import { ContactTeamHandoff } from '../dialogs/contactTeamHandoff';
import { ConversationLanguage, languageOf, type LanguageState } from '../dialogs/conversationLanguage';
import type { LanguageSupport } from '../dialogs/otherLanguageDialog';
import { loadLanguageWording } from '../dialogs/wording/languageWording';
import { LanguageDetector } from '../services/language/languageDetector';
import { TranslatedFaq } from '../services/language/translatedFaq';
import { QueueHandoff } from '../dialogs/queueHandoff';
import type { HandoffService } from '../services/handoff/handoffService';
import { HandoffRelay } from './handoffRelay';
import { CustomerPhotos, type PendingPhotos } from '../dialogs/customerPhotos';
import { FieldValidators } from '../dialogs/fieldValidators';
import { MAIN_DIALOG, MainDialog, type MainOptions } from '../dialogs/mainDialog';
import type {
  CustomerMemory,
  HumanHandoff,
  PhoneConfirmer,
  RatingRecorder,
  SupportDialogDeps,
  TicketOperations,
  UnansweredLog,
} from '../dialogs/ports';
import { ChannelRenderer } from '../dialogs/rendering/channelRenderer';
import { loadDialogWording, type DialogWording } from '../dialogs/wording/dialogWording';
import type { FaqLibrary } from '../services/knowledge/faqLibrary';
import type { ProductCatalogue } from '../services/knowledge/productCatalogue';
import type { TroubleshootingLibrary } from '../services/knowledge/troubleshootingLibrary';
import type { Logger } from '../services/logging/logger';
import { loadCarMakes, type CarMake } from '../services/recognition/carMakes';
import type { Recognizer } from '../services/recognition/recognizer';
import { ETagCheckedStorage } from './eTagCheckedStorage';
import { JsonConversationState, JsonUserState } from './jsonBotState';
import { createOnTurnError, type OnTurnError } from './onTurnError';
import type { TurnRunner } from './server';

export interface SupportBotOptions {
  /** Where conversation and user state live: MongoStorage in the app, MemoryStorage only in tests. */
  storage: Storage;
  recognizer: Recognizer;
  catalogue: ProductCatalogue;
  faq: FaqLibrary;
  /** The bot's own words; defaults to the shipped wording files. */
  wording?: DialogWording;
  troubleshooting: TroubleshootingLibrary;
  tickets: TicketOperations;
  ratings: RatingRecorder;
  logger: Logger;
  /** Defaults to telling the customer how to reach the team. */
  handoff?: HumanHandoff;
  carMakes?: readonly CarMake[];
  now?: () => Date;
  /** One-time codes for typed mobile numbers (see PhoneConfirmer). */
  phoneConfirmation?: PhoneConfirmer;
  /** Where unanswered questions are logged (UnansweredQuestions). */
  unanswered?: UnansweredLog;
  /**
   * Agent takeover: "talk to a person" queues the conversation, every message is recorded, and a
   * handed-off conversation's messages go to the agent instead of the dialogs. Unset: `handoff`.
   */
  handoffService?: HandoffService;
}

export interface SupportBotDeps {
  conversationState: ConversationState;
  userState: UserState;
  mainDialog: MainDialog;
  renderer: ChannelRenderer;
  relay?: HandoffRelay;
}

/**
 * The Bot Framework edge of the conversation, in the shape of BotBuilder-Samples' DialogBot: a
 * message runs the main dialog (onMessage), a customer joining web chat gets the welcome
 * (onMembersAdded), and conversation and user state are saved at the end of every turn, so a restart
 * continues where the customer was. Handlers added later (onMessage, onDialog…) run as usual.
 */
export class SupportBot extends ActivityHandler implements TurnRunner {
  private readonly dialogs: DialogSet;
  private readonly dialogState: StatePropertyAccessor<DialogState>;

  constructor(private readonly deps: SupportBotDeps) {
    super();
    this.dialogState = deps.conversationState.createProperty<DialogState>('dialogState');
    this.dialogs = new DialogSet(this.dialogState).add(deps.mainDialog);

    this.onMessage(async (context, next) => {
      // Recorded before the turn acknowledges it; while handed off, it goes to the person instead.
      const outcome = deps.relay ? await deps.relay.onMessage(context) : 'bot';
      if (outcome === 'relayed') return next();
      const dc = await this.dialogs.createContext(context);
      if (outcome === 'cancelled') {
        await dc.cancelAllDialogs();
        await dc.beginDialog(MAIN_DIALOG, { text: '' } satisfies MainOptions);
        return next();
      }
      const result = await dc.continueDialog();
      if (result.status === DialogTurnStatus.empty) {
        await dc.beginDialog(MAIN_DIALOG, { text: context.activity.text ?? '' } satisfies MainOptions);
      }
      await next();
    });

    this.onMembersAdded(async (context, next) => {
      const botId = context.activity.recipient?.id;
      const customerJoined = (context.activity.membersAdded ?? []).some((member) => member.id !== botId);
      // A customer reconnecting to a conversation a person has must not get the bot's welcome.
      if (customerJoined && !(deps.relay && (await deps.relay.isHandedOff(context)))) {
        const dc = await this.dialogs.createContext(context);
        // A reconnecting web chat sends membersAdded again: don't restart a conversation in progress.
        if (!dc.activeDialog) await dc.beginDialog(MAIN_DIALOG, { welcome: true } satisfies MainOptions);
      }
      await next();
    });
  }

  /**
   * Builds the bot and everything the dialogs need from the app's services. `mainDialog` builds the
   * root dialog from those (tests pass a MainDialog subclass that observes dialog events).
   */
  static create(
    options: SupportBotOptions,
    mainDialog: (deps: SupportDialogDeps) => MainDialog = (deps) => new MainDialog(deps),
  ): {
    bot: SupportBot;
    onTurnError: OnTurnError;
    conversationState: ConversationState;
  } {
    // Conversation state is checked against concurrent turns; user state (recent ticket numbers
    // only) is shared by a customer's conversations, where the last write winning is fine.
    const conversationState = new JsonConversationState(new ETagCheckedStorage(options.storage));
    const userState = new JsonUserState(options.storage);
    const wording = options.wording ?? loadDialogWording();
    const renderer = new ChannelRenderer(wording);
    const aliases = new Map<string, string>();
    for (const make of options.carMakes ?? loadCarMakes()) {
      for (const alias of [make.name.toLowerCase(), ...make.aliases]) aliases.set(alias, make.name);
    }
    const now = options.now ?? (() => new Date());
    const languages: LanguageSupport = {
      conversation: new ConversationLanguage(
        conversationState.createProperty<LanguageState>('conversationLanguage'),
        new LanguageDetector(),
      ),
      words: loadLanguageWording(),
      faq: TranslatedFaq.loadAll(options.faq),
    };
    const contactInCustomerLanguage = (context: TurnContext): string | undefined => {
      const language = languageOf(context);
      const words = languages.words.get(language);
      const faq = languages.faq.get(language);
      return language === 'en' || !words || !faq ? undefined : `${words.text('noAgentYet')} ${faq.contact}`;
    };
    const service = options.handoffService;
    const handoff =
      options.handoff ??
      (service
        ? new QueueHandoff({
            queue: service,
            renderer,
            wording,
            contact: options.faq.contact,
            describeTime: (at) => service.settings.hours.describe(at),
            logger: options.logger,
          })
        : new ContactTeamHandoff(renderer, options.faq.contact, wording, contactInCustomerLanguage));
    const deps: SupportDialogDeps = {
      recognizer: options.recognizer,
      catalogue: options.catalogue,
      faq: options.faq,
      wording,
      troubleshooting: options.troubleshooting,
      validators: new FieldValidators(options.catalogue, aliases),
      renderer,
      tickets: options.tickets,
      ratings: options.ratings,
      handoff,
      languages,
      customerMemory: userState.createProperty<CustomerMemory>('customerMemory'),
      photos: new CustomerPhotos(conversationState.createProperty<PendingPhotos>('pendingPhotos'), now),
      logger: options.logger,
      now,
      ...(options.phoneConfirmation ? { phoneConfirmation: options.phoneConfirmation } : {}),
      ...(options.unanswered ? { unanswered: options.unanswered } : {}),
    };
    const relay = service
      ? new HandoffRelay({ service, renderer, wording, logger: options.logger })
      : undefined;
    const bot = new SupportBot({
      conversationState,
      userState,
      mainDialog: mainDialog(deps),
      renderer,
      ...(relay ? { relay } : {}),
    });
    const onTurnError = createOnTurnError({ logger: options.logger, conversationState, renderer, wording });
    return { bot, onTurnError, conversationState };
  }

  /**
   * Runs the turn's handlers, then sends what the SMS renderer held back and saves the state. The
   * transcript (the customer's message, the bot's replies) is written before the turn ends, also
   * when a handler failed: the turn's answer never goes out before its customer message is stored.
   */
  override async run(context: TurnContext): Promise<void> {
    const said = this.deps.relay?.watch(context);
    try {
      await super.run(context);
    } catch (error) {
      // The turn fails with its own error; a transcript write failing too is secondary.
      await said?.flush().catch(() => undefined);
      throw error;
    }
    await this.endTurn(context, said);
  }

  /**
   * An agent handed the conversation back: the bot takes it up again in a proactive turn (the
   * adapter's continueConversation) and asks how the help was, when `askRating`.
   */
  async resumeAfterHandoff(context: TurnContext, handoffId: string, askRating: boolean): Promise<void> {
    const said = this.deps.relay?.watch(context);
    const dc = await this.dialogs.createContext(context);
    await dc.cancelAllDialogs();
    if (askRating) {
      await dc.beginDialog(MAIN_DIALOG, {
        action: { type: 'rateHandoff', handoffId },
      } satisfies MainOptions);
    }
    await this.endTurn(context, said);
  }

  private async endTurn(context: TurnContext, said: { flush(): Promise<void> } | undefined): Promise<void> {
    await this.deps.renderer.flush(context);
    // Together, so they share one write to the store (see StateWriteBatcher). The user state (recent
    // ticket numbers) is kept even when the conversation's write loses to a concurrent turn. The
    // turn's transcript write goes alongside; all three settle before the turn ends (and is answered).
    const settled = await Promise.allSettled([
      this.deps.conversationState.saveChanges(context, false),
      this.deps.userState.saveChanges(context, false),
      said?.flush(),
    ]);
    for (const outcome of settled) if (outcome.status === 'rejected') throw outcome.reason;
  }
}
