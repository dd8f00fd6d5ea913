import { createHash, randomUUID } from 'node:crypto';
import { TurnContext } from 'botbuilder';
import {
  ComponentDialog,
  WaterfallDialog,
  type DialogInstance,
  type DialogState,
  type DialogTurnResult,
  type WaterfallStepContext,
} from 'botbuilder-dialogs';
import { z } from 'zod';
import { ConflictError, RateLimitedError, ValidationError } from '../services/errors';
import { formatDateInWords } from '../services/tickets/calendarDate';
import {
  FAULT_CATEGORIES,
  ORIGIN_CHANNELS,
  type Attachment,
  type FaultCategory,
  type OriginChannel,
  type RegistrationInput,
} from '../services/tickets/types';
import { ASK_DIALOG, AskDialog, type AskResult, type AskSpec } from './askDialog';
import type { ChoiceSpec } from './choices';
import { validatePhone, type FieldName } from './fieldValidators';
import type { ChildResult, RegistrationPrefill } from './mainActions';
import type { SupportDialogDeps } from './ports';
import { stepValues } from './stepValues';
import { stopWords } from './messages';
import { isSms, type SummaryView } from './rendering/channelRenderer';

export const REPAIR_REGISTRATION_DIALOG = 'repairRegistration';
const INTRO = 'repairRegistration.intro';
const FILL = 'repairRegistration.fill';
const SUMMARY = 'repairRegistration.summary';
const PHOTOS_FACT = 'Photos';

export interface RepairRegistrationOptions {
  prefill?: RegistrationPrefill;
  /** The after-sales rule: a check with support comes before sending a product in. */
  offerTroubleshootingFirst?: boolean;
}

const DRAFT_KEYS = [
  'productId',
  'serialNumber',
  'purchaseDate',
  'purchasedFrom',
  'orderNumber',
  'faultCategory',
  'faultDescription',
  'name',
  'phone',
  'email',
  'line1',
  'line2',
  'city',
  'region',
  'postalCode',
  'country',
] as const;
type DraftKey = (typeof DRAFT_KEYS)[number];
/** '' marks an optional answer the customer skipped. */
type Draft = Partial<Record<DraftKey, string>>;

interface RegistrationState {
  /** Stable for this registration: a retried "confirm" reuses it, so the ticket is created once. */
  draftId: string;
  draft: Draft;
  prefill: RegistrationPrefill;
}

const SKIP: ChoiceSpec = {
  value: 'skip',
  label: 'Skip',
  synonyms: ["don't have it", 'dont have it', 'none', 'no', 'n/a', 'na', "i don't know"],
};

const FAULT_LABELS: Record<FaultCategory, string> = {
  connection: 'Connection',
  audio: 'Sound',
  display: 'Screen',
  power: 'Power',
  firmware: 'Firmware / software',
  other: 'Something else',
};
const FAULT_CHOICES: ChoiceSpec[] = FAULT_CATEGORIES.map((category) => ({
  value: category,
  label: FAULT_LABELS[category],
  synonyms: [
    category,
    ...(category === 'audio' ? ['audio'] : category === 'display' ? ['display', 'picture'] : []),
  ],
}));

const SUMMARY_CHOICES: ChoiceSpec[] = [
  {
    value: 'confirm',
    label: 'Confirm and submit',
    synonyms: ['confirm', 'submit', 'yes', 'y', 'correct', 'ok', 'looks good', 'send'],
  },
  {
    value: 'edit',
    label: 'Change something',
    synonyms: ['edit', 'change', 'no', 'n', 'fix', 'wrong', 'correct something'],
  },
  { value: 'cancel', label: 'Cancel', synonyms: ['cancel registration', 'discard'] },
];

/** What the customer can pick to change at the summary, and the answers each one asks again. */
const EDIT_GROUPS: ReadonlyArray<{
  value: string;
  label: string;
  keys: readonly DraftKey[];
  synonyms?: string[];
}> = [
  { value: 'product', label: 'Product', keys: ['productId'], synonyms: ['model'] },
  { value: 'serial', label: 'Serial number', keys: ['serialNumber'], synonyms: ['serial', 's/n'] },
  { value: 'date', label: 'Purchase date', keys: ['purchaseDate'], synonyms: ['date'] },
  {
    value: 'shop',
    label: 'Where bought',
    keys: ['purchasedFrom'],
    synonyms: ['shop', 'store', 'bought from'],
  },
  { value: 'order', label: 'Order number', keys: ['orderNumber'], synonyms: ['order'] },
  {
    value: 'fault',
    label: 'Problem',
    keys: ['faultCategory', 'faultDescription'],
    synonyms: ['fault', 'description', 'problem type'],
  },
  { value: 'name', label: 'Name', keys: ['name'] },
  { value: 'phone', label: 'Mobile number', keys: ['phone'], synonyms: ['phone', 'mobile', 'number'] },
  { value: 'email', label: 'E-mail', keys: ['email'], synonyms: ['email', 'mail', 'e-mail address'] },
  {
    value: 'address',
    label: 'Return address',
    keys: ['line1', 'line2', 'city', 'region', 'postalCode', 'country'],
    synonyms: ['address'],
  },
];

/**
 * Collects the product and personal information the after-sales form asks for, one validated answer
 * at a time, shows a summary to confirm or edit, creates the ticket through the ticket service and
 * tells the customer the ticket number, the preliminary warranty assessment and what happens next.
 */
export class RepairRegistrationDialog extends ComponentDialog {
  constructor(private readonly deps: SupportDialogDeps) {
    super(REPAIR_REGISTRATION_DIALOG);
    this.addDialog(
      new WaterfallDialog<RepairRegistrationOptions>(INTRO, [
        (step) => this.offerTroubleshooting(step),
        (step) => this.start(step),
      ]),
    );
    this.addDialog(
      new WaterfallDialog<RegistrationState>(FILL, [
        (step) => this.askNext(step),
        (step) => this.storeAnswer(step),
      ]),
    );
    this.addDialog(
      new WaterfallDialog<RegistrationState>(SUMMARY, [
        (step) => this.showSummary(step),
        (step) => this.decide(step),
        (step) => this.editField(step),
      ]),
    );
    this.addDialog(new AskDialog(deps.validators, deps.renderer, deps.now));
    this.initialDialogId = INTRO;
  }

  /** A photo sent at the summary is counted in the summary shown again. */
  override async repromptDialog(context: TurnContext, instance: DialogInstance): Promise<void> {
    const stack = (instance.state as { dialogs?: DialogState } | undefined)?.dialogs?.dialogStack ?? [];
    const top = stack[stack.length - 1];
    const spec = top?.id === ASK_DIALOG ? (top.state as { spec?: AskSpec }).spec : undefined;
    if (spec?.summary) {
      const count = photoCount((await this.deps.photos.pending(context)).length);
      spec.summary = {
        ...spec.summary,
        facts: spec.summary.facts.map((fact) =>
          fact.label === PHOTOS_FACT ? { ...fact, value: count } : fact,
        ),
      };
    }
    await super.repromptDialog(context, instance);
  }

  private async offerTroubleshooting(
    step: WaterfallStepContext<RepairRegistrationOptions>,
  ): Promise<DialogTurnResult> {
    if (!step.options?.offerTroubleshootingFirst)
      return step.next({ choice: 'register', text: '' } satisfies AskResult);
    await this.deps.renderer.say(step.context, this.deps.faq.get('needs_repair').answer);
    return step.beginDialog(ASK_DIALOG, {
      prompt: 'Would you like to try troubleshooting first, or register the repair now?',
      choices: [
        {
          value: 'troubleshoot',
          label: 'Troubleshoot first',
          synonyms: ['troubleshoot', 'troubleshooting', 'try first', 'check first'],
        },
        {
          value: 'register',
          label: 'Register the repair',
          synonyms: ['register', 'register now', 'repair', 'register it'],
        },
      ],
    } satisfies AskSpec);
  }

  private async start(step: WaterfallStepContext<RepairRegistrationOptions>): Promise<DialogTurnResult> {
    const prefill = step.options?.prefill ?? {};
    if ((step.result as AskResult).choice === 'troubleshoot') {
      return step.endDialog({
        then: { type: 'troubleshoot', ...(prefill.productId ? { productId: prefill.productId } : {}) },
      } satisfies ChildResult);
    }
    await this.deps.renderer.say(
      step.context,
      `Let's register the repair. I'll ask about the product first, then your contact details; it takes a few minutes. You can say ${stopWords(step.context.activity.channelId)} at any time. If you have photos of the device, its LED or the serial label, send them whenever you like and I'll attach them.`,
    );
    const draft: Draft = {};
    if (prefill.productId && this.deps.catalogue.get(prefill.productId)) draft.productId = prefill.productId;
    if (prefill.faultCategory) draft.faultCategory = prefill.faultCategory;
    return step.replaceDialog(FILL, { draftId: randomUUID(), draft, prefill } satisfies RegistrationState);
  }

  private async askNext(step: WaterfallStepContext<RegistrationState>): Promise<DialogTurnResult> {
    const state = step.options;
    const key = DRAFT_KEYS.find((candidate) => state.draft[candidate] === undefined);
    if (!key) return step.replaceDialog(SUMMARY, state);
    stepValues<{ key: DraftKey }>(step).key = key;
    return step.beginDialog(ASK_DIALOG, this.question(step.context, key, state));
  }

  private async storeAnswer(step: WaterfallStepContext<RegistrationState>): Promise<DialogTurnResult> {
    const state = step.options;
    const key = stepValues<{ key: DraftKey }>(step).key as DraftKey;
    const answer = step.result as AskResult;
    let value: string;
    if (answer.choice === 'skip') value = '';
    else if (answer.choice === 'keep') value = state.prefill.faultSummary ?? '';
    else if (answer.choice === 'sender') value = senderPhone(step.context) ?? '';
    else value = answer.value ?? answer.choice ?? '';
    return step.replaceDialog(FILL, { ...state, draft: { ...state.draft, [key]: value } });
  }

  private async showSummary(step: WaterfallStepContext<RegistrationState>): Promise<DialogTurnResult> {
    return step.beginDialog(ASK_DIALOG, {
      prompt: 'Please check your details. Is everything correct?',
      summary: this.summaryView(step.options, (await this.deps.photos.pending(step.context)).length),
      choices: SUMMARY_CHOICES,
    } satisfies AskSpec);
  }

  private async decide(step: WaterfallStepContext<RegistrationState>): Promise<DialogTurnResult> {
    const choice = (step.result as AskResult).choice;
    if (choice === 'cancel') {
      await this.deps.renderer.say(
        step.context,
        "OK, I've cancelled the registration. Nothing was submitted.",
      );
      return step.endDialog({} satisfies ChildResult);
    }
    if (choice === 'edit') {
      return step.beginDialog(ASK_DIALOG, {
        prompt: 'Which detail would you like to change?',
        choices: EDIT_GROUPS.map((group) => ({
          value: group.value,
          label: group.label,
          ...(group.synonyms ? { synonyms: group.synonyms } : {}),
        })),
      } satisfies AskSpec);
    }
    return this.submit(step);
  }

  private async editField(step: WaterfallStepContext<RegistrationState>): Promise<DialogTurnResult> {
    const state = step.options;
    const group = EDIT_GROUPS.find((candidate) => candidate.value === (step.result as AskResult).choice);
    if (!group) return step.replaceDialog(SUMMARY, state);
    const draft = { ...state.draft };
    for (const key of group.keys) delete draft[key];
    // Changed details are a new submission: the ticket service refuses a reused key with other data.
    return step.replaceDialog(FILL, { ...state, draft, draftId: randomUUID() });
  }

  private async submit(step: WaterfallStepContext<RegistrationState>): Promise<DialogTurnResult> {
    const state = step.options;
    const context = step.context;
    const activity = context.activity;
    const photos = await this.deps.photos.pending(context);
    const input = this.registrationInput(context, state, photos);
    const idempotencyKey = `reg:${createHash('sha256').update(activity.conversation.id).digest('hex').slice(0, 24)}:${state.draftId}`;
    try {
      // The customer's memory (recent tickets) is read while the ticket is written: one wait, not two.
      const [ticket] = await Promise.all([
        this.deps.tickets.register(input, { idempotencyKey, actor: 'customer' }),
        this.deps.customerMemory.get(context, { recentTickets: [] }),
      ]);
      await this.remember(context, ticket.ticketNumber);
      // The ticket has them now; later photos start a new set.
      await this.deps.photos.clear(context);
      this.deps.logger.info(
        {
          conversationId: activity.conversation.id,
          ticketNumber: ticket.ticketNumber,
          photos: ticket.attachments.length,
        },
        'repair registered',
      );
      const attached =
        ticket.attachments.length === 0
          ? ''
          : ` ${ticket.attachments.length === 1 ? 'Your photo is' : `Your ${ticket.attachments.length} photos are`} attached to it.`;
      await this.deps.renderer.say(
        context,
        `Your repair is registered. Your ticket number is ${ticket.ticketNumber}; please keep it.${attached}\n\nPreliminary assessment: ${ticket.warranty.reason} This is based on the purchase date; the final assessment comes after our service centre has tested the product.`,
      );
      await this.deps.renderer.say(
        context,
        "What happens next: our team reviews your registration. After the review you'll receive an SMS with the address to mail the product to; please don't send it before then. You can ask me for the repair status at any time with your ticket number.",
      );
      return step.endDialog({} satisfies ChildResult);
    } catch (error) {
      const earlier = error instanceof ConflictError ? earlierTicket.safeParse(error.details) : undefined;
      if (earlier?.success) {
        // An earlier confirmation of these very details created the ticket (its answer was lost);
        // only photos sent since differ, and a ticket's attachments are fixed at registration.
        await this.remember(context, earlier.data.ticketNumber);
        await this.deps.photos.clear(context);
        await this.deps.renderer.say(
          context,
          `Your repair was already registered a moment ago: your ticket number is ${earlier.data.ticketNumber}; please keep it. Photos you sent after that could not be added to it; if they matter, our team can take them (say 'agent').`,
        );
        return step.endDialog({} satisfies ChildResult);
      }
      if (error instanceof ValidationError) {
        await this.deps.renderer.say(
          context,
          `I couldn't submit it: ${error.message}. Please change that detail.`,
        );
      } else if (error instanceof RateLimitedError) {
        const minutes = Math.max(1, Math.ceil(error.retryAfterSeconds / 60));
        await this.deps.renderer.say(
          context,
          `Too many attempts just now. Please try again in ${minutes} minute${minutes === 1 ? '' : 's'}; your details are kept.`,
        );
      } else {
        this.deps.logger.error(
          { err: error, conversationId: activity.conversation.id },
          'repair registration failed',
        );
        await this.deps.renderer.say(
          context,
          "Sorry, I couldn't submit your registration just now. Your details are kept: choose 'Confirm and submit' again in a moment.",
        );
      }
      return step.replaceDialog(SUMMARY, state);
    }
  }

  /** Offered in the status check later. */
  private async remember(context: TurnContext, ticketNumber: string): Promise<void> {
    const memory = await this.deps.customerMemory.get(context, { recentTickets: [] });
    memory.recentTickets = [
      ticketNumber,
      ...memory.recentTickets.filter((number) => number !== ticketNumber),
    ].slice(0, 5);
    await this.deps.customerMemory.set(context, memory);
  }

  private registrationInput(
    context: TurnContext,
    state: RegistrationState,
    photos: Attachment[],
  ): RegistrationInput {
    const draft = state.draft;
    const need = (key: DraftKey): string => {
      const value = draft[key];
      if (value === undefined || value === '') throw new Error(`Registration: ${key} is missing`);
      return value;
    };
    const optional = (key: DraftKey): string | undefined => (draft[key] ? draft[key] : undefined);
    const activity = context.activity;
    const orderNumber = optional('orderNumber');
    const line2 = optional('line2');
    const region = optional('region');
    const channel = (ORIGIN_CHANNELS as readonly string[]).includes(activity.channelId)
      ? (activity.channelId as OriginChannel)
      : 'api';
    return {
      product: {
        productId: need('productId'),
        serialNumber: need('serialNumber'),
        purchaseDate: need('purchaseDate'),
        purchasedFrom: need('purchasedFrom'),
        ...(orderNumber ? { orderNumber } : {}),
        faultCategory: need('faultCategory') as FaultCategory,
        faultDescription: need('faultDescription'),
        troubleshootingTried: state.prefill.troubleshootingTried ?? [],
      },
      customer: {
        name: need('name'),
        phone: need('phone'),
        email: need('email'),
        returnAddress: {
          line1: need('line1'),
          ...(line2 ? { line2 } : {}),
          city: need('city'),
          ...(region ? { region } : {}),
          postalCode: need('postalCode'),
          country: need('country'),
        },
      },
      attachments: photos,
      origin: {
        channel,
        conversationId: activity.conversation.id,
        conversationReference: conversationReferenceOf(context),
      },
    };
  }

  private summaryView(state: RegistrationState, photos: number): SummaryView {
    const draft = state.draft;
    const product = draft.productId ? this.deps.catalogue.get(draft.productId) : undefined;
    const address = [draft.line1, draft.line2, draft.city, draft.region, draft.postalCode, draft.country]
      .filter((part) => part)
      .join(', ');
    const tried = state.prefill.troubleshootingTried ?? [];
    const facts = [
      { label: 'Product', value: product?.name ?? draft.productId ?? '' },
      { label: 'Serial number', value: draft.serialNumber ?? '' },
      { label: 'Purchase date', value: draft.purchaseDate ? formatDateInWords(draft.purchaseDate) : '' },
      { label: 'Bought from', value: draft.purchasedFrom ?? '' },
      { label: 'Order number', value: draft.orderNumber || 'none' },
      {
        label: 'Problem',
        value: `${FAULT_LABELS[(draft.faultCategory ?? 'other') as FaultCategory] ?? draft.faultCategory}: ${draft.faultDescription ?? ''}`,
      },
      ...(tried.length > 0
        ? [
            {
              label: 'Already tried',
              value: `${tried.length} troubleshooting step${tried.length === 1 ? '' : 's'}`,
            },
          ]
        : []),
      { label: 'Name', value: draft.name ?? '' },
      { label: 'Mobile', value: draft.phone ?? '' },
      { label: 'E-mail', value: draft.email ?? '' },
      { label: 'Return address', value: address },
      { label: PHOTOS_FACT, value: photoCount(photos) },
    ];
    return { title: 'Your repair registration', facts };
  }

  private question(context: TurnContext, key: DraftKey, state: RegistrationState): AskSpec {
    const field = (name: FieldName, prompt: string, extra: Partial<AskSpec> = {}): AskSpec => ({
      prompt,
      field: name,
      ...extra,
    });
    switch (key) {
      case 'productId':
        return field(
          'productModel',
          'Which CarlinKit product is it? The model is printed on the label on the product or its box, for example CPC200-CCPA (CarlinKit 4.0), U2W Plus, 2air, Mini 2, A2A or Tbox Plus.',
        );
      case 'serialNumber':
        return field(
          'serialNumber',
          "What's its serial number? It's printed after S/N on the label on the product or on its box.",
        );
      case 'purchaseDate':
        return field(
          'purchaseDate',
          'When did you buy it? For example 5 March 2024 or 2024-03-05. The warranty runs from this date.',
        );
      case 'purchasedFrom':
        return field(
          'purchasedFrom',
          'Where did you buy it? For example Amazon, AliExpress or carlinkit.com.',
          { freeForm: true },
        );
      case 'orderNumber':
        return field(
          'orderNumber',
          "What's the order number? It helps us find your purchase. Reply 'skip' if you don't have it.",
          { choices: [SKIP] },
        );
      case 'faultCategory':
        return { prompt: 'What kind of fault is it?', choices: FAULT_CHOICES };
      case 'faultDescription': {
        const summary = state.prefill.faultSummary;
        if (summary) {
          return field(
            'faultDescription',
            `In a sentence or two, what exactly happens, and since when? Or reply 'skip' to use: "${summary}"`,
            {
              freeForm: true,
              choices: [{ value: 'keep', label: 'Skip', synonyms: ['keep', 'use that', 'use it', 'same'] }],
            },
          );
        }
        return field(
          'faultDescription',
          'Please describe the fault in a sentence or two: what happens, and since when?',
          { freeForm: true },
        );
      }
      case 'name':
        return field(
          'name',
          "Now your contact details, so we can reach you and send the product back. What's your full name?",
          { freeForm: true },
        );
      case 'phone': {
        const sender = senderPhone(context);
        if (sender) {
          return field(
            'phone',
            `Is ${sender} the best mobile number for SMS updates? We'll text you the mailing address after the review.`,
            {
              choices: [
                {
                  value: 'sender',
                  label: 'Yes, use this number',
                  synonyms: ['yes', 'y', 'this number', 'this one', 'correct'],
                },
              ],
              smsHint: 'Reply 1 for Yes, or send another number with its country code.',
            },
          );
        }
        return field(
          'phone',
          "What's your mobile number, with the country code (for example +1 415 555 0100)? We'll text you the mailing address after the review.",
        );
      }
      case 'email':
        return field('email', "What's your e-mail address?");
      case 'line1':
        return field(
          'addressLine1',
          'Where should we send the product back? First, the street and house number.',
          { freeForm: true },
        );
      case 'line2':
        return field('addressLine2', "Apartment, suite or building, if any? Reply 'skip' if none.", {
          freeForm: true,
          choices: [SKIP],
        });
      case 'city':
        return field('city', 'Town or city?', { freeForm: true });
      case 'region':
        return field('region', "State, province or region? Reply 'skip' if your address has none.", {
          freeForm: true,
          choices: [SKIP],
        });
      case 'postalCode':
        return field('postalCode', 'Postal code (ZIP code)?');
      case 'country':
        return field('country', 'And the country?');
    }
  }
}

/**
 * Where to reach the customer later (status SMS, agent messages). Without the activity id: it is
 * not needed to reach the conversation, and it changes every turn, which would make a retried
 * "confirm" look like a different registration to the idempotency check.
 */
function conversationReferenceOf(context: TurnContext): Record<string, unknown> {
  const { activityId: _activityId, ...reference } = TurnContext.getConversationReference(context.activity);
  // JSON round trip: a plain object without undefined fields, as the ticket store keeps it.
  return JSON.parse(JSON.stringify(reference)) as Record<string, unknown>;
}

/** What the ticket service says when an idempotency key was already used (ConflictError details). */
const earlierTicket = z.object({ ticketNumber: z.string() });

function photoCount(count: number): string {
  return count === 0 ? 'none' : count === 1 ? '1 photo' : `${count} photos`;
}

/** On SMS the sender's number is the customer's mobile (E.164 from the SMS gateway). */
function senderPhone(context: TurnContext): string | undefined {
  if (!isSms(context)) return undefined;
  const validation = validatePhone(context.activity.from?.id ?? '');
  return validation.ok ? validation.value : undefined;
}
