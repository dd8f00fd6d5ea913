import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createApp, type App } from '../../src/app';
import { loadConfig, type AppConfig } from '../../src/config';
import type { TicketView } from '../../src/services/tickets/types';
import {
  call,
  multipartBody,
  PNG_1X1,
  say,
  startConversation,
  waitForActivities,
  type DirectLineActivityJson,
  type HttpResult,
  type StartedConversation,
} from '../bot/adapters/directLine/harness';
import { memoryLogger } from '../support/silentLogger';

const BACKOFFICE_TOKEN = 'backoffice-token-for-photo-tests-0123456789';

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

describe('Customer photos through the assembled app (web chat upload → dialog → ticket → back office)', () => {
  let dataDir: string;
  let config: AppConfig;
  let app: App;
  let base: string;
  let conversation: StartedConversation;

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'customer-photos-'));
    config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATA_DIR: dataDir,
      BACKOFFICE_TOKEN,
    });
    app = await createApp(config, { logger: memoryLogger().logger });
    const address = await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${address.port}`;
    conversation = await startConversation({ base });
    await waitForActivities({ base }, conversation, (all) =>
      all.some((activity) => /CarlinKit support assistant/.test(activity.text ?? '')),
    );
  });

  afterEach(async () => {
    await app.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Posts, then waits for the bot's replies to that activity to read `until`; returns them. */
  async function turn(post: () => Promise<HttpResult<{ id: string }>>, until: RegExp): Promise<string> {
    const posted = await post();
    assert.equal(posted.status, 200, JSON.stringify(posted.body));
    const repliesText = (all: DirectLineActivityJson[]): string =>
      all
        .filter((activity) => activity.replyToId === posted.body.id && activity.type === 'message')
        .map(readable)
        .join('\n');
    return repliesText(
      await waitForActivities({ base }, conversation, (all) => until.test(repliesText(all))),
    );
  }

  const answer = (text: string, until: RegExp): Promise<string> =>
    turn(() => say({ base }, conversation, text), until);

  function uploadPhoto(filename: string, data: Buffer): Promise<HttpResult<{ id: string }>> {
    const { body, contentType } = multipartBody([{ name: 'file', filename, contentType: 'image/png', data }]);
    return call<{ id: string }>(
      { base },
      'POST',
      `/v3/directline/conversations/${conversation.conversationId}/upload?userId=${conversation.userId}`,
      { token: conversation.token, body, headers: { 'Content-Type': contentType } },
    );
  }

  it('when a photo is uploaded mid-registration, the question repeats and the back office sees the photo on the ticket and can open it', async () => {
    await answer('Register a repair', /Would you like to try troubleshooting first/);
    await answer('Register the repair', /Which CarlinKit product is it\?/);
    await answer('CPC200-CCPA', /serial number/);

    const receipt = await turn(() => uploadPhoto('serial-label.png', PNG_1X1), /serial number/);
    assert.match(
      receipt,
      /^Got your photo, I'll attach it to your repair request\.\nWhat's its serial number\?/,
    );

    const steps: Array<[string, RegExp]> = [
      ['CK4AWEBPHOTO1', /When did you buy it\?/],
      ['1 December 2025', /Where did you buy it\?/],
      ['Amazon US', /order number/],
      ['skip', /What kind of fault is it\?/],
      ['Power', /describe the fault/],
      ['It does not switch on at all, no light', /full name/],
      ['Jane Doe', /mobile number/],
      ['+1 415 555 0100', /e-mail address/],
      ['jane@example.com', /whole address/],
    ];
    for (const [text, next] of steps) await answer(text, next);
    const summary = await answer(
      '500 Market Street, San Francisco, CA 94105, United States',
      /Please check your details/,
    );
    assert.match(summary, /Photos: 1 photo/);

    const done = await answer('confirm', /What happens next/);
    assert.match(done, /Your photo is attached to it\./);
    const ticketNumber = /ticket number is (CK-[A-Z0-9]+)/.exec(done)?.[1];
    assert.ok(ticketNumber, done);

    const ticket = await call<TicketView>({ base }, 'GET', `/api/tickets/${ticketNumber}`, {
      token: BACKOFFICE_TOKEN,
    });
    assert.equal(ticket.status, 200);
    assert.equal(ticket.body.attachments.length, 1);
    const [photo] = ticket.body.attachments;
    assert.equal(photo.name, 'serial-label.png');
    assert.equal(photo.contentType, 'image/png');
    assert.equal(photo.size, PNG_1X1.length);
    assert.match(
      photo.url,
      new RegExp(
        `^${config.http.publicBaseUrl}/v3/directline/conversations/${conversation.conversationId}/attachments/[\\w-]+$`,
      ),
    );

    // The link on the ticket opens with the back-office token.
    const image = await fetch(`${base}${new URL(photo.url).pathname}`, {
      headers: { Authorization: `Bearer ${BACKOFFICE_TOKEN}` },
    });
    assert.equal(image.status, 200);
    assert.deepEqual(Buffer.from(await image.arrayBuffer()), PNG_1X1);
  });
});
