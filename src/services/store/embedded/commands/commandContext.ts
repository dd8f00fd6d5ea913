import type { Document } from 'bson';
import type { ConnectionAuth } from '../auth/connectionAuth';
import type { CursorRegistry } from '../cursorRegistry';
import type { RawReply } from '../cursorReply';
import type { QueryEngine } from '../queryEngine';
import type { StorageEngine } from '../storageEngine';
import type { UpdateApplier } from '../updateApplier';

/** What every command handler gets: the database it runs in and the server's parts. */
export interface CommandContext {
  /** `$db` of the command (OP_MSG) or the namespace's database (OP_QUERY). */
  readonly db: string;
  /** Size of the request frame in bytes (documents in it can't be bigger). */
  readonly requestBytes: number;
  /** The request's OP_MSG document sequences as raw BSON, by identifier (see IncomingCommand). */
  readonly sequenceBytes?: ReadonlyMap<string, readonly Uint8Array[]> | undefined;
  readonly engine: StorageEngine;
  readonly queries: QueryEngine;
  readonly updates: UpdateApplier;
  readonly cursors: CursorRegistry;
  readonly connection: { readonly id: number; readonly remote: string; readonly auth: ConnectionAuth };
  readonly server: {
    readonly host: string;
    readonly port: number;
    readonly startedAt: Date;
    readonly dataDir: string | null;
  };
  /** Aborted when the server shuts down, so waiting getMores return at once. */
  readonly shutdown: AbortSignal;
}

export type CommandReply = Document | RawReply;

export type CommandHandler = (
  body: Document,
  context: CommandContext,
) => CommandReply | Promise<CommandReply>;
