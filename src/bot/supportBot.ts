import {
  ActivityHandler,
  ActivityTypes,
  ConversationState,
  UserState,
  type Storage,
  type StatePropertyAccessor,
  type TurnContext,
} from 'botbuilder';
import {
  DialogSet,
  DialogTurnStatus,
  tuneDialogFramework,
  type DialogState,
} from '../dialogs/dialogFramework';
import { ContactTeamHandoff } from '../dialogs/contactTeamHandoff';
import { CustomerPhotos, type PendingPhotos } from '../dialogs/customerPhotos';
import { FieldValidators } from '../dialogs/fieldValidators';
import { MAIN_DIALOG, MainDialog, type MainOptions } from '../dialogs/mainDialog';
import type {
  CustomerMemory,
  HumanHandoff,
  RatingRecorder,
  SupportDialogDeps,
  TicketOperations,
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
}

export interface SupportBotDeps {
  conversationState: ConversationState;
  userState: UserState;
  mainDialog: MainDialog;
  renderer: ChannelRenderer;
}

/**
 * The Bot Framework edge of the conversation: greets new web chat conversations, runs the main
 * dialog on every message, and saves conversation and user state at the end of every turn, so a
 * restart continues where the customer was.
 */
/** Where botbuilder-dialogs keeps its memory-scope configuration for the turn (DialogStateManager). */
const DIALOG_STATE_MANAGER_CONFIGURATION = 'DialogStateManagerConfiguration';
/** The description of botbuilder-dialogs' private turn-state key "activityReceived was emitted". */
const ACTIVITY_RECEIVED_EMITTED = 'ActivityReceivedEmitted';

export class SupportBot extends ActivityHandler implements TurnRunner {
  private readonly dialogs: DialogSet;
  private readonly dialogState: StatePropertyAccessor<DialogState>;
  /** Per-turn dialog bookkeeping carried from the first turn on; see run(). */
  private readonly carriedTurnState = new Map<string | symbol, unknown>();

  constructor(private readonly deps: SupportBotDeps) {
    super();
    this.dialogState = deps.conversationState.createProperty<DialogState>('dialogState');
    this.dialogs = new DialogSet(this.dialogState).add(deps.mainDialog);

    this.onMembersAdded(async (context, next) => {
      const botId = context.activity.recipient?.id;
      const customerJoined = (context.activity.membersAdded ?? []).some((member) => member.id !== botId);
      if (customerJoined) {
        const dc = await this.dialogs.createContext(context);
        // A reconnecting web chat sends membersAdded again: don't restart a conversation in progress.
        if (!dc.activeDialog) await dc.beginDialog(MAIN_DIALOG, { welcome: true } satisfies MainOptions);
      }
      await next();
    });
  }

  /** Builds the bot and everything the dialogs need from the app's services. */
  static create(options: SupportBotOptions): {
    bot: SupportBot;
    onTurnError: OnTurnError;
    conversationState: ConversationState;
  } {
    tuneDialogFramework();
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
      handoff: options.handoff ?? new ContactTeamHandoff(renderer, options.faq.contact, wording),
      customerMemory: userState.createProperty<CustomerMemory>('customerMemory'),
      photos: new CustomerPhotos(conversationState.createProperty<PendingPhotos>('pendingPhotos'), now),
      logger: options.logger,
      now,
    };
    const bot = new SupportBot({ conversationState, userState, mainDialog: new MainDialog(deps), renderer });
    const onTurnError = createOnTurnError({ logger: options.logger, conversationState, renderer, wording });
    return { bot, onTurnError, conversationState };
  }

  override async run(context: TurnContext): Promise<void> {
    for (const [key, value] of this.carriedTurnState) context.turnState.set(key, value);
    // A customer's message (nearly every turn) goes straight to the dialogs; ActivityHandler's
    // event chain (turn, message and dialog handlers, promises at every step) dispatches the rest.
    if (context.activity.type === (ActivityTypes.Message as string)) await this.onCustomerMessage(context);
    else await super.run(context);
    if (this.carriedTurnState.size === 0) this.learnCarriedTurnState(context);
    await this.deps.renderer.flush(context);
    // Together, so they share one write to the store (see StateWriteBatcher). The user state (recent
    // ticket numbers) is kept even when the conversation's write loses to a concurrent turn.
    await Promise.all([
      this.deps.conversationState.saveChanges(context, false),
      this.deps.userState.saveChanges(context, false),
    ]);
  }

  private async onCustomerMessage(context: TurnContext): Promise<void> {
    const dc = await this.dialogs.createContext(context);
    const result = await dc.continueDialog();
    if (result.status === DialogTurnStatus.empty) {
      await dc.beginDialog(MAIN_DIALOG, { text: context.activity.text ?? '' } satisfies MainOptions);
    }
  }

  /**
   * botbuilder-dialogs rebuilds two things on every turn that are the same on every turn:
   * - the memory-scope configuration (a service collection and dependency graph per turn);
   * - the "activityReceived" event, walked down to the innermost dialog (a DialogContext per level)
   *   and bubbled back up, for dialogs that intercept messages in onPreBubbleEvent. None of ours
   *   do: interruptions are decided in MainDialog.onContinueDialog.
   * The first turn's configuration, and its "already emitted" mark, are set on every later turn.
   */
  private learnCarriedTurnState(context: TurnContext): void {
    const configuration: unknown = context.turnState.get(DIALOG_STATE_MANAGER_CONFIGURATION);
    if (configuration) this.carriedTurnState.set(DIALOG_STATE_MANAGER_CONFIGURATION, configuration);
    for (const key of context.turnState.keys() as IterableIterator<unknown>) {
      if (typeof key === 'symbol' && key.description === ACTIVITY_RECEIVED_EMITTED)
        this.carriedTurnState.set(key, true);
    }
  }
}
