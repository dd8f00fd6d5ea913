import assert from 'node:assert/strict';
import {
  activities,
  call,
  multipartBody,
  PNG_1X1,
  startConversation,
  startHarness,
  waitForActivities,
  type Harness,
  type StartedConversation,
} from './harness';

const JPEG = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]),
  Buffer.from('JFIF\0'),
  Buffer.alloc(200, 7),
]);
const PDF = Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n');

describe('local Direct Line uploads (photos of the device, LED, serial label)', () => {
  let harness: Harness;
  let conversation: StartedConversation;

  beforeEach(async () => {
    harness = await startHarness();
    conversation = await startConversation(harness);
    await waitForActivities(harness, conversation, (all) => all.length === 1);
  });

  afterEach(async () => {
    await harness.close();
  });

  function upload(parts: Parameters<typeof multipartBody>[0], userId = conversation.userId) {
    const { body, contentType } = multipartBody(parts);
    return call<{ id?: string; error?: { code: string; message: string } }>(
      harness,
      'POST',
      `/v3/directline/conversations/${conversation.conversationId}/upload?userId=${userId}`,
      { token: conversation.token, body, headers: { 'Content-Type': contentType } },
    );
  }

  const activityPart = (text: string) => ({
    name: 'activity',
    contentType: 'application/vnd.microsoft.activity',
    data: Buffer.from(
      JSON.stringify({
        type: 'message',
        text,
        channelData: { clientActivityID: 'upload-1' },
        attachments: [{ contentType: 'image/png', name: 'led.png' }],
      }),
    ),
  });

  it('when photos are uploaded as DirectLineJS sends them, the bot gets them as attachments on our server and the page can show them', async () => {
    const result = await upload([
      activityPart('here is the LED'),
      { name: 'file', filename: 'led.png', contentType: 'image/png', data: PNG_1X1 },
      { name: 'file', filename: 'label.jpg', contentType: 'application/octet-stream', data: JPEG },
    ]);
    const log = await waitForActivities(harness, conversation, (all) =>
      all.some((a) => a.text?.startsWith('got 2 photo')),
    );

    assert.equal(result.status, 200);
    const echo = log.find((a) => a.id === result.body.id)!;
    assert.equal(echo.text, 'here is the LED');
    assert.equal(echo.channelData?.clientActivityID, 'upload-1');
    assert.deepEqual(
      echo.attachments?.map((a) => [a.name, a.contentType]),
      [
        ['led.png', 'image/png'],
        ['label.jpg', 'image/jpeg'],
      ],
    );
    // The bot sees plain URLs on this service (for the ticket), with sizes alongside.
    const received = harness.bot.received.find((a) => a.text === 'here is the LED')!;
    const botUrl = received.attachments![0].contentUrl!;
    assert.match(
      botUrl,
      new RegExp(
        `^${harness.config.http.publicBaseUrl}/v3/directline/conversations/${conversation.conversationId}/attachments/[\\w-]+$`,
      ),
    );
    const uploads = (received.channelData as { uploads: Array<{ size: number; url: string }> }).uploads;
    assert.deepEqual(
      uploads.map((u) => u.size),
      [PNG_1X1.length, JPEG.length],
    );
    // The page gets a signed link its <img> can load without a header.
    const signed = echo.attachments[0].contentUrl!;
    assert.match(signed, /^\/v3\/directline\/conversations\/[\w-]+\/attachments\/[\w-]+\?exp=\d+&sig=/);
    const image = await fetch(`${harness.base}${signed}`);
    assert.equal(image.status, 200);
    assert.equal(image.headers.get('content-type'), 'image/png');
    assert.equal(image.headers.get('x-content-type-options'), 'nosniff');
    assert.deepEqual(Buffer.from(await image.arrayBuffer()), PNG_1X1);
  });

  it('when a stored photo is read, only the conversation token, the back-office token or a valid signed link may read it', async () => {
    await upload([{ name: 'file', filename: 'serial.png', contentType: 'image/png', data: PNG_1X1 }]);
    await waitForActivities(harness, conversation, (all) =>
      all.some((a) => a.text?.startsWith('got 1 photo')),
    );
    const url = new URL(harness.bot.received[0].attachments![0].contentUrl!).pathname;
    const other = await startConversation(harness);

    const statuses = {
      anonymous: (await call(harness, 'GET', url)).status,
      otherConversation: (await call(harness, 'GET', url, { token: other.token })).status,
      badSignature: (await call(harness, 'GET', `${url}?exp=9999999999&sig=AAAA`)).status,
      conversationToken: (await call(harness, 'GET', url, { token: conversation.token })).status,
      backOffice: (await call(harness, 'GET', url, { token: 'backoffice-token-for-tests-0123456789' }))
        .status,
      otherConversationPath: (
        await call(harness, 'GET', url.replace(conversation.conversationId, other.conversationId), {
          token: other.token,
        })
      ).status,
    };

    assert.deepEqual(statuses, {
      anonymous: 401,
      otherConversation: 403,
      badSignature: 401,
      conversationToken: 200,
      backOffice: 200,
      otherConversationPath: 404,
    });
  });

  it('when a file is not a photo (whatever its declared type), it answers 415, stores nothing and tells the customer why', async () => {
    const result = await upload([
      activityPart('my invoice'),
      { name: 'file', filename: 'invoice.png', contentType: 'image/png', data: PDF },
    ]);
    const log = await waitForActivities(harness, conversation, (all) => all.length === 2);

    assert.equal(result.status, 415);
    assert.equal(result.body.error?.code, 'unsupported_media_type');
    assert.match(result.body.error.message, /invoice\.png.*not a supported image/);
    assert.equal(log[1].from.role, 'bot');
    assert.match(log[1].text!, /couldn't accept "invoice\.png".*JPEG, PNG, HEIC, WebP or GIF.*8 MB/);
    assert.ok(!log.some((a) => a.text === 'my invoice'), 'the message with the bad file was not stored');
    assert.ok(!harness.bot.received.some((a) => a.text === 'my invoice'), 'no turn ran');
  });

  it('when a GIF screen recording is uploaded (a type the media policy accepts), the bot gets it as image/gif and the page shows it', async () => {
    const gif = Buffer.concat([Buffer.from('GIF89a', 'latin1'), Buffer.alloc(64, 1)]);

    const result = await upload([
      activityPart('the screen flickers like this'),
      { name: 'file', filename: 'flicker.gif', contentType: 'image/gif', data: gif },
    ]);
    const log = await waitForActivities(harness, conversation, (all) =>
      all.some((a) => a.text?.startsWith('got 1 photo')),
    );

    assert.equal(result.status, 200);
    const received = harness.bot.received.find((a) => a.text === 'the screen flickers like this')!;
    assert.deepEqual(
      received.attachments?.map((a) => [a.name, a.contentType]),
      [['flicker.gif', 'image/gif']],
    );
    const echo = log.find((a) => a.id === result.body.id)!;
    const shown = echo.attachments?.[0] as { contentUrl?: string; thumbnailUrl?: string } | undefined;
    assert.ok(shown?.thumbnailUrl, 'shown as a picture (a thumbnail), not a file card');
    assert.equal(shown.thumbnailUrl, shown.contentUrl);
  });

  it('when a photo is just under 8 MB, it is stored whole and read back byte for byte', async () => {
    const photo = Buffer.concat([PNG_1X1, Buffer.alloc(8 * 1024 * 1024 - PNG_1X1.length - 1, 0xab)]);

    const result = await upload([
      { name: 'file', filename: 'dashboard.png', contentType: 'image/png', data: photo },
    ]);
    await waitForActivities(harness, conversation, (all) =>
      all.some((a) => a.text?.startsWith('got 1 photo')),
    );
    const url = new URL(harness.bot.received[0].attachments![0].contentUrl!).pathname;
    const read = await fetch(`${harness.base}${url}`, {
      headers: { Authorization: `Bearer ${conversation.token}` },
    });

    assert.equal(result.status, 200);
    assert.equal(read.status, 200);
    assert.ok(Buffer.from(await read.arrayBuffer()).equals(photo));
  });

  it('when a photo is larger than 8 MB, it answers 413 and tells the customer', async () => {
    const big = Buffer.concat([PNG_1X1, Buffer.alloc(8 * 1024 * 1024)]);

    const result = await upload([
      { name: 'file', filename: 'huge.png', contentType: 'image/png', data: big },
    ]);
    const log = await waitForActivities(harness, conversation, (all) => all.length === 2);

    assert.equal(result.status, 413);
    assert.match(log[1].text!, /"huge\.png" is too large/);
  });

  it('when more than five photos are sent at once, it answers 413', async () => {
    const files = Array.from({ length: 6 }, (_, i) => ({
      name: 'file',
      filename: `p${i}.png`,
      contentType: 'image/png',
      data: PNG_1X1,
    }));

    const result = await upload(files);

    assert.equal(result.status, 413);
    assert.match(result.body.error!.message, /At most 5 files/);
  });

  it('when the whole upload is far over the limit, it answers 413 without reading it all', async () => {
    const result = await call<{ error: { code: string } }>(
      harness,
      'POST',
      `/v3/directline/conversations/${conversation.conversationId}/upload`,
      {
        token: conversation.token,
        body: Buffer.alloc(45 * 1024 * 1024),
        headers: { 'Content-Type': 'multipart/form-data; boundary=x' },
      },
    );

    assert.equal(result.status, 413);
    assert.equal(result.body.error.code, 'payload_too_large');
    assert.equal((await activities(harness, conversation)).activities.length, 1);
  });

  it('when the upload is not multipart, names another user, or is malformed, it answers 4xx', async () => {
    const path = `/v3/directline/conversations/${conversation.conversationId}/upload`;

    const notMultipart = await call(harness, 'POST', path, {
      token: conversation.token,
      json: { type: 'message' },
    });
    const otherUser = await upload(
      [{ name: 'file', filename: 'a.png', contentType: 'image/png', data: PNG_1X1 }],
      'dl_someone_else',
    );
    const malformed = await call(harness, 'POST', path, {
      token: conversation.token,
      body: '--x\r\nno headers end',
      headers: { 'Content-Type': 'multipart/form-data; boundary=x' },
    });

    assert.equal(notMultipart.status, 400);
    assert.equal(otherUser.status, 403);
    assert.equal(malformed.status, 400);
    assert.equal((await activities(harness, conversation)).activities.length, 1);
  });
});
