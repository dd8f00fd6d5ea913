import assert from 'node:assert/strict';
import { type Browser, type Page } from 'playwright-core';
import { chromiumInstalled, launchChromium } from '../support/chromium';
import { agentModel } from '../../src/services/agents/agentModel';
import { HandoffService } from '../../src/services/handoff/handoffService';
import { SupportHours } from '../../src/services/handoff/supportHours';
import type { CustomerDelivery, CustomerNotice, DeliveryTarget } from '../../src/services/handoff/types';
import { AGENT_PASSWORD, startConsoleHarness, type ConsoleHarness } from '../support/agentConsoleHarness';
import { memoryLogger } from '../support/silentLogger';
import { startTestStore, type TestStore } from '../support/testStore';

const WAIT_MS = 10_000;

class RecordingDelivery implements CustomerDelivery {
  readonly sent: CustomerNotice[] = [];
  readonly resumed: Array<{ askRating: boolean }> = [];
  canDeliver(): boolean {
    return true;
  }
  deliver(_target: DeliveryTarget, notice: CustomerNotice): Promise<void> {
    this.sent.push(notice);
    return Promise.resolve();
  }
  typing(): Promise<void> {
    return Promise.resolve();
  }
  resumeBot(_target: DeliveryTarget, options: { askRating: boolean }): Promise<void> {
    this.resumed.push(options);
    return Promise.resolve();
  }
}

/**
 * The console page in real Chromium against the real console API, socket and handoff service (the
 * customer side driven through the service; test/e2e/agentConsole.e2e.test.ts has the full app).
 */
describe('agent console page in a real browser (Chromium)', function () {
  this.timeout(120_000);
  let store: TestStore;
  let service: HandoffService;
  let delivery: RecordingDelivery;
  let harness: ConsoleHarness;
  let browser: Browser;
  const pageErrors: string[] = [];

  before(async function () {
    if (!chromiumInstalled()) this.skip();
    store = await startTestStore();
    delivery = new RecordingDelivery();
    service = new HandoffService({
      connection: store.connection,
      settings: {
        hours: SupportHours.alwaysOpen(),
        queueTimeoutMinutes: 10,
        eventPollMs: 25,
        instanceId: 'e2e',
      },
      logger: memoryLogger().logger,
      delivery,
    });
    await service.init();
    service.start();
    harness = await startConsoleHarness(store, service);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await harness?.close();
    await service?.stop();
    if (store) {
      await agentModel(store.connection).deleteMany({});
      await store.close();
    }
  });

  async function openConsole(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && !/favicon|logo\.svg|status of (401|404)/.test(message.text()))
        pageErrors.push(message.text());
    });
    await page.goto(`${harness.base}/agent`);
    return page;
  }

  async function until(check: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async function signIn(page: Page, password: string): Promise<void> {
    await page.locator('#email').fill('sam@example.com');
    await page.locator('#password').fill(password);
    await page.locator('#sign-in').click();
  }

  it('when an agent signs in, sees an escalation arrive live, claims, replies and hands back; customer text stays text', async () => {
    const page = await openConsole();
    await page.locator('#sign-in-form').waitFor({ timeout: WAIT_MS });

    await signIn(page, 'not the password at all');
    await page.locator('#sign-in-error').waitFor({ timeout: WAIT_MS });
    assert.match(await page.locator('#sign-in-error').innerText(), /email or password is not right/);
    assert.equal(await page.locator('#console-view').isVisible(), false);

    await signIn(page, AGENT_PASSWORD);
    await page.locator('#connection[data-state="online"]').waitFor({ timeout: WAIT_MS });

    // A customer escalates after the console opened: it shows up without a reload.
    const conversationId = `web-${Date.now()}`;
    const hostile = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
    const reference = { conversation: { id: conversationId }, channelId: 'webchat' };
    await service.recordCustomerMessage(conversationId, {
      text: 'My Mini 2 keeps dropping CarPlay',
      channel: 'webchat',
      reference,
    });
    await service.recordBotMessage(
      conversationId,
      'Let us try a few things. Is the USB cable the original one?',
    );
    await service.recordCustomerMessage(conversationId, { text: 'yes, original' });
    await service.escalate({
      conversationId,
      channel: 'webchat',
      reason: 'unsolved',
      language: 'en',
      summary: `Still drops after a reset ${hostile}`,
      context: {
        product: 'CarlinKit Mini 2',
        carMake: 'Volkswagen',
        troubleshooting: [
          { step: 'Original USB cable?', answer: 'yes' },
          { step: 'Restart the adapter', answer: 'did not help' },
        ],
        ticket: { number: 'CK-2026-0042', status: 'received' },
      },
      reference,
    });
    const item = page.locator(`#queue li[data-conversation-id="${conversationId}"]`);
    await item.waitFor({ timeout: WAIT_MS });
    assert.match(await item.innerText(), /Still drops after a reset <img src=x onerror/);
    assert.match(await item.innerText(), /Web chat/);

    await item.click();
    await page.locator('#context').getByText('CarlinKit Mini 2').waitFor({ timeout: WAIT_MS });
    const context = await page.locator('#context').innerText();
    for (const expected of ['Volkswagen', 'Original USB cable? → yes', 'CK-2026-0042 (received)'])
      assert.ok(context.includes(expected), `${expected} in ${context}`);
    const transcript = page.locator('#transcript');
    await transcript.getByText('Is the USB cable the original one?').waitFor({ timeout: WAIT_MS });

    await page.locator('#claim').click();
    await until(async () => !(await page.locator('#send').isDisabled()), 'the reply box to open');

    // The customer writes while the agent holds it: script tags arrive as text, nothing runs.
    await service.recordCustomerMessage(conversationId, { text: hostile });
    await transcript.getByText(hostile).waitFor({ timeout: WAIT_MS });
    assert.equal(await page.locator('#transcript img[src="x"], #transcript script').count(), 0);
    assert.equal(await page.evaluate('window.__pwned'), undefined);

    await page.locator('#reply').fill('Hi, Sam here. Could you send a photo of the adapter LED?');
    await page.locator('#send').click();
    await until(
      () => Promise.resolve(delivery.sent.some((notice) => notice.text.startsWith('Hi, Sam here.'))),
      'the reply delivered to the customer',
    );
    await transcript.getByText('Hi, Sam here.').waitFor({ timeout: WAIT_MS });

    await page.locator('#hand-back').click();
    await until(() => Promise.resolve(delivery.resumed.length === 1), 'the bot to resume');
    assert.deepEqual(
      delivery.resumed.map((one) => one.askRating),
      [true],
    );
    await until(async () => (await item.count()) === 0, 'the queue to drop it');
    assert.deepEqual(pageErrors, []);
    await page.context().close();
  });
});
