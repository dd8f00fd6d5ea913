import { strict as assert } from 'node:assert';
import { CloudAdapter } from 'botbuilder';
import type { Server } from 'restify';
import { ticketRoutes } from '../../../src/bot/routes/ticketRoutes';
import { makeServer } from '../../../src/bot/server';
import { ticketModel, type TicketDoc } from '../../../src/services/tickets/ticketModel';
import type { TicketService } from '../../../src/services/tickets/ticketService';
import type { TicketView } from '../../../src/services/tickets/types';
import { FakeClock, MAILING_ADDRESS, makeTicketService, registration } from '../../fixtures/tickets';
import { memoryLogger } from '../../support/silentLogger';
import { startTestStore, type TestStore } from '../../support/testStore';

const TOKEN = 'test-backoffice-token-0123456789abcdef';
const HTTP = {
  port: 0,
  host: '127.0.0.1',
  publicBaseUrl: 'http://127.0.0.1',
  bodyLimitBytes: 65_536,
  shutdownTimeoutMs: 1_000,
};

interface Reply {
  status: number;
  headers: Headers;
  body: unknown;
}

async function startServer(
  service: TicketService,
  token: string | undefined,
): Promise<{ server: Server; base: string }> {
  const { logger } = memoryLogger();
  const { server } = makeServer({
    config: { http: HTTP },
    logger,
    adapter: new CloudAdapter(),
    bot: { run: async () => {} },
    readiness: () => Promise.resolve({ ready: true, checks: {} }),
    registrars: [ticketRoutes({ tickets: service, config: { backoffice: { token }, http: HTTP }, logger })],
  });
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address();
  return { server, base: `http://127.0.0.1:${port}` };
}

async function stopServer(server: Server): Promise<void> {
  server.server.closeAllConnections();
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
  });
}

describe('back-office tickets API (/api/tickets)', () => {
  let store: TestStore;
  let service: TicketService;
  let server: Server;
  let base: string;
  let clock: FakeClock;

  before(async () => {
    store = await startTestStore();
    clock = new FakeClock('2026-11-16T02:00:00Z');
    ({ service } = makeTicketService(store.connection, { clock }));
    await service.init();
    ({ server, base } = await startServer(service, TOKEN));
  });

  after(async () => {
    await stopServer(server);
    await store.close();
  });

  beforeEach(async () => {
    await ticketModel(store.connection).deleteMany({});
  });

  async function call(
    method: string,
    path: string,
    options: {
      body?: unknown;
      rawBody?: string;
      token?: string | null;
      actor?: string | null;
      headers?: Record<string, string>;
    } = {},
  ): Promise<Reply> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== null) headers.authorization = `Bearer ${options.token ?? TOKEN}`;
    if (options.actor !== null && method === 'POST') headers['x-actor'] = options.actor ?? 'mei';
    let payload: string | undefined;
    if (options.rawBody !== undefined) payload = options.rawBody;
    else if (options.body !== undefined) payload = JSON.stringify(options.body);
    if (payload !== undefined) headers['content-type'] ??= 'application/json';
    const response = await fetch(`${base}${path}`, { method, headers, body: payload });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text ? (JSON.parse(text) as unknown) : undefined,
    };
  }

  const ticketBody = (reply: Reply): TicketView => reply.body as TicketView;
  const errorMessage = (reply: Reply): string => (reply.body as { error: { message: string } }).error.message;
  const rawDoc = async (ticketNumber: string): Promise<TicketDoc | null> =>
    ticketModel(store.connection).findOne({ ticketNumber }).lean<TicketDoc>().exec();
  const count = (): Promise<number> => ticketModel(store.connection).countDocuments({}).exec();
  const newTicket = () =>
    service.register(registration(), {
      idempotencyKey: `k-${Math.random().toString(36).slice(2)}`,
      actor: 'customer',
    });

  const ACTION_BODIES: Record<string, unknown> = {
    review: {},
    approve: { mailingAddress: MAILING_ADDRESS },
    reject: { reason: 'Solved by troubleshooting' },
    receive: { inboundTrackingNumber: '1Z999AA10123456784' },
    inspect: {},
    repair: { finding: 'Faulty Wi-Fi module' },
    quote: { finding: 'Cracked case', causedByCustomer: true, amount: 25, reason: 'New case' },
    'accept-quote': { paymentReference: 'PAY-1' },
    'decline-quote': {},
    ship: { outboundTrackingNumber: 'SF1234567890', carrier: 'SF Express' },
    close: {},
    cancel: { reason: 'Customer asked' },
  };
  const ROUTES: Array<[string, string]> = [
    ['GET', '/api/tickets'],
    ['GET', '/api/tickets/CK-22222222'],
    ['POST', '/api/tickets'],
    ...Object.keys(ACTION_BODIES).map((action): [string, string] => [
      'POST',
      `/api/tickets/CK-22222222/${action}`,
    ]),
    ['POST', '/api/tickets/CK-22222222/notifications/abc/retry'],
  ];

  describe('authentication', () => {
    for (const [method, path] of ROUTES) {
      it(`when ${method} ${path} comes without a valid bearer token, it answers 401 and writes nothing`, async () => {
        const ticket = await newTicket();
        const realPath = path.replace('CK-22222222', ticket.ticketNumber);
        for (const token of [null, 'wrong-token', `${TOKEN}x`, '']) {
          const body =
            method === 'GET' ? undefined : (ACTION_BODIES[path.split('/').at(-1) ?? ''] ?? registration());
          const reply = await call(method, realPath, {
            token,
            body,
            headers: { 'idempotency-key': 'auth-test-key' },
          });
          assert.equal(reply.status, 401, `token ${String(token)}`);
          assert.equal(reply.headers.get('www-authenticate'), 'Bearer');
        }
        assert.equal(await count(), 1);
        assert.equal((await rawDoc(ticket.ticketNumber))?.version, 1);
      });
    }

    it('when BACKOFFICE_TOKEN is not configured, every route answers 401 whatever token is sent', async () => {
      const disabled = await startServer(service, undefined);
      try {
        for (const [method, path] of ROUTES) {
          const response = await fetch(`${disabled.base}${path}`, {
            method,
            headers: { authorization: `Bearer ${TOKEN}`, 'x-actor': 'mei' },
          });
          assert.equal(response.status, 401, `${method} ${path}`);
          assert.match(await response.text(), /BACKOFFICE_TOKEN/);
        }
      } finally {
        await stopServer(disabled.server);
      }
    });
  });

  describe('the lifecycle over HTTP', () => {
    it('when an agent takes a ticket from registration to closed, each answer is the ticket with its new status and ETag', async () => {
      const created = await call('POST', '/api/tickets', {
        body: registration({ origin: { channel: 'api', conversationId: 'backoffice-1' } }),
        headers: { 'idempotency-key': 'bo-create-000001' },
      });
      assert.equal(created.status, 201);
      const number = ticketBody(created).ticketNumber;
      assert.equal(created.headers.get('location'), `/api/tickets/${number}`);
      assert.equal(created.headers.get('etag'), '"1"');

      const expected: Array<[string, string]> = [
        ['review', 'under_review'],
        ['approve', 'approved'],
        ['receive', 'received'],
        ['inspect', 'inspecting'],
        ['repair', 'repairing'],
        ['ship', 'shipped_back'],
        ['close', 'closed'],
      ];
      let version = 1;
      for (const [action, status] of expected) {
        const reply = await call('POST', `/api/tickets/${number}/${action}`, {
          body: ACTION_BODIES[action],
          headers: { 'if-match': `"${version}"` },
        });
        assert.equal(reply.status, 200, `${action}: ${JSON.stringify(reply.body)}`);
        assert.equal(ticketBody(reply).status, status);
        version += 1;
        assert.equal(reply.headers.get('etag'), `"${version}"`);
      }
      const got = await call('GET', `/api/tickets/${number}`);
      assert.equal(got.status, 200);
      assert.deepEqual(
        ticketBody(got).history.map((entry) => entry.actor),
        [
          'agent:mei',
          'agent:mei',
          'agent:mei',
          'agent:mei',
          'agent:mei',
          'agent:mei',
          'agent:mei',
          'agent:mei',
        ],
      );
      assert.equal(ticketBody(got).expectedCompletion, '2026-12-04');
    });

    it('when the quote path is taken over HTTP, accept-quote and decline-quote work with their data', async () => {
      const ticket = await newTicket();
      for (const action of ['review', 'approve', 'receive', 'inspect', 'quote']) {
        assert.equal(
          (
            await call('POST', `/api/tickets/${ticket.ticketNumber}/${action}`, {
              body: ACTION_BODIES[action],
            })
          ).status,
          200,
          action,
        );
      }
      const declined = await call('POST', `/api/tickets/${ticket.ticketNumber}/decline-quote`, { body: {} });
      assert.equal(ticketBody(declined).status, 'returned_unrepaired');
    });

    it('when creation is retried with the same Idempotency-Key, the same ticket comes back', async () => {
      const body = registration({ origin: { channel: 'api', conversationId: 'backoffice-2' } });
      const first = await call('POST', '/api/tickets', {
        body,
        headers: { 'idempotency-key': 'bo-create-000002' },
      });
      const second = await call('POST', '/api/tickets', {
        body,
        headers: { 'idempotency-key': 'bo-create-000002' },
      });
      assert.equal(ticketBody(second).ticketNumber, ticketBody(first).ticketNumber);
      assert.equal(await count(), 1);
    });

    it('when a registration carries photos the media policy accepts, the ticket keeps them; a video or an oversized photo answers 400 and writes nothing', async () => {
      const photo = {
        name: 'led.heic',
        contentType: 'image/heic',
        size: 2_000_000,
        url: 'https://example.com/led.heic',
      };
      const accepted = await call('POST', '/api/tickets', {
        body: registration({ attachments: [photo] }),
        headers: { 'idempotency-key': 'bo-media-000001' },
      });
      assert.equal(accepted.status, 201, JSON.stringify(accepted.body));
      assert.deepEqual(ticketBody(accepted).attachments, [photo]);

      const refusals: Array<[typeof photo, RegExp]> = [
        [
          { ...photo, name: 'clip.mp4', contentType: 'video/mp4' },
          /attachments\.0\.contentType must be a photo \(JPEG, PNG, HEIC, WebP or GIF\)/,
        ],
        [{ ...photo, size: 8 * 1024 * 1024 + 1 }, /attachments\.0\.size must be at most 8 MB/],
      ];
      for (const [index, [attachment, why]] of refusals.entries()) {
        const refused = await call('POST', '/api/tickets', {
          body: registration({ attachments: [attachment] }),
          headers: { 'idempotency-key': `bo-media-00001${index}` },
        });
        assert.equal(refused.status, 400, JSON.stringify(refused.body));
        assert.match(errorMessage(refused), why);
      }
      assert.equal(await count(), 1);
    });

    it('when two agents send the same If-Match at once, one gets 200 and the other 409', async () => {
      const ticket = await newTicket();
      await call('POST', `/api/tickets/${ticket.ticketNumber}/review`, { body: {} });
      const [a, b] = await Promise.all([
        call('POST', `/api/tickets/${ticket.ticketNumber}/approve`, {
          body: ACTION_BODIES.approve,
          headers: { 'if-match': '"2"' },
          actor: 'mei',
        }),
        call('POST', `/api/tickets/${ticket.ticketNumber}/reject`, {
          body: ACTION_BODIES.reject,
          headers: { 'if-match': '"2"' },
          actor: 'tom',
        }),
      ]);
      assert.deepEqual([a.status, b.status].sort(), [200, 409]);
      assert.equal((await rawDoc(ticket.ticketNumber))?.version, 3);
    });

    it('when a notification failed, the retry route puts it back in the queue', async () => {
      const ticket = await newTicket();
      const doc = await rawDoc(ticket.ticketNumber);
      await ticketModel(store.connection)
        .updateOne({ _id: doc!._id }, { $set: { 'outbox.0.status': 'failed' } })
        .exec();
      const reply = await call(
        'POST',
        `/api/tickets/${ticket.ticketNumber}/notifications/${doc!.outbox[0].id}/retry`,
      );
      assert.equal(reply.status, 200);
      assert.equal(ticketBody(reply).notifications?.[0]?.status, 'pending');
      assert.equal(
        (await call('POST', `/api/tickets/${ticket.ticketNumber}/notifications/${doc!.outbox[0].id}/retry`))
          .status,
        409,
      );
      assert.equal(
        (await call('POST', `/api/tickets/${ticket.ticketNumber}/notifications/nope/retry`)).status,
        404,
      );
    });
  });

  describe('listing', () => {
    it('when listing with filters and paging, it answers the matching page and the total', async () => {
      const tickets: TicketView[] = [];
      for (let index = 0; index < 3; index += 1) {
        clock.advance(1_000);
        tickets.push(await newTicket());
      }
      await call('POST', `/api/tickets/${tickets[1].ticketNumber}/review`, { body: {} });
      const all = await call('GET', '/api/tickets?pageSize=2');
      assert.equal(all.status, 200);
      assert.deepEqual((all.body as { total: number; items: unknown[] }).total, 3);
      assert.equal((all.body as { items: unknown[] }).items.length, 2);
      const reviewed = await call('GET', '/api/tickets?status=under_review');
      assert.deepEqual(
        (reviewed.body as { items: TicketView[] }).items.map((item) => item.ticketNumber),
        [tickets[1].ticketNumber],
      );
      const both = await call('GET', '/api/tickets?status=under_review,submitted&phone=%2B14155550100');
      assert.equal((both.body as { total: number }).total, 3);
      const byNumber = await call('GET', `/api/tickets?q=${tickets[2].ticketNumber}`);
      assert.equal(
        (byNumber.body as { items: TicketView[] }).items[0]?.ticketNumber,
        tickets[2].ticketNumber,
      );
    });
  });

  describe('bad input: a clear 4xx and nothing written', () => {
    let ticket: TicketView;
    let before: TicketDoc | null;

    beforeEach(async () => {
      ticket = await newTicket();
      await service.act(ticket.ticketNumber, { type: 'review' }, { actor: 'agent:mei' });
      before = await rawDoc(ticket.ticketNumber);
    });

    afterEach(async () => {
      assert.deepEqual(await rawDoc(ticket.ticketNumber), before, 'the ticket is unchanged');
      assert.equal(await count(), 1, 'no ticket was created');
    });

    const expectError = (reply: Reply, status: number, pattern: RegExp): void => {
      assert.equal(reply.status, status, JSON.stringify(reply.body));
      assert.match(errorMessage(reply), pattern);
    };

    it('when the list query has an unknown status, a bad page size or an unknown parameter, it answers 400', async () => {
      expectError(await call('GET', '/api/tickets?status=lost'), 400, /status/);
      expectError(await call('GET', '/api/tickets?pageSize=1000'), 400, /pageSize/);
      expectError(await call('GET', '/api/tickets?page=0'), 400, /page/);
      expectError(await call('GET', '/api/tickets?phone=abc'), 400, /phone/);
      expectError(await call('GET', '/api/tickets?sort=evil'), 400, /sort/);
    });

    it('when getting a malformed or unknown ticket number, it answers 400 or 404', async () => {
      expectError(await call('GET', '/api/tickets/hello'), 400, /ticket number/);
      expectError(await call('GET', '/api/tickets/CK-22222222'), 404, /No ticket CK-22222222/);
    });

    it('when creating without Idempotency-Key, X-Actor, or with a bad body, it answers 400', async () => {
      expectError(await call('POST', '/api/tickets', { body: registration() }), 400, /Idempotency-Key/);
      expectError(
        await call('POST', '/api/tickets', {
          body: registration(),
          actor: null,
          headers: { 'idempotency-key': 'bo-create-000003' },
        }),
        400,
        /X-Actor/,
      );
      expectError(
        await call('POST', '/api/tickets', {
          body: { product: {} },
          headers: { 'idempotency-key': 'bo-create-000004' },
        }),
        400,
        /product\./,
      );
      expectError(
        await call('POST', '/api/tickets', {
          body: [1, 2],
          headers: { 'idempotency-key': 'bo-create-000005' },
        }),
        400,
        /JSON object/,
      );
      expectError(
        await call('POST', '/api/tickets', {
          rawBody: '{"product":',
          headers: { 'idempotency-key': 'bo-create-000006' },
        }),
        400,
        /./,
      );
      expectError(
        await call('POST', '/api/tickets', {
          body: registration({ product: { productId: 'nope' } }),
          headers: { 'idempotency-key': 'bo-create-000007' },
        }),
        400,
        /not a CarlinKit product/,
      );
    });

    it('when creating with a body that is not JSON, it answers 415', async () => {
      const reply = await call('POST', '/api/tickets', {
        rawBody: 'name=x',
        headers: { 'idempotency-key': 'bo-create-000008', 'content-type': 'text/csv' },
      });
      assert.equal(reply.status, 415);
    });

    for (const [action, body] of Object.entries(ACTION_BODIES)) {
      it(`when POST ${action} has a bad body, no actor, a bad If-Match, a stale version, the wrong state or an unknown ticket, it answers 400/409/404`, async () => {
        const path = `/api/tickets/${ticket.ticketNumber}/${action}`;
        expectError(
          await call('POST', path, { body: { ...(body as object), surprise: 1 } }),
          400,
          /surprise/,
        );
        expectError(await call('POST', path, { body, actor: null }), 400, /X-Actor/);
        expectError(await call('POST', path, { body, actor: 'mei bob' }), 400, /X-Actor/);
        expectError(
          await call('POST', path, { body, headers: { 'if-match': 'yesterday' } }),
          400,
          /If-Match/,
        );
        expectError(await call('POST', path, { body: 'not json at all', headers: {} }), 400, /./);
        expectError(await call('POST', path, { body: { ...(body as object), type: 'close' } }), 400, /type/);
        expectError(await call('POST', `/api/tickets/CK-22222222/${action}`, { body }), 404, /No ticket/);
        expectError(await call('POST', `/api/tickets/nope/${action}`, { body }), 400, /ticket number/);
        if (action === 'approve' || action === 'reject' || action === 'cancel') {
          // Legal now: a stale version is what stops it.
          expectError(await call('POST', path, { body, headers: { 'if-match': '"1"' } }), 409, /version 2/);
          if (Object.keys(body as object).length > 0)
            expectError(await call('POST', path, { body: {} }), 400, /Invalid action/);
        } else {
          expectError(await call('POST', path, { body }), 409, /^Cannot /);
        }
      });
    }
  });
});
