import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FakeTwilioApi } from '../support/fakeTwilio';
import { ACCOUNT_SID, AUTH_TOKEN, AppProcess, freePort } from './support/appProcess';
import { allTickets, ticketCount } from './support/backOffice';
import {
  isTicketSms,
  registerRepair,
  SmsChannel,
  WebChatChannel,
  type Channel,
  type CustomerOutcome,
} from './support/customers';
import { recordFigures, seededRandom, type KillRound } from './support/report';

const CONVERSATIONS = Number(process.env.FAULT_CONVERSATIONS ?? 50);
const ROUNDS = Number(process.env.FAULT_ROUNDS ?? 3);
const SEED = Number(process.env.FAULT_SEED ?? Date.now() % 100_000);

describe('Faults: kill -9 while customers register repairs', function () {
  this.timeout(0);
  const results: KillRound[] = [];
  const random = seededRandom(SEED);

  after(() => {
    const waits = results.flatMap((result) => result.orphanedSmsWaitMs);
    recordFigures('faults', 'killRestart', {
      seed: SEED,
      rounds: results.length,
      conversationsPerRound: CONVERSATIONS,
      results,
      maxOrphanedSmsWaitMs: waits.length ? Math.max(...waits) : 0,
    });
  });

  for (let round = 1; round <= ROUNDS; round += 1) {
    it(`round ${round}: after a kill -9 and a restart, every ticket a customer saw exists once, none twice, every ticket SMS once`, async () => {
      const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ck-faults-'));
      const twilio = await FakeTwilioApi.start({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
      const app = new AppProcess({ dataDir, port: await freePort(), twilioBaseUrl: twilio.baseUrl });
      try {
        await app.start();
        const base = (): string => app.baseUrl;
        const customers: Array<Promise<CustomerOutcome>> = [];
        for (let index = 0; index < CONVERSATIONS; index += 1) {
          const serial = `CK4F${round}${String(index).padStart(3, '0')}X${SEED}`;
          const phone = `+1415${String(round).padStart(2, '0')}${String(index).padStart(5, '0')}`;
          const email = `customer${index}@example.com`;
          const startDelay = random() * 2_000;
          const open = async (): Promise<Channel> => {
            await new Promise((resolve) => setTimeout(resolve, startDelay));
            return index % 2 === 0 ? WebChatChannel.open(base) : new SmsChannel(base, twilio, phone);
          };
          customers.push(
            open().then((channel) =>
              registerRepair(
                channel,
                { index, serial, phone, email },
                // SMS turns held by the killed process wait for their lease (up to 60 s) before they run.
                {
                  patienceMs: 8_000,
                  giveUpMs: 150_000,
                  thinkMs: () => 20 + random() * 150,
                  pollMs: 100,
                  smsTo: (to) => twilio.messagesTo(to),
                },
              ),
            ),
          );
        }
        // Kill while the confirmations are under way: once a random share of the tickets exists.
        const killAfter = 1 + Math.floor(random() * CONVERSATIONS * 0.8);
        const startedAt = performance.now();
        let ticketsBeforeKill = 0;
        while (ticketsBeforeKill < killAfter) {
          await new Promise((resolve) => setTimeout(resolve, 20 + random() * 30));
          ticketsBeforeKill = await ticketCount(app.baseUrl);
        }
        const killAtMs = performance.now() - startedAt;
        await app.kill();
        const killedAt = Date.now();
        const restartMs = await app.start();
        const restartedAt = Date.now();
        const outcomes = await Promise.all(customers);
        const elapsed = performance.now() - startedAt;

        // Every ticket's SMS: wait until each has gone out (or 90 s).
        let tickets = await allTickets(app.baseUrl);
        const deadline = Date.now() + 90_000;
        const smsFor = (ticketNumber: string) =>
          twilio.messages.filter(
            (message) => isTicketSms(message.body) && message.body.includes(`${ticketNumber} `),
          );
        while (Date.now() < deadline && tickets.some((ticket) => smsFor(ticket.ticketNumber).length === 0)) {
          await new Promise((resolve) => setTimeout(resolve, 200));
          tickets = await allTickets(app.baseUrl);
        }
        // A moment more for a duplicate to show up.
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        tickets = await allTickets(app.baseUrl);

        const byConversation = new Map<string, string[]>();
        for (const ticket of tickets) {
          const list = byConversation.get(ticket.origin.conversationId) ?? [];
          list.push(ticket.ticketNumber);
          byConversation.set(ticket.origin.conversationId, list);
        }
        const stored = new Set(tickets.map((ticket) => ticket.ticketNumber));
        const seen = outcomes.flatMap((outcome) => outcome.ticketNumbers);
        const missing = seen.filter((number) => !stored.has(number));
        const duplicated = [...byConversation.entries()].filter(([, numbers]) => numbers.length > 1);
        const unfinished = outcomes.filter((outcome) => !outcome.done);
        const lostPlace = outcomes.filter((outcome) => outcome.lostPlace.length > 0);
        const smsCounts = tickets.map((ticket) => ({ ticket, sms: smsFor(ticket.ticketNumber) }));
        const smsDuplicates = smsCounts.filter((entry) => entry.sms.length > 1);
        const smsMissing = smsCounts.filter((entry) => entry.sms.length === 0);
        const orphanedSmsWaitMs = smsCounts
          .filter((entry) => Date.parse(entry.ticket.createdAt) < killedAt && entry.sms.length > 0)
          .map((entry) => entry.sms[0].receivedAt.getTime() - restartedAt)
          .filter((wait) => wait > 0);
        const result: KillRound = {
          round,
          killAtMs: Math.round(killAtMs),
          ticketsBeforeKill,
          confirmationsAtKill: ticketsBeforeKill,
          tickets: tickets.length,
          duplicates: duplicated.reduce((sum, [, numbers]) => sum + numbers.length - 1, 0),
          missing: missing.length,
          lostPlace: lostPlace.length,
          ticketSmsDuplicates: smsDuplicates.length,
          ticketSmsMissing: smsMissing.length,
          orphanedSmsWaitMs,
          restartMs: Math.round(restartMs),
          resent: outcomes.reduce((sum, outcome) => sum + outcome.resent, 0),
        };
        results.push(result);
        process.stdout.write(
          `      seed ${SEED}, kill at ${result.killAtMs} ms (${ticketsBeforeKill} tickets written), restart ${result.restartMs} ms, all done in ${Math.round(elapsed)} ms; ${tickets.length} tickets, ${result.resent} messages resent; orphaned ticket SMS waited ${orphanedSmsWaitMs.map((ms) => Math.round(ms)).join(', ') || 'none'} ms\n`,
        );

        for (const outcome of unfinished) {
          process.stdout.write(
            `      unfinished ${outcome.kind} #${outcome.index}:\n        ${outcome.transcript.join('\n        ')}\n`,
          );
          // Every SMS that phone received, in order (the customer reads replies, not ticket SMS).
          const texts = twilio
            .messagesTo(outcome.phone)
            .map((message) => `${message.receivedAt.toISOString()} ${message.body.slice(0, 100)}`);
          process.stdout.write(`        SMS to that phone:\n          ${texts.join('\n          ')}\n`);
        }
        if (unfinished.length > 0)
          process.stdout.write(`      app output: ${app.stderr.join('').slice(-3_000)}\n`);
        for (const [, numbers] of duplicated) {
          const outcome = outcomes.find((candidate) =>
            candidate.ticketNumbers.some((number) => numbers.includes(number)),
          );
          process.stdout.write(
            `      two tickets for ${outcome?.kind} #${outcome?.index}: ${numbers
              .map((number) => {
                const t = tickets.find((ticket) => ticket.ticketNumber === number);
                return `${number} at ${t?.createdAt}`;
              })
              .join(
                ', ',
              )}; customer saw ${outcome?.ticketNumbers.join(', ')}, killed at ${new Date(killedAt).toISOString()}\n        ${outcome?.transcript.join('\n        ')}\n`,
          );
        }
        assert.deepEqual(app.unexpectedExits, [], 'the app never crashed by itself');
        assert.deepEqual(
          unfinished.map((outcome) => outcome.index),
          [],
          'every customer got a ticket number',
        );
        assert.deepEqual(missing, [], 'every ticket number a customer saw exists');
        assert.deepEqual(duplicated, [], 'no conversation has two tickets');
        assert.equal(tickets.length, CONVERSATIONS, 'one ticket per conversation');
        assert.deepEqual(
          lostPlace.map((outcome) => ({ index: outcome.index, said: outcome.lostPlace })),
          [],
          'every conversation continued from its last step',
        );
        assert.deepEqual(
          smsMissing.map((entry) => entry.ticket.ticketNumber),
          [],
          'every ticket SMS went out',
        );
        assert.deepEqual(
          smsDuplicates.map((entry) => [entry.ticket.ticketNumber, entry.sms.length]),
          [],
          'no ticket SMS went out twice',
        );
      } finally {
        await app.stop();
        await twilio.close();
        await rm(dataDir, { recursive: true, force: true });
      }
    });
  }
});
