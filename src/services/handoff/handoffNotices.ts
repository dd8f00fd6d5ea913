import type { HandoffReason } from './types';

/**
 * What the customer is told about the handoff (system notices) and the queue's one-line summary
 * when there is no customer text. One locale today; `language` picks one when there are more.
 */
export interface HandoffNotices {
  agentJoined(name: string, language?: string): string;
  agentLeft(name: string, language?: string): string;
  closed(name: string, language?: string): string;
  transferred(toName: string, language?: string): string;
  position(position: number, language?: string): string;
  timeout(channel: string, language?: string): string;
  reasonSummary(reason: HandoffReason): string;
}

export const handoffNotices: HandoffNotices = {
  agentJoined: (name) => `${name} from support joined the chat.`,
  agentLeft: (name) => `${name} left; you're back with the assistant.`,
  closed: (name) =>
    `${name} closed this chat. If you need anything else, just write here and the assistant will help.`,
  transferred: (toName) => `You're now chatting with ${toName} from support.`,
  position: (position) =>
    position === 1 ? "You're next in the queue." : `You're now number ${position} in the queue.`,
  timeout: (channel) =>
    channel === 'sms'
      ? "Our team is still busy. Your messages wait for them here and they'll text you back; or reply NEVER MIND to carry on with the assistant."
      : "Our team is still busy, sorry for the wait. Leave a message here and they'll reply in this chat as soon as they can, or say 'never mind' to carry on with the assistant.",
  reasonSummary: (reason) =>
    ({
      asked: 'Asked for a person',
      repeated_failures: 'The assistant did not understand',
      unsolved: 'Troubleshooting did not solve it; no repair ticket wanted',
      agent_takeover: 'Taken over by an agent',
      frustrated: 'The customer seems frustrated',
    })[reason],
};
