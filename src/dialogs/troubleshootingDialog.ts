import { randomUUID } from 'node:crypto';
import type { TurnContext } from 'botbuilder';
import {
  ComponentDialog,
  WaterfallDialog,
  type DialogTurnResult,
  type WaterfallStepContext,
} from 'botbuilder-dialogs';
import {
  SYMPTOMS,
  type Symptom,
  type TroubleshootingFacts,
  type TroubleshootingTree,
} from '../services/knowledge/troubleshootingLibrary';
import { ASK_DIALOG, AskDialog, type AskResult, type AskSpec } from './askDialog';
import { yesNoChoices, type ChoiceSpec } from './choices';
import type { ChildResult, RegistrationPrefill } from './mainActions';
import type { HandoffDetails, SupportDialogDeps } from './ports';
import { stepValues } from './stepValues';
import { saveRatingAnswer } from './ratingAnswer';
import { wordsFor, type Words } from './wording/dialogWording';

export const TROUBLESHOOTING_DIALOG = 'troubleshooting';
const SETUP = 'troubleshooting.setup';
const WALK = 'troubleshooting.walk';
const RATE = 'troubleshooting.rate';

export interface TroubleshootingOptions {
  symptom?: Symptom;
  productId?: string;
  carMake?: string;
}

interface WalkState {
  symptom: Symptom;
  facts: TroubleshootingFacts;
  nodeId: string;
  /** Known issues still to show, before the tree itself. */
  knownIssues: string[];
  /** Steps the customer tried that did not help, for the repair ticket. */
  tried: string[];
  /** The customer's first message (it may carry the details a repair registration needs). */
  firstText?: string;
}

/** What the walk is waiting for an answer to (kept in the waterfall's values between turns). */
type Pending =
  | { kind: 'knownIssue'; title: string }
  | { kind: 'step'; title: string; next: string }
  | {
      kind: 'question';
      title?: string;
      options: Array<{ label: string; next: string; phone?: 'iphone' | 'android' }>;
    }
  | { kind: 'repairOffer' }
  | { kind: 'rated' };

interface RatingOptions {
  symptom: Symptom;
  productId?: string;
  /** Saved with the question's turn, before the answer: see SatisfactionRating.idempotencyKey. */
  ratingId: string;
}

const categoryChoices = (words: Words): ChoiceSpec[] => [
  {
    value: 'wireless_adapter',
    label: words.text('troubleshooting.wirelessAdapter'),
    synonyms: ['adapter', 'dongle for carplay', 'small adapter', 'wireless carplay adapter'],
  },
  {
    value: 'ai_box',
    label: words.text('troubleshooting.aiBox'),
    synonyms: ['box', 'android box', 'ai box', 'tbox', 't-box'],
  },
  {
    value: 'unknown',
    label: words.text('troubleshooting.notSure'),
    synonyms: ["don't know", 'dont know', 'no idea', 'not sure', 'unsure', 'skip'],
  },
];

const skipChoice = (words: Words): ChoiceSpec => ({
  value: 'skip',
  label: words.text('troubleshooting.skip'),
  synonyms: ["don't know", 'dont know', 'not sure', 'no', 'none'],
});

const yesNo = (words: Words): ChoiceSpec[] =>
  yesNoChoices(words.text('troubleshooting.yes'), words.text('troubleshooting.no'));

export const ratingChoices = (words: Words): ChoiceSpec[] => [
  { value: '1', label: '1', synonyms: ['one', 'poor', 'bad', '1 star'] },
  { value: '2', label: '2', synonyms: ['two', '2 stars'] },
  { value: '3', label: '3', synonyms: ['three', 'ok', '3 stars'] },
  { value: '4', label: '4', synonyms: ['four', 'good', '4 stars'] },
  { value: '5', label: '5', synonyms: ['five', 'excellent', 'great', '5 stars'] },
  { value: 'skip', label: words.text('troubleshooting.skip'), synonyms: ['no', 'no thanks', 'later'] },
];

/**
 * Walks the customer through the data-driven tree for their symptom, one step at a time, asking
 * after each whether it helped. Solved → a kind close and a 1–5 rating. Not solved at the end →
 * the offer of a repair ticket pre-filled with the symptom and every step tried.
 */
export class TroubleshootingDialog extends ComponentDialog {
  constructor(private readonly deps: SupportDialogDeps) {
    super(TROUBLESHOOTING_DIALOG);
    this.addDialog(
      new WaterfallDialog<TroubleshootingOptions>(SETUP, [
        (step) => this.askSymptom(step),
        (step) => this.askProduct(step),
        (step) => this.askCarMake(step),
        (step) => this.startWalk(step),
      ]),
    );
    this.addDialog(
      new WaterfallDialog<WalkState>(WALK, [
        (step) => this.showStep(step),
        (step) => this.handleAnswer(step),
        (step) => step.endDialog({}),
      ]),
    );
    this.addDialog(
      new WaterfallDialog<RatingOptions>(RATE, [
        (step) => this.askRating(step),
        (step) => this.saveRating(step),
      ]),
    );
    this.addDialog(new AskDialog(deps.validators, deps.renderer, deps.now, deps.wording));
    this.initialDialogId = SETUP;
  }

  private async askSymptom(step: WaterfallStepContext<TroubleshootingOptions>): Promise<DialogTurnResult> {
    const options = step.options ?? {};
    // The message that started troubleshooting: a repair registration after it reads its details.
    const firstText = step.context.activity.text;
    if (firstText) setupValues(step).firstText = firstText;
    if (options.symptom) return step.next({ choice: options.symptom, text: '' } satisfies AskResult);
    const choices = this.deps.troubleshooting.all().map((tree) => ({
      value: tree.symptom,
      label: tree.definition.menuLabel,
      synonyms: [tree.symptom, tree.definition.title],
    }));
    return step.beginDialog(ASK_DIALOG, {
      prompt: this.words(step.context).text('troubleshooting.askSymptom'),
      choices,
    } satisfies AskSpec);
  }

  private async askProduct(step: WaterfallStepContext<TroubleshootingOptions>): Promise<DialogTurnResult> {
    const symptom = (step.result as AskResult).choice;
    if (!isSymptom(symptom)) throw new Error(`Troubleshooting: unexpected symptom ${String(symptom)}`);
    setupValues(step).symptom = symptom;
    const options = step.options ?? {};
    if (options.productId && this.deps.catalogue.get(options.productId)) {
      return step.next({ value: options.productId, text: '' } satisfies AskResult);
    }
    const words = this.words(step.context);
    return step.beginDialog(ASK_DIALOG, {
      prompt: words.text('troubleshooting.askProduct'),
      field: 'productModel',
      choices: categoryChoices(words),
    } satisfies AskSpec);
  }

  private async askCarMake(step: WaterfallStepContext<TroubleshootingOptions>): Promise<DialogTurnResult> {
    const answer = step.result as AskResult;
    const facts: TroubleshootingFacts = {};
    const product = answer.value ? this.deps.catalogue.get(answer.value) : undefined;
    if (product) {
      facts.productId = product.id;
      facts.category = product.category;
      // A CarPlay-only or Android-Auto-only product answers "which phone?" by itself.
      if (product.supports.carplay && !product.supports.androidAuto) facts.phone = 'iphone';
      if (product.supports.androidAuto && !product.supports.carplay) facts.phone = 'android';
    } else if (answer.choice === 'wireless_adapter' || answer.choice === 'ai_box') {
      facts.category = answer.choice;
    }
    setupValues(step).facts = facts;
    const symptom = setupValues(step).symptom as Symptom;
    const carMake = step.options?.carMake;
    if (carMake) return step.next({ value: carMake, text: '' } satisfies AskResult);
    if (!this.tree(symptom).definition.askCarMake)
      return step.next({ choice: 'skip', text: '' } satisfies AskResult);
    const words = this.words(step.context);
    return step.beginDialog(ASK_DIALOG, {
      prompt: words.text('troubleshooting.askCarMake'),
      field: 'carMake',
      choices: [skipChoice(words)],
      freeForm: true,
    } satisfies AskSpec);
  }

  private async startWalk(step: WaterfallStepContext<TroubleshootingOptions>): Promise<DialogTurnResult> {
    const answer = step.result as AskResult;
    const symptom = setupValues(step).symptom as Symptom;
    const facts = { ...setupValues(step).facts };
    if (answer.value) facts.carMake = answer.value;
    const tree = this.tree(symptom);
    const state: WalkState = {
      symptom,
      facts,
      nodeId: tree.definition.start,
      knownIssues: tree.knownIssuesFor(facts).map((issue) => issue.id),
      tried: [],
      ...(setupValues(step).firstText ? { firstText: setupValues(step).firstText } : {}),
    };
    return step.replaceDialog(WALK, state);
  }

  private async showStep(step: WaterfallStepContext<WalkState>): Promise<DialogTurnResult> {
    const state = step.options;
    const words = this.words(step.context);
    const tree = this.tree(state.symptom);
    const issueId = state.knownIssues[0];
    const issue = issueId ? tree.knownIssue(issueId) : undefined;
    if (issue) {
      walkValues(step).pending = { kind: 'knownIssue', title: issue.title } satisfies Pending;
      const text = issue.text.replace(/\{fixedInFirmware\}/g, issue.fixedInFirmware);
      return step.beginDialog(ASK_DIALOG, {
        prompt: words.text('troubleshooting.knownIssueHelped', { text }),
        choices: yesNo(words),
      } satisfies AskSpec);
    }

    const { node, facts } = tree.resolve(state.nodeId, state.facts);
    state.facts = facts;
    switch (node.kind) {
      case 'step':
        walkValues(step).pending = { kind: 'step', title: node.title, next: node.next } satisfies Pending;
        return step.beginDialog(ASK_DIALOG, {
          prompt: words.text('troubleshooting.stepHelped', { text: node.text }),
          choices: yesNo(words),
        } satisfies AskSpec);
      case 'question':
        walkValues(step).pending = {
          kind: 'question',
          title: node.title,
          options: node.options.map((option) => ({
            label: option.label,
            next: option.next,
            ...(option.sets?.phone ? { phone: option.sets.phone } : {}),
          })),
        } satisfies Pending;
        return step.beginDialog(ASK_DIALOG, {
          prompt: node.text,
          choices: node.options.map((option, index) => ({
            value: `option-${index}`,
            label: option.label,
            synonyms: [...option.synonyms],
          })),
        } satisfies AskSpec);
      case 'end':
        await this.deps.renderer.say(step.context, node.text);
        if (node.outcome === 'solved') {
          walkValues(step).pending = { kind: 'rated' } satisfies Pending;
          return step.beginDialog(RATE, this.ratingOptions(state));
        }
        if (node.outcome === 'advice') return step.endDialog({} satisfies ChildResult);
        walkValues(step).pending = { kind: 'repairOffer' } satisfies Pending;
        return step.beginDialog(ASK_DIALOG, {
          prompt: words.text('troubleshooting.offerRepair'),
          choices: yesNoChoices(
            words.text('troubleshooting.offerRepairYes'),
            words.text('troubleshooting.offerRepairNo'),
          ),
        } satisfies AskSpec);
    }
  }

  private async handleAnswer(step: WaterfallStepContext<WalkState>): Promise<DialogTurnResult> {
    const state = step.options;
    const pending = walkValues(step).pending as Pending;
    const answer = step.result as AskResult | undefined;
    switch (pending.kind) {
      case 'rated':
        return step.endDialog({} satisfies ChildResult);
      case 'knownIssue':
        if (answer?.choice === 'yes') return this.solved(step);
        return step.replaceDialog(WALK, {
          ...state,
          knownIssues: state.knownIssues.slice(1),
          tried: [...state.tried, pending.title],
        });
      case 'step':
        if (answer?.choice === 'yes') return this.solved(step);
        return step.replaceDialog(WALK, {
          ...state,
          nodeId: pending.next,
          tried: [...state.tried, pending.title],
        });
      case 'question': {
        const option = pending.options[Number(answer?.choice?.replace('option-', ''))];
        if (!option) throw new Error(`Troubleshooting: no option ${String(answer?.choice)}`);
        const facts = option.phone ? { ...state.facts, phone: option.phone } : state.facts;
        const tried = pending.title ? [...state.tried, `${pending.title}: ${option.label}`] : state.tried;
        return step.replaceDialog(WALK, { ...state, facts, nodeId: option.next, tried });
      }
      case 'repairOffer': {
        if (answer?.choice !== 'yes') {
          // Not solved and no repair wanted: a person from the team takes it from here.
          if (await this.deps.handoff.request(step.context, 'unsolved', this.handoffDetails(state)))
            return step.endDialog({ handedOff: true } satisfies ChildResult);
          await this.deps.renderer.say(
            step.context,
            this.words(step.context).text('troubleshooting.repairDeclined'),
          );
          return step.endDialog({} satisfies ChildResult);
        }
        const tree = this.tree(state.symptom);
        const prefill: RegistrationPrefill = {
          ...(state.facts.productId ? { productId: state.facts.productId } : {}),
          faultCategory: state.symptom,
          faultSummary: tree.definition.faultSummary,
          troubleshootingTried: state.tried,
          ...(state.firstText ? { earlierText: state.firstText } : {}),
        };
        return step.endDialog({ then: { type: 'register', prefill } } satisfies ChildResult);
      }
    }
  }

  /** What the agent sees: the product, the car and every step tried with its answer. */
  private handoffDetails(state: WalkState): HandoffDetails {
    const product = state.facts.productId ? this.deps.catalogue.get(state.facts.productId) : undefined;
    return {
      ...(product
        ? { product: product.name }
        : state.facts.productId
          ? { product: state.facts.productId }
          : {}),
      ...(state.facts.carMake ? { carMake: state.facts.carMake } : {}),
      troubleshooting: [
        ...state.tried.map((title) => {
          const [step = title, answer] = title.split(/: (.*)/s);
          return { step, answer: answer ?? 'did not help' };
        }),
        { step: 'Repair ticket offered', answer: 'declined' },
      ],
    };
  }

  private async solved(step: WaterfallStepContext<WalkState>): Promise<DialogTurnResult> {
    await this.deps.renderer.say(step.context, this.words(step.context).text('troubleshooting.solved'));
    return step.beginDialog(RATE, this.ratingOptions(step.options));
  }

  private ratingOptions(state: WalkState): RatingOptions {
    return {
      symptom: state.symptom,
      ...(state.facts.productId ? { productId: state.facts.productId } : {}),
      ratingId: randomUUID(),
    };
  }

  private async askRating(step: WaterfallStepContext<RatingOptions>): Promise<DialogTurnResult> {
    const words = this.words(step.context);
    return step.beginDialog(ASK_DIALOG, {
      prompt: words.text('troubleshooting.askRating'),
      choices: ratingChoices(words),
      smsHint: words.text('troubleshooting.ratingSmsHint'),
    } satisfies AskSpec);
  }

  private async saveRating(step: WaterfallStepContext<RatingOptions>): Promise<DialogTurnResult> {
    await saveRatingAnswer(this.deps, step.context, step.result as AskResult, {
      idempotencyKey: `rating:${step.options.ratingId}`,
      topic: `troubleshooting:${step.options.symptom}`,
      ...(step.options.productId ? { productId: step.options.productId } : {}),
    });
    return step.endDialog({} satisfies ChildResult);
  }

  private words(context: TurnContext): Words {
    return wordsFor(this.deps.wording, context);
  }

  private tree(symptom: Symptom): TroubleshootingTree {
    return this.deps.troubleshooting.get(symptom);
  }
}

const setupValues = (step: WaterfallStepContext<TroubleshootingOptions>) =>
  stepValues<{ symptom: Symptom; facts: TroubleshootingFacts; firstText?: string }>(step);
const walkValues = (step: WaterfallStepContext<WalkState>) => stepValues<{ pending: Pending }>(step);

function isSymptom(value: unknown): value is Symptom {
  return typeof value === 'string' && (SYMPTOMS as readonly string[]).includes(value);
}
