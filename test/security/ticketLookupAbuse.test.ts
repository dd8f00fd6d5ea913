import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createApp, type App } from '../../src/app';
import { loadConfig } from '../../src/config';
import { generateTicketNumber } from '../../src/services/tickets/ticketNumber';
import { memoryLogger } from '../support/silentLogger';
import { WebChatCustomer } from '../support/webChatCustomer';

/** A host that is not loopback but reaches this machine: another client address for the control. */
function externalAddress(): string {
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv4' && !address.internal) return address.address;
    }
  }
  throw new Error('this test needs a non-loopback IPv4 interface');
}

const NO_MATCH = /couldn't find a repair with that ticket number and mobile number|still can't find a repair/;
const LIMITED = /too many status checks/i;

describe('Ticket lookups through web chat are limited per client address, not only per conversation', () => {
  let dataDir: string;
  let app: App;
  let port: number;

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'lookup-abuse-'));
    app = await createApp(
      loadConfig({
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        DATA_DIR: dataDir,
        TICKET_LOOKUP_MAX_FAILURES_PER_IP: '4',
      }),
      { logger: memoryLogger().logger },
    );
    port = (await app.listen(0, '0.0.0.0')).port;
  });

  after(async () => {
    await app.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** One miss: a status check for a random ticket number. */
  const miss = async (customer: WebChatCustomer): Promise<string> => {
    await customer.ask('Repair status');
    await customer.ask(generateTicketNumber());
    return customer.ask('+1 415 555 0100');
  };

  it('when one address keeps guessing from fresh conversations, it is refused after the address limit; another address is still answered', async () => {
    const local = `http://127.0.0.1:${port}`;
    // Three misses in one conversation (the dialog then gives up), one in a fresh one: 4 from this address.
    const first = await WebChatCustomer.open(local);
    await first.ask('Repair status');
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await first.ask(generateTicketNumber());
      assert.match(await first.ask('+1 415 555 0100'), NO_MATCH);
    }
    const second = await WebChatCustomer.open(local);
    assert.match(await miss(second), NO_MATCH);

    // A new conversation from the same address (its own per-conversation allowance untouched) is refused.
    const third = await WebChatCustomer.open(local);
    assert.match(await miss(third), LIMITED);

    // Positive control: the same request from another address is looked up as usual.
    const elsewhere = await WebChatCustomer.open(`http://${externalAddress()}:${port}`);
    const answer = await miss(elsewhere);
    assert.match(answer, NO_MATCH);
    assert.doesNotMatch(answer, LIMITED);
  });
});
