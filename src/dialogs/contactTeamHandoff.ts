import type { TurnContext } from 'botbuilder';
import type { ChannelRenderer } from './rendering/channelRenderer';
import type { HumanHandoff } from './ports';

/**
 * Until agents can take over a conversation, "talk to a person" tells the customer how to reach the
 * team (from faq.json) and the bot carries on.
 */
export class ContactTeamHandoff implements HumanHandoff {
  constructor(
    private readonly renderer: ChannelRenderer,
    private readonly contact: string,
  ) {}

  async request(context: TurnContext, reason: 'asked' | 'repeated_failures'): Promise<boolean> {
    const lead =
      reason === 'asked'
        ? "I can't connect you to a person in this chat yet."
        : 'A person from our team can help with this.';
    await this.renderer.say(context, `${lead} ${this.contact} Meanwhile, I'm happy to keep helping here.`);
    return false;
  }
}
