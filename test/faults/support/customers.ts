import type { FakeTwilioApi } from '../../support/fakeTwilio';
import { messageSid, postSignedTwilioForm } from '../../support/twilioWebhook';
import { ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER } from './appProcess';

/** One way a customer reaches the bot: send a message, read what the bot said since. */
export interface Channel {
  readonly kind: 'webchat' | 'sms';
  /** Sends a message; false when the server could not take it (down, 5xx): the customer tries again. */
  send(text: string): Promise<boolean>;
  /** Everything the bot said since the last call (empty while the server is down). */
  read(): Promise<string[]>;
}

/** The real base URL is read on every call, so a customer follows the app across restarts. */
export type BaseUrl = () => string;

async function json(res: Response): Promise<unknown> {
  return res.json();
}

interface DirectLineActivity {
  type?: string;
  text?: string;
  from?: { role?: string };
}

/** Web chat as Web Chat polls it: token, conversation, POST activities, GET activities?watermark. */
export class WebChatChannel implements Channel {
  readonly kind = 'webchat';
  private watermark = '';

  private constructor(
    private readonly base: BaseUrl,
    readonly conversationId: string,
    private readonly token: string,
  ) {}

  static async open(base: BaseUrl): Promise<WebChatChannel> {
    const generated = (await json(
      await fetch(`${base()}/v3/directline/tokens/generate`, { method: 'POST' }),
    )) as { token: string };
    const started = (await json(
      await fetch(`${base()}/v3/directline/conversations`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${generated.token}` },
      }),
    )) as { conversationId: string; token: string };
    return new WebChatChannel(base, started.conversationId, started.token);
  }

  async send(text: string): Promise<boolean> {
    try {
      const res = await fetch(
        `${this.base()}/v3/directline/conversations/${this.conversationId}/activities`,
        {
          method: 'POST',
          headers: { Authorization: `Bearer ${this.token}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({
            type: 'message',
            text,
            channelData: { clientActivityID: `c-${Date.now()}` },
          }),
        },
      );
      await res.arrayBuffer();
      return res.status === 200;
    } catch {
      return false;
    }
  }

  async read(): Promise<string[]> {
    try {
      const res = await fetch(
        `${this.base()}/v3/directline/conversations/${this.conversationId}/activities?watermark=${this.watermark}`,
        { headers: { Authorization: `Bearer ${this.token}` } },
      );
      if (res.status !== 200) {
        await res.arrayBuffer();
        return [];
      }
      const page = (await json(res)) as { activities: DirectLineActivity[]; watermark: string };
      this.watermark = page.watermark;
      return page.activities
        .filter((activity) => activity.type === 'message' && activity.from?.role === 'bot')
        .map((activity) => activity.text ?? '');
    } catch {
      return [];
    }
  }
}

/** SMS as Twilio delivers it: signed webhooks in, the bot's replies at the fake Twilio API. */
export class SmsChannel implements Channel {
  readonly kind = 'sms';
  private seen = 0;

  constructor(
    private readonly base: BaseUrl,
    private readonly twilio: FakeTwilioApi,
    readonly phone: string,
  ) {}

  async send(text: string): Promise<boolean> {
    const params = {
      MessageSid: messageSid(),
      AccountSid: ACCOUNT_SID,
      From: this.phone,
      To: FROM_NUMBER,
      Body: text,
      NumMedia: '0',
    };
    // Twilio retries a webhook that failed (5xx, no answer) with the same MessageSid.
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        const res = await postSignedTwilioForm({
          localBaseUrl: this.base(),
          publicBaseUrl: this.base(),
          path: '/api/sms',
          authToken: AUTH_TOKEN,
          params,
        });
        await res.arrayBuffer();
        if (res.status === 200) return true;
      } catch {
        // down: retried
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    return false;
  }

  read(): Promise<string[]> {
    const mine = this.twilio.messagesTo(this.phone).filter((message) => !isTicketSms(message.body));
    const fresh = mine.slice(this.seen).map((message) => message.body);
    this.seen = mine.length;
    return Promise.resolve(fresh);
  }
}

/** The ticket service's "registered" SMS (src/services/notifications/ticketMessages.ts). */
export function isTicketSms(body: string): boolean {
  return body.startsWith('CarlinKit: we got your repair request');
}

export const TICKET_NUMBER = /ticket number is (CK-[A-Z0-9]{8})/;

/** What a customer registering a repair answers to each question, in the order they are checked. */
export function answerFor(
  said: string,
  details: { serial: string; phone: string; email: string },
): string | undefined {
  const rules: Array<[RegExp, string]> = [
    [/Is everything correct\?/, 'Confirm and submit'],
    [/try troubleshooting first, or register the repair now/, 'Register the repair'],
    [/Which CarlinKit product is it\?/, 'CPC200-CCPA'],
    [/What's its serial number\?/, details.serial],
    [/When did you buy it\?/, '1 December 2025'],
    [/Where did you buy it\?/, 'Amazon US'],
    [/What's the order number\?/, 'skip'],
    [/What kind of fault is it\?/, 'Sound'],
    [/describe the fault/, 'No sound from the speakers since last week, music plays on the phone'],
    [/What's your full name\?/, 'Jane Doe'],
    [/best mobile number for SMS updates/, 'yes'],
    [/What's your mobile number, with the country code/, details.phone],
    [/What's your e-mail address\?/, details.email],
    [
      /whole address as you'd write it on a parcel/,
      '500 Market Street, San Francisco, CA 94105, United States',
    ],
    // Asked again after an answer that did not fit (a message resent to the next question).
    [/order number/, 'skip'],
    [/serial number/, details.serial],
    [/e-mail address/, details.email],
    [/address/i, '500 Market Street, San Francisco, CA 94105, United States'],
    [/full name/, 'Jane Doe'],
    [/country code/, details.phone],
    [/shop or website/, 'Amazon US'],
    [/CarlinKit product|model/, 'CPC200-CCPA'],
    [/date/, '1 December 2025'],
    [/few more words/, 'No sound from the speakers since last week, music plays on the phone'],
  ];
  for (const [pattern, answer] of rules) if (pattern.test(said)) return answer;
  return undefined;
}

/** The newest 6-digit code among the SMS a phone received. */
function latestCode(messages: readonly { body: string }[]): string | undefined {
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    const code = /\b(\d{6})\b/.exec(messages[index].body)?.[1];
    if (code) return code;
  }
  return undefined;
}

/** Replies that mean the bot lost the conversation's place (a restart must never cause them). */
export const LOST_PLACE = /lost track of our conversation|What can I help you with\?/;

export interface CustomerOutcome {
  index: number;
  kind: Channel['kind'];
  serial: string;
  phone: string;
  /** Every ticket number the bot told this customer. */
  ticketNumbers: string[];
  /**
   * Bot replies after the registration began that show it lost the customer's place: a restart of
   * the conversation, or a question answered before the last answer asked again (one step behind:
   * the customer saw a reply whose turn's state was never saved).
   */
  lostPlace: string[];
  /** Messages sent again because no answer came (the server was down). */
  resent: number;
  done: boolean;
  /** The last exchanges, to show what happened to a customer who did not finish. */
  transcript: string[];
}

/**
 * A customer registering a repair: reads what the bot asked last and answers it; when no answer
 * comes within `patienceMs` (the server died), sends the last message again, as people do.
 */
export async function registerRepair(
  channel: Channel,
  details: { index: number; serial: string; phone: string; email: string },
  options: {
    patienceMs: number;
    giveUpMs: number;
    thinkMs: () => number;
    pollMs: number;
    /** The SMS the customer's phone received (the one-time code a web chat registration sends). */
    smsTo?: (phone: string) => readonly { body: string }[];
  },
): Promise<CustomerOutcome> {
  const outcome: CustomerOutcome = {
    index: details.index,
    kind: channel.kind,
    serial: details.serial,
    phone: details.phone,
    ticketNumbers: [],
    lostPlace: [],
    resent: 0,
    done: false,
    transcript: [],
  };
  const note = (line: string): void => {
    outcome.transcript.push(line.slice(0, 160));
    if (outcome.transcript.length > 8) outcome.transcript.shift();
  };
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  const started = performance.now();
  let registering = false;
  const answered = new Set<string>();
  let last = 'I want to register a repair for my adapter';
  while (!(await channel.send(last))) await sleep(options.pollMs);
  let waitingSince = performance.now();
  while (performance.now() - started < options.giveUpMs) {
    await sleep(options.pollMs);
    const said = (await channel.read()).join('\n');
    if (said !== '') note(`bot: ${said}`);
    if (said === '') {
      if (performance.now() - waitingSince > options.patienceMs) {
        outcome.resent += 1;
        note(`resend: ${last}`);
        while (!(await channel.send(last))) await sleep(options.pollMs);
        waitingSince = performance.now();
      }
      continue;
    }
    const ticket = TICKET_NUMBER.exec(said)?.[1];
    if (ticket) {
      outcome.ticketNumbers.push(ticket);
      outcome.done = true;
      return outcome;
    }
    if (registering && LOST_PLACE.test(said)) outcome.lostPlace.push(said.slice(0, 200));
    // A web chat customer typing a number that never texted us gets a one-time code on that phone.
    const codeAsked = /sent a 6-digit code|code isn't right/.test(said);
    let code = codeAsked ? latestCode(options.smsTo?.(details.phone) ?? []) : undefined;
    // The code SMS goes out through the outbox: give it a moment to arrive, as a person would.
    for (let waited = 0; codeAsked && options.smsTo && !code && waited < 10_000; waited += options.pollMs) {
      await sleep(options.pollMs);
      code = latestCode(options.smsTo(details.phone));
    }
    const answer = code ?? answerFor(said, details);
    if (!answer) continue; // an acknowledgement without a question: the question follows
    // Asked for an answer given before the last one: the bot is a step (or more) behind.
    if (!code && answer !== 'skip' && answer !== last && answered.has(answer))
      outcome.lostPlace.push(`asked again: ${said.slice(0, 200)}`);
    if (!code) answered.add(answer);
    registering = true;
    await sleep(options.thinkMs());
    last = answer;
    note(`customer: ${last}`);
    while (!(await channel.send(last))) await sleep(options.pollMs);
    waitingSince = performance.now();
  }
  return outcome;
}
