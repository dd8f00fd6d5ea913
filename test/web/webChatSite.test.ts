import assert from 'node:assert/strict';
import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import { startHarness, type Harness } from '../bot/adapters/directLine/harness';
import { WEBCHAT_BUNDLE_PATH } from '../../src/web/webChatSite';

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

  it('when the widget page is framed by the company website, it may be', async () => {
    const response = await fetch(`${harness.base}/chat`);

    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-security-policy')!, /frame-ancestors \*/);
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
