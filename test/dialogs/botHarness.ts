import { randomUUID } from 'node:crypto';
import {
  ActivityTypes,
  MemoryStorage,
  TestAdapter,
  type Activity,
  type Attachment,
  type Storage,
} from 'botbuilder';
import { SupportBot } from '../../src/bot/supportBot';
import type { MainDialog } from '../../src/dialogs/mainDialog';
import type {
  HumanHandoff,
  PhoneConfirmer,
  SupportDialogDeps,
  TicketOperations,
  UnansweredLog,
} from '../../src/dialogs/ports';
import type { DialogWording } from '../../src/dialogs/wording/dialogWording';
import { setChannelFacts, type ChannelFacts } from '../../src/dialogs/channelFacts';
import { SatisfactionRatings } from '../../src/services/feedback/satisfactionRatings';
import { FaqLibrary } from '../../src/services/knowledge/faqLibrary';
import { ProductCatalogue } from '../../src/services/knowledge/productCatalogue';
import { TroubleshootingLibrary } from '../../src/services/knowledge/troubleshootingLibrary';
import type { Recognizer } from '../../src/services/recognition/recognizer';
import { TicketService } from '../../src/services/tickets/ticketService';
import { memoryLogger } from '../support/silentLogger';
import { startTestStore, type TestStore } from '../support/testStore';
import { testRecognizer } from './testRecognizer';

/** Tests run on a fixed day so purchase dates and warranty answers are stable. */
export const NOW = new Date('2026-03-12T02:00:00Z');

export const catalogue = ProductCatalogue.load();
export const faq = FaqLibrary.load({ turnaroundBusinessDays: 14 });
export const troubleshooting = TroubleshootingLibrary.load({ catalogue });

export interface ChatOptions {
  channelId?: string;
  userId?: string;
  conversationId?: string;
  /** Conversation and user state; a fresh MemoryStorage per chat by default. */
  storage?: Storage;
  handoff?: HumanHandoff;
  /** The ticket service as the dialogs see it; the harness's real one by default. */
  tickets?: TicketOperations;
  /** The offline recognizer by default. */
  recognizer?: Recognizer;
  /** The dialogs' clock; NOW by default. */
  now?: () => Date;
  /** Builds the root dialog (a MainDialog subclass that observes events); the app's MainDialog by default. */
  mainDialog?: (deps: SupportDialogDeps) => MainDialog;
  /** The bot's own words; the shipped wording files by default. */
  wording?: DialogWording;
  /** What the channel vouches for each turn (an SMS sender's number), as the real adapters set it. */
  channelFacts?: ChannelFacts;
  /** Where unanswered questions go; none by default. */
  unanswered?: UnansweredLog;
  /** One-time codes for typed numbers; none by default. */
  phoneConfirmation?: PhoneConfirmer;
}

/**
 * The real bot (SupportBot + every dialog + the real ticket service and ratings on an in-memory
 * embedded store) behind botbuilder's TestAdapter: a chat sends a message and gets this turn's replies.
 */
export class BotHarness {
  private constructor(
    readonly store: TestStore,
    readonly tickets: TicketService,
    readonly ratings: SatisfactionRatings,
    readonly logLines: string[],
    private readonly recognizer: Recognizer,
    private readonly logger: ReturnType<typeof memoryLogger>['logger'],
  ) {}

  static async start(): Promise<BotHarness> {
    const store = await startTestStore();
    const { logger, lines } = memoryLogger();
    const tickets = new TicketService({
      connection: store.connection,
      catalogue,
      logger,
      repairs: { holidays: [], turnaroundBusinessDays: 14 },
      clock: { now: () => NOW },
    });
    await tickets.init();
    const ratings = new SatisfactionRatings(store.connection, () => NOW);
    return new BotHarness(store, tickets, ratings, lines, await testRecognizer(), logger);
  }

  chat(options: ChatOptions = {}): TestChat {
    const { bot, onTurnError } = SupportBot.create(
      {
        storage: options.storage ?? new MemoryStorage(),
        recognizer: options.recognizer ?? this.recognizer,
        catalogue,
        faq,
        troubleshooting,
        tickets: options.tickets ?? this.tickets,
        ratings: this.ratings,
        logger: this.logger,
        now: options.now ?? (() => NOW),
        ...(options.handoff ? { handoff: options.handoff } : {}),
        ...(options.wording ? { wording: options.wording } : {}),
        ...(options.unanswered ? { unanswered: options.unanswered } : {}),
        ...(options.phoneConfirmation ? { phoneConfirmation: options.phoneConfirmation } : {}),
      },
      options.mainDialog,
    );
    const conversationId = options.conversationId ?? `conv-${randomUUID()}`;
    const userId = options.userId ?? `user-${randomUUID().slice(0, 8)}`;
    const adapter = new TestAdapter(async (context) => bot.run(context));
    adapter.onTurnError = onTurnError;
    const facts = options.channelFacts;
    if (facts) {
      adapter.use(async (context, next) => {
        setChannelFacts(context, facts);
        await next();
      });
    }
    adapter.conversation = {
      channelId: options.channelId ?? 'test',
      serviceUrl: 'https://test.invalid',
      user: { id: userId, name: 'Customer' },
      bot: { id: 'bot', name: 'CarlinKit Support' },
      conversation: { id: conversationId, isGroup: false, conversationType: 'personal', name: '' },
    };
    return new TestChat(adapter, conversationId, bot);
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}

export class TestChat {
  constructor(
    readonly adapter: TestAdapter,
    readonly conversationId: string,
    /** The bot itself, to add handlers as an app would. */
    readonly bot: SupportBot,
  ) {}

  /** Sends a message (or a card submit / any activity) and returns the bot's replies to it. */
  async send(input: string | Partial<Activity>): Promise<Reply[]> {
    this.adapter.activeQueue.splice(0);
    await this.adapter.receiveActivity(
      typeof input === 'string' ? { type: ActivityTypes.Message, text: input } : input,
    );
    return this.adapter.activeQueue.splice(0).map((activity) => new Reply(activity));
  }

  /** Sends and returns all reply texts joined (what the customer reads this turn). */
  async say(input: string | Partial<Activity>): Promise<string> {
    return (await this.send(input)).map((reply) => reply.text).join('\n---\n');
  }

  /** The web chat opening: conversationUpdate with the customer joining. */
  async open(): Promise<Reply[]> {
    const conversation = this.adapter.conversation;
    this.adapter.activeQueue.splice(0);
    await this.adapter.receiveActivity({
      type: ActivityTypes.ConversationUpdate,
      membersAdded: [conversation.user!, conversation.bot],
    });
    return this.adapter.activeQueue.splice(0).map((activity) => new Reply(activity));
  }

  /** Sends the answers one after the other; returns the replies to the last one. */
  async answers(inputs: readonly string[]): Promise<string> {
    let last = '';
    for (const input of inputs) last = await this.say(input);
    return last;
  }
}

interface CardAction {
  title?: string;
  data?: unknown;
}
interface CardElement {
  type?: string;
  text?: string;
  facts?: Array<{ title: string; value: string }>;
}
interface AdaptiveCardContent {
  body?: CardElement[];
  actions?: CardAction[];
  fallbackText?: string;
}

/** A bot reply as the customer sees it: text, buttons, and any Adaptive Card. */
export class Reply {
  constructor(readonly activity: Partial<Activity>) {}

  get text(): string {
    const card = this.card;
    const cardText = card
      ? (card.body ?? [])
          .map(
            (element) =>
              element.text ?? (element.facts ?? []).map((fact) => `${fact.title}: ${fact.value}`).join('\n'),
          )
          .join('\n')
      : '';
    return [this.activity.text ?? '', cardText].filter((part) => part !== '').join('\n');
  }

  /** Suggested-action titles, or the card's button titles. */
  get buttons(): string[] {
    const suggested = (this.activity.suggestedActions?.actions ?? []).map((action) => String(action.title));
    const card = (this.card?.actions ?? []).map((action) => String(action.title));
    return [...suggested, ...card];
  }

  get card(): AdaptiveCardContent | undefined {
    const attachment = (this.activity.attachments ?? []).find(
      (candidate: Attachment) => candidate.contentType === 'application/vnd.microsoft.card.adaptive',
    );
    return attachment?.content as AdaptiveCardContent | undefined;
  }
}
