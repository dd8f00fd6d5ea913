/**
 * bench:tickets' concurrent load, as its own process (forked by bench/tickets.ts with tsx): other
 * customers' tickets going through their whole lifecycle on the same store, through the real
 * TicketService over a driver connection of its own, while the parent measures lookups.
 * Argument: JSON TicketsLoadData. Runs until the parent sends 'stop' (or maxSeconds pass), answers
 * one TicketsLoadResult over IPC, then exits.
 */
import mongoose from 'mongoose';
import pino from 'pino';
import { ProductCatalogue } from '../src/services/knowledge/productCatalogue';
import { TicketService } from '../src/services/tickets/ticketService';
import { registration, STEPS } from './ticketsWorkload';

export interface TicketsLoadData {
  uri: string;
  /** A safety bound: the load stops by itself after this long. */
  maxSeconds: number;
  concurrency: number;
  /** First customer index, apart from the parent's. */
  firstIndex: number;
}

export interface TicketsLoadResult {
  lifecycles: number;
  writes: number;
  seconds: number;
}

async function main(): Promise<void> {
  const send = process.send?.bind(process);
  if (!send) throw new Error('ticketsLoad runs as a forked child process');
  const data = JSON.parse(process.argv[2] ?? '{}') as TicketsLoadData;
  const connection = mongoose.createConnection(data.uri, {
    dbName: 'carlinkit',
    maxPoolSize: data.concurrency,
  });
  await connection.asPromise();
  const logger = pino({ level: 'silent' });
  const service = new TicketService({
    connection,
    catalogue: ProductCatalogue.load(),
    logger,
    repairs: { holidays: [], turnaroundBusinessDays: 14 },
  });
  await service.init();
  send({ ready: true });
  const started = performance.now();
  let endAt = started + data.maxSeconds * 1000;
  process.on('message', (message: unknown) => {
    if (message === 'stop') endAt = 0;
  });
  let lifecycles = 0;
  let next = data.firstIndex;
  await Promise.all(
    Array.from({ length: data.concurrency }, async () => {
      while (performance.now() < endAt) {
        const index = next++;
        const ticket = await service.register(registration(index), {
          idempotencyKey: `bench-load-${index}`,
          actor: 'customer',
        });
        for (const step of STEPS) await service.act(ticket.ticketNumber, step, { actor: 'agent:bench' });
        lifecycles += 1;
      }
    }),
  );
  const result: TicketsLoadResult = {
    lifecycles,
    writes: lifecycles * (1 + STEPS.length),
    seconds: (performance.now() - started) / 1000,
  };
  await connection.close();
  send(result, () => process.exit(0));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
