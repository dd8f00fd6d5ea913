/**
 * The parts of botbuilder-dialogs this bot uses, each from its own module. The package's index also
 * loads its prompts and, through them, the Microsoft Recognizers-Text suite: about 200 modules and
 * 12 MB of heap that nothing here uses (questions are asked by AskDialog, answers matched by
 * choices.ts and the field validators). Import dialog classes from here, not from the package.
 */
export { ComponentDialog } from 'botbuilder-dialogs/lib/componentDialog';
export {
  Dialog,
  DialogTurnStatus,
  type DialogInstance,
  type DialogTurnResult,
} from 'botbuilder-dialogs/lib/dialog';
export type { DialogContext, DialogState } from 'botbuilder-dialogs/lib/dialogContext';
export { DialogSet } from 'botbuilder-dialogs/lib/dialogSet';
export { WaterfallDialog } from 'botbuilder-dialogs/lib/waterfallDialog';
export type { WaterfallStepContext } from 'botbuilder-dialogs/lib/waterfallStepContext';
