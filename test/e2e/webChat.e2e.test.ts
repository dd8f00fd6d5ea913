import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { chromiumInstalled, launchChromium } from '../support/chromium';
import { createApp, type App } from '../../src/app';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/services/logging/logger';
import { DirectLineTokens } from '../../src/bot/adapters/directLine/directLineTokens';
import { TOKEN_SECRET_FILE } from '../../src/bot/adapters/directLine/tokenSecret';
import { PNG_1X1, tokenUser } from '../bot/adapters/directLine/harness';

const BACKOFFICE_TOKEN = 'backoffice-token-for-e2e-0123456789';
// Evaluating the 3.9 MB Web Chat bundle takes ~4 s in headless Chromium on these machines.
const FIRST_RENDER_MS = 20_000;
const REPLY_MS = 15_000;

const BOT_BUBBLES = '.webchat__bubble:not(.webchat__bubble--from-user) .webchat__bubble__content';
const USER_BUBBLES = '.webchat__bubble--from-user .webchat__bubble__content';

/**
 * The real app (every dialog, the embedded store, the local Direct Line) driven through the real
 * Web Chat bundle in Chromium. Every request the page makes must stay on this machine.
 */
describe('web chat in a real browser (Chromium + Web Chat + local Direct Line)', function () {
  this.timeout(180_000);

  let app: App;
  let base: string;
  let dataDir: string;
  let browser: Browser;
  // The company website (another origin: localhost vs 127.0.0.1, another port), allowed to frame /chat.
  let site: http.Server;
  let siteOrigin: string;
  const offHost: string[] = [];
  const consoleErrors: string[] = [];

  before(async function () {
    if (!chromiumInstalled()) {
      // .ci/run installs it; locally: apt-get install -y chromium
      this.skip();
    }
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'webchat-e2e-'));
    site = await companySite(() => base);
    siteOrigin = `http://localhost:${(site.address() as AddressInfo).port}`;
    const config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATA_DIR: dataDir,
      BACKOFFICE_TOKEN,
      WEBCHAT_ALLOWED_ORIGINS: siteOrigin,
    });
    app = await createApp(config, { logger: createLogger({ level: 'silent' }) });
    const address = await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${address.port}`;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    if (site) await new Promise<void>((resolve) => site.close(() => resolve()));
    await app?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  async function openPage(): Promise<Page> {
    const context = await browser.newContext();
    const page = await context.newPage();
    const isLocal = (url: string): boolean => {
      const { protocol, hostname } = new URL(url);
      if (protocol === 'blob:' || protocol === 'data:') return true;
      return hostname === '127.0.0.1' || hostname === 'localhost';
    };
    // Everything the page asks for goes through this check; anything off this machine fails the test.
    await context.route('**/*', async (route) => {
      const url = route.request().url();
      if (isLocal(url)) return route.continue();
      offHost.push(url);
      return route.abort();
    });
    context.on('request', (request) => {
      if (!isLocal(request.url())) offHost.push(request.url());
    });
    page.on('websocket', (socket) => {
      if (!isLocal(socket.url())) offHost.push(socket.url());
    });
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    return page;
  }

  /** Waits until at least `count` elements match (page-side code as a string: no DOM types here). */
  async function waitForCount(page: Page, selector: string, count: number): Promise<void> {
    const locator = page.locator(selector);
    await until(async () => (await locator.count()) >= count, `${count} × ${selector}`);
  }

  /**
   * Polls from the test side. (Playwright's string predicates run through eval, which the page's
   * CSP rightly forbids; the project also compiles without DOM types.)
   */
  async function until(check: () => Promise<boolean>, what: string, timeoutMs = REPLY_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  function savedConversation(page: Page): Promise<unknown> {
    return page.evaluate(
      '(JSON.parse(localStorage.getItem("carlinkit.supportChat.v1") || "null") || {}).conversationId',
    );
  }

  async function botTexts(page: Page): Promise<string[]> {
    return page.locator(BOT_BUBBLES).allInnerTexts();
  }

  /** Types like a customer and waits until the bot has answered and gone quiet. */
  async function say(page: Page, text: string, expected?: RegExp): Promise<string> {
    const before = await page.locator(BOT_BUBBLES).count();
    const input = page.locator('[data-id="webchat-sendbox-input"]');
    await input.fill(text);
    await input.press('Enter');
    await waitForCount(page, BOT_BUBBLES, before + 1);
    // A turn can send several messages: wait until no new bubble arrives for a moment.
    let count = -1;
    for (;;) {
      const now = await page.locator(BOT_BUBBLES).count();
      if (now === count) break;
      count = now;
      await page.waitForTimeout(400);
    }
    const replies = (await botTexts(page)).slice(before).join('\n');
    if (expected) assert.match(replies, expected, `after "${text}"`);
    return replies;
  }

  it('when a customer chats through troubleshooting to a repair ticket, then reloads, the whole conversation is still there', async () => {
    const page = await openPage();
    await page.goto(`${base}/`);
    await page.locator(BOT_BUBBLES).first().waitFor({ timeout: FIRST_RENDER_MS });
    assert.match((await botTexts(page))[0], /CarlinKit support assistant/);

    await say(page, 'Fix a problem', /What kind of problem/);
    await say(page, 'Power', /Which CarlinKit product/);
    await say(page, 'Mini 2');
    await say(page, 'skip', /what happens\?/);
    await say(page, 'No light at all', /ignition is fully on[\s\S]*Did this help\?/);
    await say(page, 'no', /phone charger/);
    await say(page, 'No, still dark', /register a repair/);
    await say(page, 'Yes, register a repair', /serial number/);
    for (const answer of [
      'ABC12345678',
      '2025-12-01',
      'Amazon',
      'skip',
      'skip',
      'Ana Lima',
      '+351 912 345 678',
      'ana@example.com',
      'Rua Augusta 10',
      'skip',
      'Lisboa',
      'skip',
      '1100-053',
    ]) {
      await say(page, answer);
    }
    await say(page, 'Portugal');
    const done = await say(page, 'Confirm and submit', /Your ticket number is (CK-[\w-]+)/);
    const ticketNumber = /Your ticket number is (CK-[\w-]+)/.exec(done)![1];

    const tickets = await fetch(`${base}/api/tickets?q=ABC12345678`, {
      headers: { Authorization: `Bearer ${BACKOFFICE_TOKEN}` },
    });
    const page1 = (await tickets.json()) as { items: Array<{ ticketNumber: string }> };
    assert.deepEqual(
      page1.items.map((ticket) => ticket.ticketNumber),
      [ticketNumber],
    );

    const userBefore = await page.locator(USER_BUBBLES).allInnerTexts();
    const botBefore = await botTexts(page);
    await page.reload();
    await page
      .locator(BOT_BUBBLES)
      .filter({ hasText: ticketNumber })
      .first()
      .waitFor({ timeout: FIRST_RENDER_MS });
    // History arrives over the stream; give it a moment to finish rendering.
    await waitForCount(page, BOT_BUBBLES, botBefore.length);

    assert.deepEqual(await page.locator(USER_BUBBLES).allInnerTexts(), userBefore);
    assert.deepEqual(await botTexts(page), botBefore, 'same transcript, and no second welcome');
    await say(page, 'thanks');
    assert.deepEqual(offHost, [], 'no request left this machine');
    assert.deepEqual(
      consoleErrors.filter((text) => /Content Security Policy|Refused to/.test(text)),
      [],
    );
    await page.context().close();
  });

  it('when a customer sends a photo of the device, it shows in the chat from this server', async () => {
    const page = await openPage();
    await page.goto(`${base}/chat`);
    await page.locator(BOT_BUBBLES).first().waitFor({ timeout: FIRST_RENDER_MS });

    const photo = path.join(dataDir, 'led.png');
    await writeFile(photo, PNG_1X1);
    await page.locator('input[type="file"]').setInputFiles(photo);
    // Web Chat 4.18 attaches the file to the send box (a check mark on the paperclip); it goes with the next send.
    await page
      .locator('.webchat__attachment-icon--checked')
      .waitFor({ state: 'attached', timeout: REPLY_MS });
    const input = page.locator('[data-id="webchat-sendbox-input"]');
    await input.fill('this is the LED');
    await input.press('Enter');
    const image = page.locator('.webchat__bubble--from-user img').first();
    await image.waitFor({ timeout: REPLY_MS });
    // (Page-side code as strings: the project compiles without the DOM library.)
    await until(
      () =>
        image.evaluate((img) => {
          const element = img as unknown as { complete: boolean; naturalWidth: number; src: string };
          return element.complete && element.naturalWidth > 0 && element.src.includes('/attachments/');
        }),
      'the photo loaded from this server',
    );

    assert.match(
      await image.evaluate((img) => (img as unknown as { src: string }).src),
      new RegExp(`^${base}/v3/directline/conversations/[\\w-]+/attachments/[\\w-]+\\?exp=\\d+&sig=`),
    );
    assert.deepEqual(offHost, []);
    await page.context().close();
  });

  it('when the saved conversation can no longer be resumed (its token expired), the page starts a new one', async () => {
    const page = await openPage();
    await page.goto(`${base}/chat`);
    await page.locator(BOT_BUBBLES).first().waitFor({ timeout: FIRST_RENDER_MS });
    const saved = JSON.parse(
      String(await page.evaluate('localStorage.getItem("carlinkit.supportChat.v1")')),
    ) as {
      conversationId: string;
      token: string;
    };
    const context = page.context();
    await page.close();

    // What a visit from two hours ago leaves behind: this conversation, with a token that has expired.
    const secret = (await readFile(path.join(dataDir, TOKEN_SECRET_FILE), 'utf8')).trim();
    const expired = new DirectLineTokens(secret, 3600, () => new Date(Date.now() - 2 * 3600_000)).issue(
      saved.conversationId,
      tokenUser(saved.token),
    ).token;
    const later = await context.newPage();
    await later.goto(`${base}/static/logo.svg`);
    await later.evaluate(
      `localStorage.setItem("carlinkit.supportChat.v1", ${JSON.stringify(JSON.stringify({ ...saved, token: expired }))})`,
    );
    await later.goto(`${base}/chat`);
    await later.locator(BOT_BUBBLES).first().waitFor({ timeout: FIRST_RENDER_MS });
    await until(
      async () => (await savedConversation(later)) !== saved.conversationId,
      'a new saved conversation',
    );

    assert.equal(await later.locator(BOT_BUBBLES).count(), 1, 'a fresh conversation: just the welcome');
    assert.match((await botTexts(later))[0], /CarlinKit support assistant/);
    assert.deepEqual(offHost, []);
    await context.close();
  });

  it('when the company website includes /embed.js, its "Online Message" button opens the chat from this server', async () => {
    const page = await openPage();
    await page.goto(`${siteOrigin}/`);
    await page.getByRole('button', { name: 'Online Message' }).click();
    const chat = page.frameLocator('iframe[title="CarlinKit support chat"]');
    await chat.locator(BOT_BUBBLES).first().waitFor({ timeout: FIRST_RENDER_MS });

    assert.match(await chat.locator(BOT_BUBBLES).first().innerText(), /CarlinKit support assistant/);
    assert.deepEqual(offHost, []);
    await page.context().close();
  });

  it('when the customer clicks "End chat", the server refuses the old token and the browser keeps nothing to resume', async () => {
    const page = await openPage();
    await page.goto(`${base}/chat`);
    await page.locator(BOT_BUBBLES).first().waitFor({ timeout: FIRST_RENDER_MS });
    await say(page, 'hello');
    const saved = JSON.parse(
      String(await page.evaluate('localStorage.getItem("carlinkit.supportChat.v1")')),
    ) as { conversationId: string; token: string; domain: string };
    const postWithSavedToken = () =>
      fetch(`${base}/v3/directline/conversations/${saved.conversationId}/activities`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${saved.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ type: 'message', text: 'is this still open?' }),
      });
    // Positive control: the saved token works until the chat is ended.
    assert.equal((await postWithSavedToken()).status, 200);

    await page.getByRole('button', { name: 'End chat' }).click();
    await page.getByRole('button', { name: 'Start a new chat' }).waitFor({ timeout: REPLY_MS });

    assert.equal(await page.evaluate('localStorage.getItem("carlinkit.supportChat.v1")'), null);
    assert.equal((await postWithSavedToken()).status, 403);
    const refreshed = await fetch(`${base}/v3/directline/tokens/refresh`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${saved.token}` },
    });
    assert.equal(refreshed.status, 403);

    // A reload starts afresh: just the welcome, in a new conversation.
    await page.reload();
    await page.locator(BOT_BUBBLES).first().waitFor({ timeout: FIRST_RENDER_MS });
    await until(async () => {
      const now = await savedConversation(page);
      return typeof now === 'string' && now !== saved.conversationId;
    }, 'a new saved conversation');
    assert.equal(await page.locator(BOT_BUBBLES).count(), 1);
    assert.deepEqual(offHost, []);
    await page.context().close();
  });

  it('when a site not in WEBCHAT_ALLOWED_ORIGINS frames /chat, the browser refuses to show it', async () => {
    const other = await companySite(() => base);
    try {
      const page = await openPage();
      await page.goto(`http://localhost:${(other.address() as AddressInfo).port}/`);
      await page.getByRole('button', { name: 'Online Message' }).click();
      await until(
        () =>
          Promise.resolve(
            consoleErrors.some((text) => /frame-ancestors/.test(text)) ||
              page.frames().some((frame) => frame.url().startsWith('chrome-error://')),
          ),
        'the frame to be refused',
      );

      const chat = page.frameLocator('iframe[title="CarlinKit support chat"]');
      assert.equal(await chat.locator(BOT_BUBBLES).count(), 0);
      await page.context().close();
    } finally {
      await new Promise<void>((resolve) => other.close(() => resolve()));
    }
  });
});

/** A page on another origin that includes the embed snippet, as the company website does. */
async function companySite(base: () => string): Promise<http.Server> {
  const site = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end(
      `<!doctype html><title>CarlinKit</title><h1>CarlinKit</h1><script src="${base()}/embed.js" async></script>`,
    );
  });
  await new Promise<void>((resolve) => {
    site.listen(0, '127.0.0.1', resolve);
  });
  return site;
}
