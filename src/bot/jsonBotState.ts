import {
  ConversationState,
  UserState,
  type Storage,
  type StorageKeyFactory,
  type StoreItem,
  type TurnContext,
} from 'botbuilder';
import { hasStoredText } from '../services/store/mongoStorage';

/** The state read or written this turn, with its JSON text then (without the eTag). */
interface Snapshot {
  state: StoreItem;
  json: string;
}

/**
 * BotState's change detection, made cheaper. BotState hashes the state (a replacer-based stringify
 * and SHA-256) when it loads it, again to decide whether to save, and again after saving. This
 * keeps the JSON text instead and compares it: one JSON.stringify per load and per save, the same
 * text the store keeps, and the same answer (a state is written when its JSON changed, with eTag
 * '*' as BotState does, which ETagCheckedStorage turns back into the eTag it was read with).
 */
class JsonSnapshots {
  private readonly key = Symbol('jsonBotState');

  constructor(
    private readonly storage: Storage,
    private readonly storageKey: StorageKeyFactory,
  ) {}

  async load(context: TurnContext, force: boolean): Promise<StoreItem> {
    const cached = this.cached(context);
    if (cached && !force) return cached.state;
    const key = await this.storageKey(context);
    const items = await this.storage.read([key]);
    const state = (items[key] as StoreItem | undefined) ?? {};
    // The store's own text when it has it: the same JSON.stringify of the same object.
    const json = (hasStoredText(this.storage) ? this.storage.storedText(state) : undefined) ?? jsonOf(state);
    context.turnState.set(this.key, { state, json } satisfies Snapshot);
    return state;
  }

  async saveChanges(context: TurnContext, force: boolean): Promise<void> {
    const cached = this.cached(context) ?? (force ? { state: {}, json: '' } : undefined);
    if (!cached) return;
    const json = jsonOf(cached.state);
    if (!force && json === cached.json) return;
    const key = await this.storageKey(context);
    cached.state.eTag = '*';
    await this.storage.write({ [key]: cached.state });
    cached.json = json;
    context.turnState.set(this.key, cached);
  }

  clear(context: TurnContext): void {
    // An empty text never matches: the cleared state is written on the next save.
    context.turnState.set(this.key, { state: {}, json: '' } satisfies Snapshot);
  }

  async delete(context: TurnContext): Promise<void> {
    context.turnState.delete(this.key);
    const key = await this.storageKey(context);
    await this.storage.delete([key]);
  }

  get(context: TurnContext): StoreItem | undefined {
    return this.cached(context)?.state;
  }

  private cached(context: TurnContext): Snapshot | undefined {
    return context.turnState.get<Snapshot | undefined>(this.key);
  }
}

function jsonOf(state: StoreItem): string {
  const { eTag: _eTag, ...rest } = state;
  return JSON.stringify(rest);
}

/** ConversationState with JSON change detection (see JsonSnapshots). */
export class JsonConversationState extends ConversationState {
  private readonly snapshots: JsonSnapshots;

  constructor(storage: Storage, namespace?: string) {
    super(storage, namespace);
    this.snapshots = new JsonSnapshots(this.storage, this.storageKey);
  }

  override load(context: TurnContext, force = false): Promise<StoreItem> {
    return this.snapshots.load(context, force);
  }

  override saveChanges(context: TurnContext, force = false): Promise<void> {
    return this.snapshots.saveChanges(context, force);
  }

  override clear(context: TurnContext): Promise<void> {
    this.snapshots.clear(context);
    return Promise.resolve();
  }

  override delete(context: TurnContext): Promise<void> {
    return this.snapshots.delete(context);
  }

  override get(context: TurnContext): StoreItem | undefined {
    return this.snapshots.get(context);
  }
}

/** UserState with JSON change detection (see JsonSnapshots). */
export class JsonUserState extends UserState {
  private readonly snapshots: JsonSnapshots;

  constructor(storage: Storage, namespace?: string) {
    super(storage, namespace);
    this.snapshots = new JsonSnapshots(this.storage, this.storageKey);
  }

  override load(context: TurnContext, force = false): Promise<StoreItem> {
    return this.snapshots.load(context, force);
  }

  override saveChanges(context: TurnContext, force = false): Promise<void> {
    return this.snapshots.saveChanges(context, force);
  }

  override clear(context: TurnContext): Promise<void> {
    this.snapshots.clear(context);
    return Promise.resolve();
  }

  override delete(context: TurnContext): Promise<void> {
    return this.snapshots.delete(context);
  }

  override get(context: TurnContext): StoreItem | undefined {
    return this.snapshots.get(context);
  }
}
