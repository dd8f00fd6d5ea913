import assert from 'node:assert/strict';
import {
  BotState,
  ConversationState,
  MemoryStorage,
  UserState,
  TestAdapter,
  TurnContext,
  type Activity,
  type Storage,
  type StoreItems,
} from 'botbuilder';
import { ETagCheckedStorage } from '../../src/bot/eTagCheckedStorage';
import { JsonConversationState, JsonUserState } from '../../src/bot/jsonBotState';
import { ETagConflictError, MongoStorage } from '../../src/services/store/mongoStorage';
import { startTestStore, type TestStore } from '../support/testStore';

/** MemoryStorage that records what each write carried. */
class RecordingStorage implements Storage {
  readonly writes: StoreItems[] = [];
  readonly deletes: string[][] = [];
  private readonly inner = new MemoryStorage();

  read(keys: string[]): Promise<StoreItems> {
    return this.inner.read(keys);
  }

  write(changes: StoreItems): Promise<void> {
    this.writes.push(JSON.parse(JSON.stringify(changes)) as StoreItems);
    return this.inner.write(changes);
  }

  delete(keys: string[]): Promise<void> {
    this.deletes.push(keys);
    return this.inner.delete(keys);
  }
}

function turn(conversationId = 'conv-1', userId = 'user-1'): TurnContext {
  return new TurnContext(new TestAdapter(), {
    type: 'message',
    channelId: 'test',
    conversation: { id: conversationId },
    from: { id: userId },
    recipient: { id: 'bot' },
    text: 'hi',
  } as Activity);
}

describe('JsonConversationState / JsonUserState (BotState with JSON change detection)', () => {
  it('when a turn changes a property, the state is written once with eTag "*"; when the next turn changes nothing, nothing is written', async () => {
    const storage = new RecordingStorage();
    const state = new JsonConversationState(storage);
    const count = state.createProperty<number>('count');

    const first = turn();
    await count.set(first, 1);
    await state.saveChanges(first);
    await state.saveChanges(first); // saved already: nothing new
    const second = turn();
    assert.equal(await count.get(second, 0), 1);
    await state.saveChanges(second);

    assert.deepEqual(storage.writes, [{ 'test/conversations/conv-1/': { count: 1, eTag: '*' } }]);
  });

  it('when a nested value changes in place, the change is seen and written', async () => {
    const storage = new RecordingStorage();
    const state = new JsonUserState(storage);
    const memory = state.createProperty<{ tickets: string[] }>('memory');
    const first = turn();
    await memory.set(first, { tickets: [] });
    await state.saveChanges(first);

    const second = turn();
    (await memory.get(second))!.tickets.push('CK-23456789');
    await state.saveChanges(second);

    assert.equal(storage.writes.length, 2);
    assert.deepEqual(storage.writes[1], {
      'test/users/user-1/': { memory: { tickets: ['CK-23456789'] }, eTag: '*' },
    });
  });

  it('when saving is forced, the state is written even unchanged; cleared, it is written empty; deleted, it is gone', async () => {
    const storage = new RecordingStorage();
    const state = new JsonConversationState(storage);
    const count = state.createProperty<number>('count');
    const first = turn();
    await count.set(first, 1);
    await state.saveChanges(first);

    const second = turn();
    await state.load(second);
    await state.saveChanges(second, true);
    await state.clear(second);
    assert.equal(state.get(second)?.count, undefined);
    await state.saveChanges(second);
    await state.delete(second);

    assert.equal(storage.writes.length, 3);
    assert.deepEqual(storage.writes[1], { 'test/conversations/conv-1/': { count: 1, eTag: '*' } });
    assert.deepEqual(storage.writes[2], { 'test/conversations/conv-1/': { eTag: '*' } });
    assert.deepEqual(storage.deletes, [['test/conversations/conv-1/']]);
    assert.deepEqual(await storage.read(['test/conversations/conv-1/']), {});
    assert.equal(state.get(second), undefined);
  });

  /** The same turns, on any BotState: what the store sees is what the comparison is about. */
  async function runTurns(state: BotState, storage: RecordingStorage): Promise<unknown> {
    const memory = state.createProperty<{ steps: string[]; count?: number }>('memory');
    const first = turn();
    await memory.set(first, { steps: ['check the cable'] });
    await state.saveChanges(first);
    await state.saveChanges(first); // saved already: nothing new
    const unchanged = turn();
    await memory.get(unchanged);
    await state.saveChanges(unchanged);
    const inPlace = turn();
    (await memory.get(inPlace))!.steps.push('update the firmware');
    await state.saveChanges(inPlace);
    const forced = turn();
    await state.load(forced);
    await state.saveChanges(forced, true);
    const cleared = turn();
    await state.load(cleared);
    await state.clear(cleared);
    await state.saveChanges(cleared);
    const reloaded = turn();
    await memory.set(reloaded, { steps: [], count: 1 });
    await state.saveChanges(reloaded);
    const deleted = turn();
    await state.load(deleted);
    await state.delete(deleted);
    return {
      writes: storage.writes,
      deletes: storage.deletes,
      after: await storage.read(['test/conversations/conv-1/', 'test/users/user-1/']),
    };
  }

  it("when the same turns run on botbuilder's own ConversationState and UserState, the store sees exactly the same writes and deletes", async () => {
    for (const [sdk, ours] of [
      [
        (storage: Storage) => new ConversationState(storage),
        (storage: Storage) => new JsonConversationState(storage),
      ],
      [(storage: Storage) => new UserState(storage), (storage: Storage) => new JsonUserState(storage)],
    ] as const) {
      const sdkStorage = new RecordingStorage();
      const ourStorage = new RecordingStorage();
      const expected = await runTurns(sdk(sdkStorage), sdkStorage);
      assert.equal(
        sdkStorage.writes.length,
        5,
        'positive control: the SDK wrote on each change, force and clear',
      );
      assert.deepEqual(await runTurns(ours(ourStorage), ourStorage), expected);
    }
  });

  describe('on MongoStorage (the store keeps the state as JSON text)', () => {
    let store: TestStore;
    beforeEach(async () => {
      store = await startTestStore();
    });
    afterEach(async () => store.close());

    it('when a turn reads the state and changes nothing, nothing is written; when it changes something, it is stored', async () => {
      const storage = new MongoStorage(store.connection);
      const state = new JsonConversationState(storage);
      const steps = state.createProperty<string[]>('steps');
      const first = turn('conv-2');
      await steps.set(first, ['restart the phone', 'update the firmware']);
      await state.saveChanges(first);
      const stored = async (): Promise<unknown> =>
        (
          await store.connection
            .collection('botstate')
            .findOne({ _id: 'test/conversations/conv-2/' as never })
        )?.eTag;
      const eTagAfterFirst = await stored();

      const second = turn('conv-2');
      assert.deepEqual(await steps.get(second), ['restart the phone', 'update the firmware']);
      await state.saveChanges(second);
      assert.equal(await stored(), eTagAfterFirst, 'an unchanged state is not written again');

      const third = turn('conv-2');
      (await steps.get(third))!.push('try another cable');
      await state.saveChanges(third);
      assert.notEqual(await stored(), eTagAfterFirst);
      assert.deepEqual(await steps.get(turn('conv-2')), [
        'restart the phone',
        'update the firmware',
        'try another cable',
      ]);
    });

    it('when saved through ETagCheckedStorage, the store keeps the compared JSON text; a turn that read an older version conflicts', async () => {
      const state = new JsonConversationState(new ETagCheckedStorage(new MongoStorage(store.connection)));
      const steps = state.createProperty<string[]>('steps');
      const first = turn('conv-3');
      await steps.set(first, ['check the cable']);
      await state.saveChanges(first);
      const storedText = async (): Promise<unknown> =>
        (
          await store.connection
            .collection('botstate')
            .findOne({ _id: 'test/conversations/conv-3/' as never })
        )?.state;
      assert.equal(await storedText(), '{"steps":["check the cable"]}');

      const slow = turn('conv-3');
      (await steps.get(slow))!.push('slow answer');
      const fast = turn('conv-3');
      (await steps.get(fast))!.push('fast answer');
      await state.saveChanges(fast);
      await assert.rejects(state.saveChanges(slow), ETagConflictError);
      assert.equal(await storedText(), '{"steps":["check the cable","fast answer"]}');
    });
  });
});
