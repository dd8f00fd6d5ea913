import {
  ComponentDialog,
  WaterfallDialog,
  type DialogTurnResult,
  type WaterfallStepContext,
} from 'botbuilder-dialogs';
import { ASK_DIALOG, AskDialog, type AskResult, type AskSpec } from './askDialog';
import type { ChildResult } from './mainActions';
import type { SupportDialogDeps } from './ports';
import { wordsFor } from './wording/dialogWording';

export const FAQ_DIALOG = 'faq';
const FAQ_MENU = 'faq.menu';

/**
 * The "Repair questions" menu: the after-sales topics from faq.json as options. Questions asked in
 * the customer's own words are answered directly by the main dialog, at any step.
 */
export class FaqDialog extends ComponentDialog {
  constructor(private readonly deps: SupportDialogDeps) {
    super(FAQ_DIALOG);
    this.addDialog(
      new WaterfallDialog(FAQ_MENU, [(step) => this.askTopic(step), (step) => this.answer(step)]),
    );
    this.addDialog(new AskDialog(deps.validators, deps.renderer, deps.now, deps.wording));
    this.initialDialogId = FAQ_MENU;
  }

  private async askTopic(step: WaterfallStepContext): Promise<DialogTurnResult> {
    return step.beginDialog(ASK_DIALOG, {
      prompt: wordsFor(this.deps.wording, step.context).text('faq.menuPrompt'),
      choices: this.deps.faq
        .all()
        .map((entry) => ({ value: entry.id, label: entry.menuLabel, synonyms: [entry.question] })),
    } satisfies AskSpec);
  }

  private async answer(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const topic = (step.result as AskResult).choice;
    const entry = this.deps.faq.all().find((candidate) => candidate.id === topic);
    if (entry) await this.deps.renderer.say(step.context, entry.answer);
    return step.endDialog({} satisfies ChildResult);
  }
}
