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
import { EARLIEST_PURCHASE_DATE, validatePhone, type FieldName } from './fieldValidators';
import type { ExtractedSlots, SlotName } from '../services/extraction/slotExtractor';
import { calendarDateOf, SERVICE_TIME_ZONE } from '../services/tickets/calendarDate';
import { extractionContext } from './slotContext';
import { checkForm, missingInputs, registrationForm, ADDRESS_PROBLEMS } from './registrationForm';
import type { ChildResult, RegistrationPrefill } from './mainActions';
import type { SupportDialogDeps } from './ports';
import { stepValues } from './stepValues';
import { channelFacts } from './channelFacts';
import { stopWords } from './messages';
import { isSms, isWebChat, type SummaryView } from './rendering/channelRenderer';
import { wordsFor, type PlainWordKey, type Words } from './wording/dialogWording';

export const REPAIR_REGISTRATION_DIALOG = 'repairRegistration';
const INTRO = 'repairRegistration.intro';
const FILL = 'repairRegistration.fill';
const SUMMARY = 'repairRegistration.summary';
const CONFIRM_PHONE = 'repairRegistration.confirmPhone';

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
  /** The customer has no serial number: registered without one, flagged for the team. */
  serialMissing?: boolean;
  /** Web chat: the form of missing fields was sent (it is sent once, and again only with errors). */
  formShown?: boolean;
  /** A refused form submit: what was typed and the problem per field, for the card sent again. */
  formRetry?: { values: Record<string, string>; errors: Record<string, string> };
}

const ADDRESS_KEYS: readonly DraftKey[] = ['line1', 'line2', 'city', 'region', 'postalCode', 'country'];

/** The question each draft key is asked by, as the extractor names it. */
const SLOT_OF: Partial<Record<DraftKey, SlotName>> = {
  productId: 'product',
  serialNumber: 'serial',
  purchaseDate: 'purchaseDate',
  purchasedFrom: 'shop',
  orderNumber: 'orderNumber',
  faultDescription: 'fault',
  name: 'name',
  phone: 'phone',
  email: 'email',
  line1: 'address',
};

/** The draft keys a change request ("change the address") clears. */
const KEYS_OF: Record<SlotName, readonly DraftKey[]> = {
  product: ['productId'],
  serial: ['serialNumber'],
  purchaseDate: ['purchaseDate'],
  shop: ['purchasedFrom'],
  orderNumber: ['orderNumber'],
  fault: ['faultCategory', 'faultDescription'],
  name: ['name'],
  phone: ['phone'],
  email: ['email'],
  address: ADDRESS_KEYS,
};

const skipChoice = (words: Words): ChoiceSpec => ({
  value: 'skip',
  label: words.text('registration.skip'),
  synonyms: ["don't have it", 'dont have it', 'none', 'no', 'n/a', 'na', "i don't know"],
});

const FAULT_LABELS: Record<FaultCategory, PlainWordKey> = {
  connection: 'registration.faultConnection',
  audio: 'registration.faultAudio',
  display: 'registration.faultDisplay',
  power: 'registration.faultPower',
  firmware: 'registration.faultFirmware',
  other: 'registration.faultOther',
};
const faultChoices = (words: Words): ChoiceSpec[] =>
  FAULT_CATEGORIES.map((category) => ({
    value: category,
    label: words.text(FAULT_LABELS[category]),
    synonyms: [
      category,
      ...(category === 'audio' ? ['audio'] : category === 'display' ? ['display', 'picture'] : []),
    ],
  }));

const summaryChoices = (words: Words): ChoiceSpec[] => [
  {
    value: 'confirm',
    label: words.text('registration.confirm'),
    synonyms: ['confirm', 'submit', 'yes', 'y', 'correct', 'ok', 'looks good', 'send'],
  },
  {
    value: 'edit',
    label: words.text('registration.edit'),
    synonyms: ['edit', 'change', 'no', 'n', 'fix', 'wrong', 'correct something'],
  },
  { value: 'cancel', label: words.text('registration.cancel'), synonyms: ['cancel registration', 'discard'] },
];

/** What the customer can pick to change at the summary, and the answers each one asks again. */
const EDIT_GROUPS: ReadonlyArray<{
  value: string;
  label: PlainWordKey;
  keys: readonly DraftKey[];
  synonyms?: string[];
}> = [
  { value: 'product', label: 'registration.editProduct', keys: ['productId'], synonyms: ['model'] },
  {
    value: 'serial',
    label: 'registration.editSerialNumber',
    keys: ['serialNumber'],
    synonyms: ['serial', 's/n'],
  },
  { value: 'date', label: 'registration.editPurchaseDate', keys: ['purchaseDate'], synonyms: ['date'] },
  {
    value: 'shop',
    label: 'registration.editShop',
    keys: ['purchasedFrom'],
    synonyms: ['shop', 'store', 'bought from'],
  },
  { value: 'order', label: 'registration.editOrderNumber', keys: ['orderNumber'], synonyms: ['order'] },
  {
    value: 'fault',
    label: 'registration.editProblem',
    keys: ['faultCategory', 'faultDescription'],
    synonyms: ['fault', 'description', 'problem type'],
  },
  { value: 'name', label: 'registration.editName', keys: ['name'] },
  {
    value: 'phone',
    label: 'registration.editPhone',
    keys: ['phone'],
    synonyms: ['phone', 'mobile', 'number'],
  },
  {
    value: 'email',
    label: 'registration.editEmail',
    keys: ['email'],
    synonyms: ['email', 'mail', 'e-mail address'],
  },
  {
    value: 'address',
    label: 'registration.editAddress',
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
    this.addDialog(
      new WaterfallDialog<RegistrationState>(CONFIRM_PHONE, [
        (step) => this.askCode(step),
        (step) => this.checkCode(step),
      ]),
    );
    this.addDialog(new AskDialog(deps.validators, deps.renderer, deps.now, deps.wording));
    this.initialDialogId = INTRO;
  }

  private words(context: TurnContext): Words {
    return wordsFor(this.deps.wording, context);
  }

  /** A photo sent at the summary is counted in the summary shown again. */
  override async repromptDialog(context: TurnContext, instance: DialogInstance): Promise<void> {
    const stack = (instance.state as { dialogs?: DialogState } | undefined)?.dialogs?.dialogStack ?? [];
    const top = stack[stack.length - 1];
    const spec = top?.id === ASK_DIALOG ? (top.state as { spec?: AskSpec }).spec : undefined;
    if (spec?.summary) {
      const words = this.words(context);
      const count = words.text('registration.factPhotosValue', {
        count: (await this.deps.photos.pending(context)).length,
      });
      const photosFact = words.text('registration.factPhotos');
      spec.summary = {
        ...spec.summary,
        facts: spec.summary.facts.map((fact) =>
          fact.label === photosFact ? { ...fact, value: count } : fact,
        ),
      };
    }
    await super.repromptDialog(context, instance);
  }

  private async offerTroubleshooting(
    step: WaterfallStepContext<RepairRegistrationOptions>,
  ): Promise<DialogTurnResult> {
    // The message that started the registration may already carry the details ("my U2W Plus, S/N …").
    const first = step.context.activity.text ?? '';
    stepValues<{ firstText: string }>(step).firstText = first;
    if (!step.options?.offerTroubleshootingFirst)
      return step.next({ choice: 'register', text: '' } satisfies AskResult);
    await this.deps.renderer.say(step.context, this.deps.faq.get('needs_repair').answer);
    const words = this.words(step.context);
    return step.beginDialog(ASK_DIALOG, {
      prompt: words.text('registration.offerPrompt'),
      choices: [
        {
          value: 'troubleshoot',
          label: words.text('registration.offerTroubleshoot'),
          synonyms: ['troubleshoot', 'troubleshooting', 'try first', 'check first'],
        },
        {
          value: 'register',
          label: words.text('registration.offerRegister'),
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
    const words = this.words(step.context);
    await this.deps.renderer.say(
      step.context,
      words.text('registration.intro', { stopWords: stopWords(words, step.context.activity.channelId) }),
    );
    const draft: Draft = {};
    if (prefill.productId && this.deps.catalogue.get(prefill.productId)) draft.productId = prefill.productId;
    if (prefill.faultCategory) draft.faultCategory = prefill.faultCategory;
    let state: RegistrationState = { draftId: randomUUID(), draft, prefill };
    // What the customer wrote before troubleshooting (its fault wording is troubleshooting's to
    // summarise, and offered to keep), then this message.
    const earlier = prefill.earlierText;
    if (earlier && earlier.trim() !== '') {
      const {
        faultCategory: _category,
        faultDescription: _description,
        ...slots
      } = this.deps.validators.extractor.extract(earlier, extractionContext(step.context, this.deps.now()));
      state = await this.fill(step.context, state, slots, undefined);
    }
    const first = stepValues<{ firstText?: string }>(step).firstText;
    if (first && first.trim() !== '') {
      const slots = this.deps.validators.extractor.extract(
        first,
        extractionContext(step.context, this.deps.now()),
      );
      state = await this.fill(step.context, state, slots, undefined);
    }
    return step.replaceDialog(FILL, state);
  }

  private async askNext(step: WaterfallStepContext<RegistrationState>): Promise<DialogTurnResult> {
    const state = step.options;
    // The address is one question, as written on a parcel; parts it lacked are asked one by one.
    const key = DRAFT_KEYS.find((candidate) => state.draft[candidate] === undefined);
    if (!key) return step.replaceDialog(SUMMARY, state);
    stepValues<{ key: DraftKey }>(step).key = key;
    const question = this.question(step.context, key, state);
    // Web chat: everything still missing in one card (once, and again with the problems beside the
    // fields after a refused submit); typed answers keep working beside it.
    const inputs = missingInputs(state.draft, state.serialMissing === true);
    const retry = state.formRetry;
    if (isWebChat(step.context) && (retry || (!state.formShown && inputs.length >= 2))) {
      const words = this.words(step.context);
      state.formShown = true;
      delete state.formRetry;
      return step.beginDialog(ASK_DIALOG, {
        ...question,
        prompt: retry
          ? words.text('registration.formFixErrors')
          : words.text('registration.formPrompt', { question: question.prompt }),
        form: registrationForm(
          words,
          this.deps.catalogue,
          this.faultLabels(words),
          inputs,
          retry?.values,
          retry?.errors,
        ),
      } satisfies AskSpec);
    }
    return step.beginDialog(ASK_DIALOG, question);
  }

  private async storeAnswer(step: WaterfallStepContext<RegistrationState>): Promise<DialogTurnResult> {
    const state = step.options;
    const key = stepValues<{ key: DraftKey }>(step).key as DraftKey;
    const answer = step.result as AskResult;
    if (answer.form) return step.replaceDialog(FILL, this.storeForm(step.context, state, answer.form));
    if (answer.slots?.addressProblem && !/[,\n;]/.test(answer.text)) {
      // One line ("500 Market Street"): the street; the rest of the address is asked part by part.
      const street = this.deps.validators.validate('addressLine1', answer.text, {
        now: this.deps.now(),
        words: this.words(step.context),
      });
      if (street.ok)
        return step.replaceDialog(FILL, { ...state, draft: { ...state.draft, line1: street.value } });
    }
    if (answer.slots) {
      const asked = SLOT_OF[key];
      return step.replaceDialog(FILL, await this.fill(step.context, state, answer.slots, asked, answer.text));
    }
    if (answer.choice === 'noSerial') {
      await this.deps.renderer.say(step.context, this.words(step.context).text('registration.noSerial'));
      return step.replaceDialog(FILL, {
        ...state,
        serialMissing: true,
        draft: { ...state.draft, serialNumber: '' },
      });
    }
    let value: string;
    if (answer.choice === 'skip') value = '';
    else if (answer.choice === 'keep') value = state.prefill.faultSummary ?? '';
    else if (answer.choice === 'sender') value = senderPhone(step.context, this.words(step.context)) ?? '';
    else value = answer.value ?? answer.choice ?? '';
    return step.replaceDialog(FILL, { ...state, draft: { ...state.draft, [key]: value } });
  }

  /** A submitted card: every missing field at once, or the card again with each problem beside its field. */
  private storeForm(
    context: TurnContext,
    state: RegistrationState,
    submitted: Record<string, unknown>,
  ): RegistrationState {
    const inputs = missingInputs(state.draft, state.serialMissing === true);
    const checked = checkForm(submitted, inputs, {
      validators: this.deps.validators,
      words: this.words(context),
      context,
      now: this.deps.now(),
    });
    if (!checked.ok) return { ...state, formRetry: { values: checked.values, errors: checked.errors } };
    return {
      ...state,
      draft: { ...state.draft, ...checked.draft },
      draftId: randomUUID(),
      ...(checked.serialMissing ? { serialMissing: true } : {}),
    };
  }

  private faultLabels(words: Words): Record<FaultCategory, string> {
    return Object.fromEntries(
      FAULT_CATEGORIES.map((category) => [category, words.text(FAULT_LABELS[category])]),
    ) as Record<FaultCategory, string>;
  }

  /**
   * Puts what a message carried into the draft: empty fields are filled, filled ones change only
   * when the message corrects them ("actually…", "not…") or answers the question asked. Says what
   * was understood ("U2W Plus, bought 4 Sep 2025 on Amazon — got it") and why a value was refused.
   */
  private async fill(
    context: TurnContext,
    state: RegistrationState,
    slots: ExtractedSlots,
    asked: SlotName | undefined,
    text?: string,
  ): Promise<RegistrationState> {
    const words = this.words(context);
    const draft: Draft = { ...state.draft };
    let serialMissing = state.serialMissing;
    const understood: string[] = [];
    const problems: string[] = [];
    const may = (slot: SlotName, keys: readonly DraftKey[]): boolean =>
      slots.correction === true ||
      asked === slot ||
      keys.every((key) => draft[key] === undefined || draft[key] === '');
    for (const slot of slots.change ?? []) for (const key of KEYS_OF[slot]) delete draft[key];
    if (slots.productId && (may('product', ['productId']) || slots.productId === draft.productId)) {
      draft.productId = slots.productId;
      understood.push(this.deps.catalogue.get(slots.productId)?.name ?? slots.productId);
    }
    if (slots.serialNumber && may('serial', ['serialNumber'])) {
      draft.serialNumber = slots.serialNumber;
      serialMissing = undefined;
      understood.push(words.text('registration.gotSerial', { serial: slots.serialNumber }));
    } else if (slots.noSerial && !draft.serialNumber) {
      draft.serialNumber = '';
      serialMissing = true;
      await this.deps.renderer.say(context, words.text('registration.noSerial'));
    }
    if (slots.dateAmbiguous && (asked === 'purchaseDate' || draft.purchaseDate === undefined)) {
      problems.push(words.text('validation.dateAmbiguous'));
    } else if (slots.purchaseDate && may('purchaseDate', ['purchaseDate'])) {
      const today = calendarDateOf(this.deps.now(), SERVICE_TIME_ZONE);
      const date = slots.purchaseDate.date;
      if (date > today) problems.push(words.text('validation.dateInFuture'));
      else if (date < EARLIEST_PURCHASE_DATE) problems.push(words.text('validation.dateTooEarly'));
      else {
        draft.purchaseDate = date;
        understood.push(words.text('registration.gotDate', { date: formatDateInWords(date) }));
      }
    }
    if (slots.purchasedFrom && may('shop', ['purchasedFrom'])) {
      draft.purchasedFrom = slots.purchasedFrom;
      understood.push(words.text('registration.gotShop', { shop: slots.purchasedFrom }));
    }
    if (slots.orderNumber && may('orderNumber', ['orderNumber'])) {
      draft.orderNumber = slots.orderNumber;
      understood.push(words.text('registration.gotOrder', { order: slots.orderNumber }));
    }
    if (slots.faultCategory && may('fault', ['faultCategory'])) draft.faultCategory = slots.faultCategory;
    if (slots.faultDescription && may('fault', ['faultDescription'])) {
      draft.faultDescription = slots.faultDescription;
      understood.push(`"${slots.faultDescription}"`);
    }
    if (slots.name && may('name', ['name'])) {
      draft.name = slots.name;
      understood.push(slots.name);
    }
    if (slots.phone && may('phone', ['phone'])) {
      draft.phone = slots.phone;
      understood.push(slots.phone);
    }
    if (slots.email && may('email', ['email'])) {
      draft.email = slots.email;
      understood.push(slots.email);
    }
    if (slots.address && may('address', ['line1'])) {
      const address = slots.address;
      Object.assign(draft, {
        line1: address.line1,
        line2: address.line2 ?? '',
        city: address.city,
        region: address.region ?? '',
        postalCode: address.postalCode,
        country: address.country,
      } satisfies Draft);
      understood.push(
        [address.line1, address.line2, address.city, address.region, address.postalCode, address.country]
          .filter((part) => part)
          .join(', '),
      );
    } else if (slots.addressProblem) {
      problems.push(words.text(ADDRESS_PROBLEMS[slots.addressProblem]));
    }
    // A plain answer to the question asked is not read back unless it was rewritten (a phone, a date).
    const plainAnswer =
      understood.length === 1 &&
      asked !== undefined &&
      text !== undefined &&
      understood[0].includes(text.trim());
    if (understood.length > 0 && !plainAnswer)
      await this.deps.renderer.say(
        context,
        words.text('registration.understood', { facts: understood.join(', ') }),
      );
    for (const problem of problems) await this.deps.renderer.say(context, problem);
    const changed = JSON.stringify(draft) !== JSON.stringify(state.draft);
    return {
      ...state,
      draft,
      ...(serialMissing ? { serialMissing } : { serialMissing: undefined }),
      // Changed details are a new submission: the ticket service refuses a reused key with other data.
      ...(changed ? { draftId: randomUUID() } : {}),
    };
  }

  private async showSummary(step: WaterfallStepContext<RegistrationState>): Promise<DialogTurnResult> {
    const words = this.words(step.context);
    return step.beginDialog(ASK_DIALOG, {
      prompt: words.text('registration.summaryPrompt'),
      summary: this.summaryView(words, step.options, (await this.deps.photos.pending(step.context)).length),
      choices: summaryChoices(words),
      extract: { ...(step.options.draft.country ? { country: step.options.draft.country } : {}) },
    } satisfies AskSpec);
  }

  private async decide(step: WaterfallStepContext<RegistrationState>): Promise<DialogTurnResult> {
    const answer = step.result as AskResult;
    const choice = answer.choice;
    const words = this.words(step.context);
    if (answer.slots) {
      // A correction typed at the summary: every value in it replaces the old one; a new submission.
      const corrected = await this.fill(
        step.context,
        step.options,
        { ...answer.slots, correction: true },
        undefined,
      );
      return step.replaceDialog(FILL, { ...corrected, draftId: randomUUID() });
    }
    if (choice === 'cancel') {
      await this.deps.renderer.say(step.context, words.text('registration.cancelled'));
      return step.endDialog({} satisfies ChildResult);
    }
    if (choice === 'edit') {
      return step.beginDialog(ASK_DIALOG, {
        prompt: words.text('registration.editPrompt'),
        choices: EDIT_GROUPS.map((group) => ({
          value: group.value,
          label: words.text(group.label),
          ...(group.synonyms ? { synonyms: group.synonyms } : {}),
        })),
      } satisfies AskSpec);
    }
    return this.confirmPhoneThenSubmit(step);
  }

  /**
   * The "registered" SMS goes to the number typed in the form: unless the number has texted us (or
   * is this SMS conversation's own), a one-time code sent to it must come back first, so the bot
   * can't be made to text strangers. Without a code the repair is still registered, without SMS.
   */
  private async confirmPhoneThenSubmit(
    step: WaterfallStepContext<RegistrationState>,
  ): Promise<DialogTurnResult> {
    const confirmation = this.deps.phoneConfirmation;
    const phone = step.options.draft.phone;
    if (!confirmation || !phone || phone === senderPhone(step.context, this.words(step.context)))
      return this.submit(step);
    const conversationId = step.context.activity.conversation.id;
    const started = await confirmation.start({ phone, conversationId });
    if (started === 'not_needed') return this.submit(step);
    if (started === 'unavailable') return this.submit(step, { notifyCustomer: false });
    return step.replaceDialog(CONFIRM_PHONE, step.options);
  }

  private async askCode(step: WaterfallStepContext<RegistrationState>): Promise<DialogTurnResult> {
    const words = this.words(step.context);
    return step.beginDialog(ASK_DIALOG, {
      prompt: words.text('registration.askCode', { phone: step.options.draft.phone ?? '' }),
      field: 'confirmationCode',
      choices: [{ ...skipChoice(words), label: words.text('registration.skipCode') }],
    } satisfies AskSpec);
  }

  private async checkCode(step: WaterfallStepContext<RegistrationState>): Promise<DialogTurnResult> {
    const answer = step.result as AskResult;
    const phone = step.options.draft.phone ?? '';
    if (answer.choice === 'skip') return this.submit(step, { notifyCustomer: false });
    const checked = await this.deps.phoneConfirmation!.confirm({
      phone,
      conversationId: step.context.activity.conversation.id,
      code: answer.value ?? '',
    });
    if (checked === 'confirmed') return this.submit(step);
    if (checked === 'wrong') {
      await this.deps.renderer.say(
        step.context,
        "That code isn't right. Please check the SMS and try again.",
      );
      return step.replaceDialog(CONFIRM_PHONE, step.options);
    }
    await this.deps.renderer.say(
      step.context,
      this.words(step.context).text(
        checked === 'expired' ? 'registration.codeExpired' : 'registration.tooManyCodes',
      ),
    );
    return this.submit(step, { notifyCustomer: false });
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

  private async submit(
    step: WaterfallStepContext<RegistrationState>,
    delivery: { notifyCustomer?: boolean } = {},
  ): Promise<DialogTurnResult> {
    const state = step.options;
    const context = step.context;
    const activity = context.activity;
    const words = this.words(context);
    const photos = await this.deps.photos.pending(context);
    const input = this.registrationInput(context, state, photos);
    const idempotencyKey = `reg:${createHash('sha256').update(activity.conversation.id).digest('hex').slice(0, 24)}:${state.draftId}`;
    try {
      // The customer's memory (recent tickets) is read while the ticket is written: one wait, not two.
      const [ticket] = await Promise.all([
        this.deps.tickets.register(input, { idempotencyKey, actor: 'customer', ...delivery }),
        this.deps.customerMemory.get(context, { recentTickets: [] }),
      ]);
      await this.remember(context, ticket.ticketNumber);
      // The ticket has them now; later photos start a new set.
      await this.deps.photos.clear(context);
      // No conversation id next to the ticket number: an SMS conversation's id stands for a phone number.
      this.deps.logger.info(
        { ticketNumber: ticket.ticketNumber, channel: activity.channelId, photos: ticket.attachments.length },
        'repair registered',
      );
      await this.deps.renderer.say(
        context,
        words.text('registration.registered', {
          ticketNumber: ticket.ticketNumber,
          photos: ticket.attachments.length,
          warrantyReason: ticket.warranty.reason,
        }),
      );
      await this.deps.renderer.say(
        context,
        words.text(
          delivery.notifyCustomer === false ? 'registration.nextStepsNoSms' : 'registration.nextSteps',
        ),
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
          words.text('registration.alreadyRegistered', { ticketNumber: earlier.data.ticketNumber }),
        );
        return step.endDialog({} satisfies ChildResult);
      }
      if (error instanceof ValidationError) {
        await this.deps.renderer.say(context, words.text('registration.invalid', { problem: error.message }));
      } else if (error instanceof RateLimitedError && error.retryAfterSeconds >= 60 * 60) {
        // A daily cap (RegistrationLimits): trying again in a moment won't help.
        await this.deps.renderer.say(
          context,
          words.text('registration.dailyCap', { problem: error.message, contact: this.deps.faq.contact }),
        );
        return step.endDialog({} satisfies ChildResult);
      } else if (error instanceof RateLimitedError) {
        const minutes = Math.max(1, Math.ceil(error.retryAfterSeconds / 60));
        await this.deps.renderer.say(context, words.text('registration.rateLimited', { minutes }));
      } else {
        this.deps.logger.error(
          { err: error, conversationId: activity.conversation.id },
          'repair registration failed',
        );
        await this.deps.renderer.say(context, words.text('registration.failed'));
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
        ...(state.serialMissing ? { serialMissing: true } : { serialNumber: need('serialNumber') }),
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

  private summaryView(words: Words, state: RegistrationState, photos: number): SummaryView {
    const draft = state.draft;
    const product = draft.productId ? this.deps.catalogue.get(draft.productId) : undefined;
    const address = [draft.line1, draft.line2, draft.city, draft.region, draft.postalCode, draft.country]
      .filter((part) => part)
      .join(', ');
    const tried = state.prefill.troubleshootingTried ?? [];
    const faultLabel = FAULT_LABELS[(draft.faultCategory ?? 'other') as FaultCategory];
    const facts = [
      { label: words.text('registration.factProduct'), value: product?.name ?? draft.productId ?? '' },
      {
        label: words.text('registration.factSerialNumber'),
        value: state.serialMissing ? words.text('registration.factNoSerial') : (draft.serialNumber ?? ''),
      },
      {
        label: words.text('registration.factPurchaseDate'),
        value: draft.purchaseDate ? formatDateInWords(draft.purchaseDate) : '',
      },
      { label: words.text('registration.factBoughtFrom'), value: draft.purchasedFrom ?? '' },
      {
        label: words.text('registration.factOrderNumber'),
        value: draft.orderNumber || words.text('registration.factNoOrderNumber'),
      },
      {
        label: words.text('registration.factProblem'),
        value: words.text('registration.factProblemValue', {
          category: faultLabel ? words.text(faultLabel) : (draft.faultCategory ?? ''),
          description: draft.faultDescription ?? '',
        }),
      },
      ...(tried.length > 0
        ? [
            {
              label: words.text('registration.factAlreadyTried'),
              value: words.text('registration.factAlreadyTriedValue', { count: tried.length }),
            },
          ]
        : []),
      { label: words.text('registration.factName'), value: draft.name ?? '' },
      { label: words.text('registration.factMobile'), value: draft.phone ?? '' },
      { label: words.text('registration.factEmail'), value: draft.email ?? '' },
      { label: words.text('registration.factReturnAddress'), value: address },
      {
        label: words.text('registration.factPhotos'),
        value: words.text('registration.factPhotosValue', { count: photos }),
      },
    ];
    return { title: words.text('registration.summaryTitle'), facts };
  }

  private question(context: TurnContext, key: DraftKey, state: RegistrationState): AskSpec {
    const words = this.words(context);
    const asked = SLOT_OF[key];
    const country = state.draft.country;
    const extract = { ...(asked ? { asked } : {}), ...(country ? { country } : {}) };
    const field = (name: FieldName, prompt: string, extra: Partial<AskSpec> = {}): AskSpec => ({
      prompt,
      field: name,
      extract,
      ...extra,
    });
    switch (key) {
      case 'productId':
        return field('productModel', words.text('registration.askProduct'));
      case 'serialNumber':
        return field('serialNumber', words.text('registration.askSerialNumber'), {
          choices: [
            {
              value: 'noSerial',
              label: words.text('registration.noSerialChoice'),
              synonyms: [
                "don't have it",
                'dont have it',
                "i don't have it",
                "i don't have one",
                "can't find it",
                'cant find it',
                'none',
                'no',
                "i don't know",
              ],
            },
          ],
        });
      case 'purchaseDate':
        return field('purchaseDate', words.text('registration.askPurchaseDate'));
      case 'purchasedFrom':
        return field('purchasedFrom', words.text('registration.askPurchasedFrom'), { freeForm: true });
      case 'orderNumber':
        return field('orderNumber', words.text('registration.askOrderNumber'), {
          choices: [skipChoice(words)],
        });
      case 'faultCategory':
        return { prompt: words.text('registration.askFaultCategory'), choices: faultChoices(words), extract };
      case 'faultDescription': {
        const summary = state.prefill.faultSummary;
        if (summary) {
          return field(
            'faultDescription',
            words.text('registration.askFaultDescriptionOrKeep', { summary }),
            {
              freeForm: true,
              choices: [
                {
                  value: 'keep',
                  label: words.text('registration.skip'),
                  synonyms: ['keep', 'use that', 'use it', 'same'],
                },
              ],
            },
          );
        }
        return field('faultDescription', words.text('registration.askFaultDescription'), { freeForm: true });
      }
      case 'name':
        return field('name', words.text('registration.askName'), { freeForm: true });
      case 'phone': {
        const sender = senderPhone(context, words);
        if (sender) {
          return field('phone', words.text('registration.askSenderPhone', { phone: sender }), {
            choices: [
              {
                value: 'sender',
                label: words.text('registration.useSenderPhone'),
                synonyms: ['yes', 'y', 'this number', 'this one', 'correct'],
              },
            ],
            smsHint: words.text('registration.useSenderPhoneSmsHint'),
          });
        }
        return field('phone', words.text('registration.askPhone'));
      }
      case 'email':
        return field('email', words.text('registration.askEmail'));
      case 'line1':
        return field('addressLine1', words.text('registration.askAddress'), { freeForm: true });
      case 'line2':
        return field('addressLine2', words.text('registration.askAddressLine2'), {
          freeForm: true,
          choices: [skipChoice(words)],
        });
      case 'city':
        return field('city', words.text('registration.askCity'), { freeForm: true });
      case 'region':
        return field('region', words.text('registration.askRegion'), {
          freeForm: true,
          choices: [skipChoice(words)],
        });
      case 'postalCode':
        return field('postalCode', words.text('registration.askPostalCode'));
      case 'country':
        return field('country', words.text('registration.askCountry'));
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

/** On SMS the sender's number is the customer's mobile, as the signed webhook vouched for it. */
function senderPhone(context: TurnContext, words: Words): string | undefined {
  if (!isSms(context)) return undefined;
  const validation = validatePhone(channelFacts(context).verifiedPhone ?? '', words);
  return validation.ok ? validation.value : undefined;
}
