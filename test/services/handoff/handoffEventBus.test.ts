import { strict as assert } from 'node:assert';
import { HandoffEventBus } from '../../../src/services/handoff/handoffEventBus';
import { handoffCollections } from '../../../src/services/handoff/handoffModels';
import type { HandoffEvent } from '../../../src/services/handoff/types';
import { FakeClock } from '../../fixtures/tickets';
import { memoryLogger } from '../../support/silentLogger';
import { startTestStore, type TestStore } from '../../support/testStore';

describe('HandoffEventBus (store)', () => {
  let store: TestStore;

  before(async () => {
    store = await startTestStore();
  });
  after(async () => {
    await store.close();
  });

  const bus = async (): Promise<HandoffEventBus> => {
    const made = new HandoffEventBus({
      collections: handoffCollections(store.connection),
      clock: new FakeClock('2026-12-03T08:00:00Z'),
      logger: memoryLogger().logger,
      pollMs: 50,
    });
    await made.init();
    return made;
  };

  it('when another instance published many events since the last look, one poll hands every one once, in order', async () => {
    const publisher = await bus();
    const reader = await bus();
    const heard: number[] = [];
    reader.subscribe((event) => heard.push(event.seq));
    const published: HandoffEvent[] = [];
    for (let index = 0; index < 600; index += 1)
      published.push(
        await publisher.publish({ type: 'cancelled', conversationId: `c${index}`, handoffId: 'h' }),
      );
    await reader.poll();
    await reader.poll();
    assert.deepEqual(
      heard,
      published.map((event) => event.seq),
    );
  });

  it('when a listener asks for other instances’ events only, it does not hear its own instance’s', async () => {
    const one = await bus();
    const other = await bus();
    const own: string[] = [];
    const all: string[] = [];
    one.subscribe((event) => own.push(event.conversationId), { ownEvents: false });
    one.subscribe((event) => all.push(event.conversationId));
    await one.publish({ type: 'cancelled', conversationId: 'mine', handoffId: 'h' });
    await other.publish({ type: 'cancelled', conversationId: 'theirs', handoffId: 'h' });
    await one.poll();
    assert.deepEqual(own, ['theirs']);
    assert.deepEqual(all, ['mine', 'theirs']);
  });
});
