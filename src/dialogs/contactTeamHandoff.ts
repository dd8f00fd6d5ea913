import type { TurnContext } from 'botbuilder';
import type { ChannelRenderer } from './rendering/channelRenderer';
import type { HandoffReason } from '../services/handoff/types';
import type { HumanHandoff } from './ports';
import { wordsFor, type DialogWording } from './wording/dialogWording';

/**
 * Until agents can take over a conversation, "talk to a person" tells the customer how to reach the
 * team (from faq.json) and the bot carries on.
 */
export class ContactTeamHandoff implements HumanHandoff {
  constructor(
    private readonly renderer: ChannelRenderer,
    private readonly contact: string,
    private readonly wording: DialogWording,
    /** The whole message in the conversation's language when it is not English (else undefined). */
    private readonly inCustomerLanguage: (context: TurnContext) => string | undefined = () => undefined,
  ) {}

  async request(context: TurnContext, reason: HandoffReason): Promise<boolean> {
    const translated = this.inCustomerLanguage(context);
    if (translated !== undefined) {
      await this.renderer.say(context, translated);
      return false;
    }
    const words = wordsFor(this.wording, context);
    await this.renderer.say(
      context,
      words.text(reason === 'asked' ? 'handoff.notYet' : 'handoff.afterFailures', { contact: this.contact }),
    );
    return false;
  }
}
