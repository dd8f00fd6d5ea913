import {
  say,
  startConversation,
  waitForActivities,
  type DirectLineActivityJson,
  type StartedConversation,
} from '../bot/adapters/directLine/harness';

interface CardContent {
  body?: Array<{ text?: string; facts?: Array<{ title: string; value: string }> }>;
}

/** What the customer reads in one bot activity: its text and any card's text and facts. */
function readable(activity: DirectLineActivityJson): string {
  const cards = (activity.attachments ?? []).map((attachment) => {
    const content = (attachment as { content?: CardContent }).content;
    return (content?.body ?? [])
      .map((element) => element.text ?? (element.facts ?? []).map((f) => `${f.title}: ${f.value}`).join('\n'))
      .join('\n');
  });
  return [activity.text ?? '', ...cards].filter((part) => part !== '').join('\n');
}

/** A web chat customer on the local Direct Line: sends a message, reads the bot's replies to it. */
export class WebChatCustomer {
  private constructor(
    private readonly base: string,
    readonly conversation: StartedConversation,
  ) {}

  /** Opens a chat at `base` (e.g. http://127.0.0.1:PORT) and waits for the welcome. */
  static async open(base: string): Promise<WebChatCustomer> {
    const conversation = await startConversation({ base });
    await waitForActivities({ base }, conversation, (all) => all.some((a) => a.from.role === 'bot'));
    return new WebChatCustomer(base, conversation);
  }

  /** Sends `text` and returns what the bot answered to it, joined. */
  async ask(text: string): Promise<string> {
    const posted = await say({ base: this.base }, this.conversation, text);
    if (posted.status !== 200)
      throw new Error(`send failed: ${posted.status} ${JSON.stringify(posted.body)}`);
    const answered = (log: DirectLineActivityJson[]): boolean =>
      log.some((a) => a.from.role === 'bot' && a.replyToId === posted.body.id);
    await waitForActivities({ base: this.base }, this.conversation, answered);
    // A turn's replies are posted one after another: let the rest of them arrive.
    await new Promise((resolve) => setTimeout(resolve, 150));
    const all = await waitForActivities({ base: this.base }, this.conversation, answered);
    return all
      .filter((a) => a.from.role === 'bot' && a.replyToId === posted.body.id)
      .map(readable)
      .join('\n---\n');
  }
}
