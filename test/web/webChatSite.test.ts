import assert from 'node:assert/strict';
import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import { startHarness, type Harness } from '../bot/adapters/directLine/harness';
import { WEBCHAT_BUNDLE_PATH } from '../../src/web/webChatSite';
import { loadConfig } from '../../src/config';

describe('web chat site (support page, widget page, embed snippet, vendored bundle)', () => {
  let harness: Harness;

  before(async () => {
    harness = await startHarness();
  });

  after(async () => {
    await harness.close();
  });

  it('when the support page is opened, it loads Web Chat and the page script from this server only', async () => {
    const response = await fetch(`${harness.base}/`);
    const html = await response.text();

    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type')!, /^text\/html/);
    assert.match(html, /<div id="webchat"/);
    assert.ok(html.includes(`src="${WEBCHAT_BUNDLE_PATH}"`));
    assert.ok(html.includes('src="/static/chat.js"'));
    assert.doesNotMatch(html, /https?:\/\//, 'no CDN or other host');
    const csp = response.headers.get('content-security-policy')!;
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'self'/);
  });

  it('when WEBCHAT_ALLOWED_ORIGINS is unset, the widget page may be framed by this site only', async () => {
    const response = await fetch(`${harness.base}/chat`);

    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-security-policy')!, /frame-ancestors 'self'(;|$)/);
    assert.equal(response.headers.get('x-frame-options'), 'SAMEORIGIN');
    assert.equal(response.headers.get('strict-transport-security'), null, 'plain HTTP: no HSTS');
  });

  describe('with WEBCHAT_ALLOWED_ORIGINS and an https PUBLIC_BASE_URL', () => {
    let configured: Harness;

    before(async () => {
      configured = await startHarness({
        env: {
          WEBCHAT_ALLOWED_ORIGINS: 'https://www.carlinkit.example, https://shop.carlinkit.example/',
          PUBLIC_BASE_URL: 'https://support.carlinkit.example',
        },
      });
    });

    after(async () => {
      await configured.close();
    });

    it('when the company website frames the widget page, the CSP names exactly those sites besides this one', async () => {
      const chat = await fetch(`${configured.base}/chat`);
      const support = await fetch(`${configured.base}/`);

      assert.match(
        chat.headers.get('content-security-policy')!,
        /frame-ancestors 'self' https:\/\/www\.carlinkit\.example https:\/\/shop\.carlinkit\.example(;|$)/,
      );
      // X-Frame-Options can't list sites; the CSP alone decides.
      assert.equal(chat.headers.get('x-frame-options'), null);
      // The support page itself is never framed by others.
      assert.match(support.headers.get('content-security-policy')!, /frame-ancestors 'self'(;|$)/);
      assert.equal(support.headers.get('x-frame-options'), 'SAMEORIGIN');
    });

    it('when PUBLIC_BASE_URL is https, every answer carries Strict-Transport-Security', async () => {
      const answers = await Promise.all(
        ['/chat', '/healthz', '/v3/directline/conversations/unknown-conv/activities'].map((path) =>
          fetch(`${configured.base}${path}`),
        ),
      );

      assert.deepEqual(
        answers.map((answer) => answer.headers.get('strict-transport-security')),
        ['max-age=31536000', 'max-age=31536000', 'max-age=31536000'],
      );
    });

    it('when an origin in WEBCHAT_ALLOWED_ORIGINS is not an origin, the configuration is refused', () => {
      assert.throws(
        () => loadConfig({ WEBCHAT_ALLOWED_ORIGINS: 'https://ok.example, javascript:alert(1)' }),
        /WEBCHAT_ALLOWED_ORIGINS/,
      );
    });
  });

  it('when the Web Chat bundle is requested, it is served gzip-compressed and cacheable forever under its versioned URL', async () => {
    const response = await rawGet(`${harness.base}${WEBCHAT_BUNDLE_PATH}`, { 'Accept-Encoding': 'gzip, br' });
    const raw = response.body;

    assert.equal(response.status, 200);
    assert.equal(response.headers['content-encoding'], 'gzip');
    assert.equal(response.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.ok(raw.length < 1_100_000, `gzip size ${raw.length}`);
    const body = gunzipSync(raw).toString('utf8');
    assert.ok(body.length > 3_000_000);
    assert.match(body, /createDirectLine/);
  });

  it('when the browser revalidates an asset it has, it gets 304', async () => {
    const first = await fetch(`${harness.base}/static/chat.js`);
    await first.arrayBuffer();

    const second = await fetch(`${harness.base}/static/chat.js`, {
      headers: { 'If-None-Match': first.headers.get('etag')! },
    });

    assert.equal(first.headers.get('cache-control'), 'no-cache');
    assert.equal(second.status, 304);
  });

  it('when the company website includes /embed.js, it gets the snippet that frames /chat', async () => {
    const response = await fetch(`${harness.base}/embed.js`);
    const script = await response.text();

    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type')!, /javascript/);
    assert.match(script, /\/chat'/);
    assert.match(script, /Online Message/);
  });
});

/** fetch() decompresses; this reads the bytes as sent. */
function rawGet(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      })
      .on('error', reject);
  });
}
