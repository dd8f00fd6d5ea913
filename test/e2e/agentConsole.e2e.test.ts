import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { chromiumInstalled, launchChromium } from '../support/chromium';
import { createApp, type App } from '../../src/app';
import { loadConfig } from '../../src/config';
import { AgentAccounts } from '../../src/services/agents/agentAccounts';
import { AgentSessions } from '../../src/services/agents/agentSessions';
import { createLogger } from '../../src/services/logging/logger';
import { projectPath } from '../../src/services/projectPath';

const PASSWORD = 'correct horse battery staple';
// Evaluating the 3.9 MB Web Chat bundle takes ~4 s in headless Chromium on these machines.
const FIRST_RENDER_MS = 20_000;
const WAIT_MS = 15_000;
/** Set (to 1 or a path) → the console is photographed for the README (npm run docs:screenshot). */
const SCREENSHOT = process.env.AGENT_CONSOLE_SCREENSHOT;

const BOT_BUBBLES = '.webchat__bubble:not(.webchat__bubble--from-user) .webchat__bubble__content';

/**
 * The whole takeover in real Chromium on the real app: an agent in the console at /agent, a
 * customer in Web Chat on / (another browser context), every request on this machine.
 */
describe('agent console and web chat customer in a real browser (Chromium, the whole app)', function () {
  this.timeout(180_000);

  let app: App;
  let base: string;
  let dataDir: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  const offHost: string[] = [];

  before(async function () {
    if (!chromiumInstalled()) this.skip();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'agent-console-e2e-'));
    const config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATA_DIR: dataDir,
      HANDOFF_EVENT_POLL_MS: '50',
    });
    app = await createApp(config, { logger: createLogger({ level: 'silent' }) });
    const sessions = new AgentSessions({
      connection: app.database.connection,
      settings: config.agentSessions,
    });
    const accounts = new AgentAccounts({ connection: app.database.connection, sessions });
    await accounts.add({ email: 'sam@example.com', name: 'Sam', role: 'agent', password: PASSWORD });
    const address = await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${address.port}`;
    browser = await launchChromium();
  });

  after(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await app?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  async function openPage(url: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    contexts.push(context);
    await context.route('**/*', async (route) => {
      const { hostname, protocol } = new URL(route.request().url());
      if (hostname === '127.0.0.1' || protocol === 'blob:' || protocol === 'data:') return route.continue();
      offHost.push(route.request().url());
      return route.abort();
    });
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(`${url}: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy|Refused to/.test(message.text()))
        pageErrors.push(`${url}: ${message.text()}`);
    });
    await page.goto(`${base}${url}`);
    return page;
  }

  async function until(check: () => Promise<boolean>, what: string, timeoutMs = WAIT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function customerSays(page: Page, text: string): Promise<void> {
    const input = page.locator('[data-id="webchat-sendbox-input"]');
    await input.fill(text);
    await input.press('Enter');
  }

  const botSaid = (page: Page, pattern: RegExp) =>
    until(
      async () => (await page.locator(BOT_BUBBLES).allInnerTexts()).some((text) => pattern.test(text)),
      `the customer to see ${pattern}`,
    );

  it('when a customer asks for a person and writes, the agent sees it live, claims, replies, and hands back to the bot', async () => {
    // The agent signs in: a wrong password is refused, the right one opens the console.
    const agent = await openPage('/agent');
    await agent.locator('#email').fill('sam@example.com');
    await agent.locator('#password').fill('not the right password');
    await agent.locator('#sign-in').click();
    await agent.locator('#sign-in-error').waitFor({ timeout: WAIT_MS });
    assert.match(await agent.locator('#sign-in-error').innerText(), /email or password is not right/);
    await agent.locator('#password').fill(PASSWORD);
    await agent.locator('#sign-in').click();
    await agent.locator('#connection[data-state="online"]').waitFor({ timeout: WAIT_MS });
    assert.equal(await agent.locator('#queue li').count(), 0);

    // The customer, in another browser context, asks for a person on the support page.
    const customer = await openPage('/');
    await customer.locator(BOT_BUBBLES).first().waitFor({ timeout: FIRST_RENDER_MS });
    await customerSays(customer, 'talk to a person');
    await botSaid(customer, /connecting you with a person/);
    await customerSays(customer, 'My Mini 2 drops CarPlay <script>alert(1)</script>');

    // The agent sees it without reloading, opens it and claims it.
    const item = agent.locator('#queue li').first();
    await item.waitFor({ timeout: WAIT_MS });
    await item.click();
    const transcript = agent.locator('#transcript');
    await transcript
      .getByText('My Mini 2 drops CarPlay <script>alert(1)</script>')
      .waitFor({ timeout: WAIT_MS });
    assert.equal(await agent.locator('#transcript script').count(), 0);
    await transcript.getByText(/connecting you with a person/).waitFor({ timeout: WAIT_MS });
    await agent.locator('#claim').click();
    await until(async () => !(await agent.locator('#send').isDisabled()), 'the reply box to open');
    await botSaid(customer, /Sam from support/);

    // The agent replies; the customer reads it in Web Chat.
    await agent.locator('#reply').fill('Hi, Sam here. Which phone do you use?');
    await agent.locator('#send').click();
    await botSaid(customer, /Hi, Sam here\. Which phone do you use\?/);

    // The customer answers; the agent sees it live.
    await customerSays(customer, 'An iPhone 15');
    await transcript.getByText('An iPhone 15').waitFor({ timeout: WAIT_MS });

    if (SCREENSHOT) {
      const file = SCREENSHOT === '1' ? projectPath('docs/agent-console.png') : path.resolve(SCREENSHOT);
      await mkdir(path.dirname(file), { recursive: true });
      await agent.screenshot({ path: file });
    }

    // Hand back: the bot resumes and asks for a rating.
    await agent.locator('#hand-back').click();
    await botSaid(customer, /rate the help you got today/);
    await until(async () => (await agent.locator('#queue li').count()) === 0, 'the queue to empty');

    assert.deepEqual(offHost, [], 'no request left this machine');
    assert.deepEqual(pageErrors, []);
  });
});
