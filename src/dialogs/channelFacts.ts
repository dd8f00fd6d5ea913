import type { TurnContext } from 'botbuilder';

/**
 * What the channel edge vouches for in this turn. Set in-process by the adapters that received the
 * message (the signed Twilio webhook, the local Direct Line), never read from the activity, which
 * whoever sent it could have written.
 */
export interface ChannelFacts {
  /** The sender's number, E.164, from a Twilio-signed webhook. */
  verifiedPhone?: string;
  /** The client's address as the channel's HTTP endpoint saw it (web chat). */
  clientAddress?: string;
}

const CHANNEL_FACTS = Symbol('channelFacts');

export function setChannelFacts(context: TurnContext, facts: ChannelFacts): void {
  context.turnState.set(CHANNEL_FACTS, Object.freeze({ ...facts }));
}

export function channelFacts(context: TurnContext): ChannelFacts {
  return context.turnState.get<ChannelFacts | undefined>(CHANNEL_FACTS) ?? {};
}
