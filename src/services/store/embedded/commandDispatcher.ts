import type { Document } from 'bson';
import type { Logger } from '../../logging/logger';
import * as admin from './commands/adminCommands';
import * as auth from './commands/authCommands';
import * as catalog from './commands/catalogCommands';
import type { CommandContext, CommandHandler, CommandReply } from './commands/commandContext';
import * as queries from './commands/queryCommands';
import * as writes from './commands/writeCommands';
import { MongoCommandError } from './mongoError';

/** Command names as the server knows them (case-sensitive, with its historical aliases). */
const HANDLERS: ReadonlyMap<string, CommandHandler> = new Map<string, CommandHandler>([
  ['hello', admin.hello],
  ['isMaster', admin.isMaster],
  ['ismaster', admin.isMaster],
  ['ping', admin.ping],
  ['saslStart', auth.saslStart],
  ['saslContinue', auth.saslContinue],
  ['buildInfo', admin.buildInfo],
  ['buildinfo', admin.buildInfo],
  ['endSessions', admin.acknowledge],
  ['killSessions', admin.acknowledge],
  ['killAllSessions', admin.acknowledge],
  ['refreshSessions', admin.acknowledge],
  ['logout', admin.acknowledge],
  ['listDatabases', admin.listDatabases],
  ['dbStats', admin.dbStats],
  ['collStats', admin.collStats],
  ['serverStatus', admin.serverStatus],
  ['hostInfo', admin.hostInfo],
  ['connectionStatus', admin.connectionStatus],
  ['whatsmyuri', admin.whatsmyuri],
  ['getCmdLineOpts', admin.getCmdLineOpts],
  ['getParameter', admin.getParameter],
  ['getLog', admin.getLog],
  ['insert', writes.insert],
  ['update', writes.update],
  ['delete', writes.deleteCommand],
  ['findAndModify', writes.findAndModify],
  ['findandmodify', writes.findAndModify],
  ['find', queries.find],
  ['getMore', queries.getMore],
  ['killCursors', queries.killCursors],
  ['count', queries.count],
  ['distinct', queries.distinct],
  ['aggregate', queries.aggregate],
  ['create', catalog.create],
  ['drop', catalog.drop],
  ['collMod', catalog.collMod],
  ['explain', queries.explain],
  ['dropDatabase', catalog.dropDatabase],
  ['renameCollection', catalog.renameCollection],
  ['listCollections', catalog.listCollections],
  ['createIndexes', catalog.createIndexes],
  ['listIndexes', catalog.listIndexes],
  ['dropIndexes', catalog.dropIndexes],
  ['deleteIndexes', catalog.dropIndexes],
]);

const TRANSACTION_COMMANDS = new Set(['commitTransaction', 'abortTransaction']);

/**
 * Routes a command document to its handler and turns every failure into MongoDB's error reply, so a
 * bad command can never take the server down.
 */
export class CommandDispatcher {
  constructor(private readonly logger: Logger) {}

  async run(body: Document, context: CommandContext): Promise<CommandReply> {
    const name = Object.keys(body)[0] ?? '';
    try {
      // Before anything is parsed, as MongoDB does: a connection that must log in first learns nothing else.
      context.connection.auth.check(name);
      // A standalone server refuses transactions the way MongoDB's does: the driver shows this error.
      if (
        body.txnNumber !== undefined ||
        body.startTransaction !== undefined ||
        body.autocommit !== undefined ||
        TRANSACTION_COMMANDS.has(name)
      ) {
        throw new MongoCommandError(
          'IllegalOperation',
          'Transaction numbers are only allowed on a replica set member or mongos',
        );
      }
      const handler = HANDLERS.get(name);
      if (!handler) throw new MongoCommandError('CommandNotFound', `no such command: '${name}'`);
      return await handler(body, context);
    } catch (error) {
      if (error instanceof MongoCommandError) return error.toReply();
      this.logger.error({ err: error, command: name }, 'embedded store command failed unexpectedly');
      const message = error instanceof Error ? error.message : String(error);
      return new MongoCommandError('InternalError', `internal error running ${name}: ${message}`).toReply();
    }
  }
}
