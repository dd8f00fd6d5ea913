/**
 * The parts of botbuilder-dialogs this bot uses, each from its own module. The package's index also
 * loads its prompts and, through them, the Microsoft Recognizers-Text suite: about 200 modules and
 * 12 MB of heap that nothing here uses (questions are asked by AskDialog, answers matched by
 * choices.ts and the field validators). Import dialog classes from here, not from the package.
 */
import type { TurnContextStateCollection } from 'botbuilder';
import type { DialogContext as SdkDialogContext } from 'botbuilder-dialogs/lib/dialogContext';
import type { DialogsComponentRegistration } from 'botbuilder-dialogs/lib/dialogsComponentRegistration';
import {
  DialogStateManager,
  type DialogStateManagerConfiguration,
} from 'botbuilder-dialogs/lib/memory/dialogStateManager';
import { TurnPath } from 'botbuilder-dialogs/lib/memory/turnPath';

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

/**
 * botbuilder-dialogs builds a DialogStateManager for every DialogContext (a few per turn: one per
 * level of nested component dialogs), and its constructor registers `new
 * DialogsComponentRegistration()` each time, which builds a service collection and dependency graph
 * only to replace the identical registration (kept by class name) from the turn before. Constructing
 * that class now hands back one shared instance: the same registration, built once.
 */
function shareDialogsComponentRegistration(): void {
  // The module's own exports object (not an import copy), which DialogStateManager reads at each construction.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const registrationModule = require('botbuilder-dialogs/lib/dialogsComponentRegistration') as {
    DialogsComponentRegistration: typeof DialogsComponentRegistration;
  };
  const original = registrationModule.DialogsComponentRegistration;
  let shared: DialogsComponentRegistration | undefined;
  registrationModule.DialogsComponentRegistration = new Proxy(original, {
    construct: () => (shared ??= new original()),
  });
}

/** Where botbuilder-dialogs' turn memory scope keeps `turn.*` in the turn state. */
const TURN_MEMORY = 'turn';

/**
 * Every DialogContext sets `turn.activity` in its constructor, a few times per turn with the same
 * activity into the same turn memory: each time it parses the path and looks up tracked paths
 * (`dialog._tracker`, which only adaptive dialogs register; this bot has none). When the turn
 * memory already holds this very activity, the set changes nothing and is skipped.
 */
class TurnActivitySetOnceStateManager extends DialogStateManager {
  private readonly turnState: TurnContextStateCollection;

  constructor(dc: SdkDialogContext, configuration?: DialogStateManagerConfiguration) {
    super(dc, configuration);
    this.turnState = dc.context.turnState;
  }

  override setValue(pathExpression: string, value: unknown): void {
    if (pathExpression === TurnPath.activity) {
      const memory: unknown = this.turnState.get(TURN_MEMORY);
      if (
        typeof memory === 'object' &&
        memory !== null &&
        (memory as { activity?: unknown }).activity === value
      )
        return;
    }
    super.setValue(pathExpression, value);
  }
}

/** DialogContext builds its state manager from this module's export, read at each construction. */
function setTurnActivityOnce(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const stateManagerModule = require('botbuilder-dialogs/lib/memory/dialogStateManager') as {
    DialogStateManager: typeof DialogStateManager;
  };
  stateManagerModule.DialogStateManager = TurnActivitySetOnceStateManager;
}

let tuned = false;

/**
 * Applies the two changes above to botbuilder-dialogs, once per process; the bot calls it when it
 * is built (not at import time). Each replaces an export the SDK reads at every construction, so if
 * an SDK upgrade stops reading it that way, the bot runs exactly as without them, only slower; the
 * bot's tests (SupportBot, HTTP, web chat, SMS) run with them on.
 */
export function tuneDialogFramework(): void {
  if (tuned) return;
  tuned = true;
  shareDialogsComponentRegistration();
  setTurnActivityOnce();
}
