import { normaliseAnswer } from './choices';

/**
 * Exact commands that work at any step, whatever is being asked. They are whole messages, not words
 * inside an answer, so "help" interrupts but "I need help with my adapter" does not.
 */
export type Command = 'cancel' | 'startOver' | 'help' | 'agent';

const COMMANDS: Record<Command, readonly string[]> = {
  cancel: [
    'cancel',
    'stop',
    'quit',
    'exit',
    'cancel that',
    'cancel it',
    'never mind',
    'nevermind',
    'forget it',
    'abort',
  ],
  startOver: [
    'start over',
    'restart',
    'start again',
    'main menu',
    'menu',
    'reset',
    'begin again',
    'go back to the start',
  ],
  help: ['help', '?', 'what can you do', 'what can you do?', 'options', 'commands', 'i need help', 'help me'],
  agent: [
    'agent',
    'human',
    'person',
    'a person',
    'operator',
    'representative',
    'customer service',
    'live agent',
    'real person',
    'talk to a person',
    'talk to a human',
    'talk to an agent',
    'talk to someone',
    'speak to a person',
    'speak to a human',
    'speak to an agent',
    'speak to someone',
  ],
};

const LOOKUP = new Map<string, Command>(
  (Object.entries(COMMANDS) as Array<[Command, readonly string[]]>).flatMap(([command, phrases]) =>
    phrases.map((phrase) => [normaliseAnswer(phrase), command] as [string, Command]),
  ),
);

export function exactCommand(text: string | undefined): Command | undefined {
  if (!text) return undefined;
  const answer = normaliseAnswer(text);
  return LOOKUP.get(answer) ?? LOOKUP.get(answer.replace(/\?+$/, ''));
}

const QUESTION_START =
  /^(how|what|when|where|why|who|which|can|could|do|does|did|is|are|will|would|should|shall|may|am|have|has)\b/;

/**
 * Whether a free-text answer (a name, a fault description) looks like the customer asking something
 * instead of answering; only then is it worth asking the recognizer about an interruption.
 */
export function looksLikeQuestionOrRequest(text: string): boolean {
  const answer = normaliseAnswer(text);
  return (
    text.includes('?') ||
    QUESTION_START.test(answer) ||
    /\b(cancel|stop this|agent|human|person|representative|start over)\b/.test(answer)
  );
}
