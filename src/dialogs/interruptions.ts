import { ComponentDialog, type DialogContext, type DialogState } from 'botbuilder-dialogs';
import type { FaqEntry, FaqLibrary } from '../services/knowledge/faqLibrary';
import type { Recognizer } from '../services/recognition/recognizer';
import { ASK_DIALOG, AskDialog, type AskSpec } from './askDialog';
import { exactCommand, looksLikeQuestionOrRequest, type Command } from './commands';

const CANCEL_WORDS =
  /\b(cancel|stop|quit|exit|abort|never ?mind|forget (it|this|that)|don'?t want|no longer|give up)\b/;

export type Interruption = { kind: Command } | { kind: 'faq'; entry: FaqEntry };

/**
 * How sure the recognizer must be before a message stops being an answer. Higher for free text
 * (a name or a fault description that happens to read like a request) than for an answer the
 * question could not use anyway.
 */
export const INTERRUPT_CONFIDENCE = { unusableAnswer: 0.6, freeText: 0.8 } as const;

/**
 * Decides whether a message interrupts the question being asked. Exact commands always do (unless
 * they are one of the question's own options); a message the question accepts never reaches the
 * recognizer, so a serial number or an address is never hijacked and costs no recognition.
 */
export class InterruptionDetector {
  constructor(
    private readonly recognizer: Recognizer,
    private readonly faq: FaqLibrary,
  ) {}

  async detect(dc: DialogContext): Promise<Interruption | undefined> {
    const text = dc.context.activity.text?.trim() ?? '';
    if (text === '') return undefined;
    const ask = activeAsk(dc);
    if (ask?.spec.open) return undefined; // the main menu routes everything itself

    const assessment = ask ? ask.dialog.assess(dc.context, ask.spec) : undefined;
    if (assessment?.kind === 'answer' && assessment.matchedChoice) return undefined;
    const command = exactCommand(text);
    if (command) return { kind: command };
    if (assessment?.kind === 'answer' && (!ask?.spec.freeForm || !looksLikeQuestionOrRequest(text)))
      return undefined;

    const threshold =
      assessment?.kind === 'answer' ? INTERRUPT_CONFIDENCE.freeText : INTERRUPT_CONFIDENCE.unusableAnswer;
    const recognition = await this.recognizer.recognize(text);
    if (recognition.confidence < threshold) return undefined;
    // Cancelling throws the customer's answers away: a misread "skip" or "none" must not do it.
    if (recognition.intent === 'cancel')
      return CANCEL_WORDS.test(text.toLowerCase()) ? { kind: 'cancel' } : undefined;
    if (recognition.intent === 'talk_to_agent') return { kind: 'agent' };
    const entry = this.faq.forIntent(recognition.intent);
    return entry ? { kind: 'faq', entry } : undefined;
  }
}

/**
 * The question at the bottom of the dialog stack, if the customer is being asked one. Walks the
 * stored stacks of nested component dialogs directly: `DialogContext.child` would build a new
 * DialogContext (and its state manager) per level on every turn.
 */
export function activeAsk(dc: DialogContext): { dialog: AskDialog; spec: AskSpec } | undefined {
  let instance = dc.activeDialog;
  let dialog = instance ? dc.findDialog(instance.id) : undefined;
  while (instance && dialog instanceof ComponentDialog) {
    const stack = (instance.state as { dialogs?: DialogState } | undefined)?.dialogs?.dialogStack ?? [];
    instance = stack[stack.length - 1];
    dialog = instance ? dialog.findDialog(instance.id) : undefined;
  }
  if (!instance || instance.id !== ASK_DIALOG || !(dialog instanceof AskDialog)) return undefined;
  const spec = (instance.state as { spec?: AskSpec }).spec;
  return spec ? { dialog, spec } : undefined;
}
