import type { Logger } from '../../../logging/logger';
import { MongoCommandError } from '../mongoError';
import type { ScramCredential } from './scramCredential';
import { ScramConversation, ScramError } from './scramConversation';

export const SCRAM_SHA_256 = 'SCRAM-SHA-256';

/**
 * The commands MongoDB answers before a client has authenticated (those with `requiresAuth()`
 * false, SERVER-38390) that this store implements: the handshake, the SASL exchange, and a few
 * that reveal nothing stored. Everything else gets code 13 Unauthorized until the login succeeds.
 */
const ALLOWED_BEFORE_AUTH: ReadonlySet<string> = new Set([
  'hello',
  'isMaster',
  'ismaster',
  'saslStart',
  'saslContinue',
  'ping',
  'buildInfo',
  'buildinfo',
  'connectionStatus',
  'whatsmyuri',
]);

/**
 * One connection's authentication: whether it must log in (TCP) or not (the owner-only Unix
 * socket), the SCRAM exchange in progress, and the user it is logged in as.
 */
export class ConnectionAuth {
  private conversation: ScramConversation | null = null;
  private conversationId = 0;
  private user: string | null = null;

  constructor(
    /** True on TCP: every command but the handshake needs a successful login first. */
    readonly required: boolean,
    private readonly credentials: readonly ScramCredential[],
    private readonly logger: Logger,
    private readonly remote: string,
  ) {}

  /** Throws MongoDB's Unauthorized (13) when this connection may not run `command` yet. */
  check(command: string): void {
    if (!this.required || this.user !== null || ALLOWED_BEFORE_AUTH.has(command)) return;
    throw new MongoCommandError('Unauthorized', `Command ${command} requires authentication`);
  }

  /** `hello`'s `saslSupportedMechs`: what a login may use (the same for any user asked about, so it reveals none). */
  get mechanisms(): string[] {
    return this.credentials.length > 0 ? [SCRAM_SHA_256] : [];
  }

  /** `{ user, db }` of the logged-in user, for connectionStatus. */
  get authenticatedUsers(): Array<{ user: string; db: string }> {
    const credential = this.credentials.find((candidate) => candidate.username === this.user);
    return credential ? [{ user: credential.username, db: credential.source }] : [];
  }

  /** saslStart: the client-first message in, the server-first message out. */
  start(db: string, mechanism: string, payload: string): { conversationId: number; payload: string } {
    if (mechanism !== SCRAM_SHA_256) {
      throw new MongoCommandError(
        'MechanismUnavailable',
        `Received authentication for mechanism ${mechanism} which is not enabled`,
      );
    }
    const conversation = new ScramConversation((username) =>
      this.credentials.find((candidate) => candidate.username === username && candidate.source === db),
    );
    this.conversation = null;
    try {
      const reply = conversation.start(payload);
      this.conversation = conversation;
      this.conversationId += 1;
      return { conversationId: this.conversationId, payload: reply };
    } catch (error) {
      throw this.failed(error);
    }
  }

  /** saslContinue: the client-final message (the proof) in, the server signature out. */
  continue(conversationId: number, payload: string): { conversationId: number; payload: string } {
    const conversation = this.conversation;
    this.conversation = null;
    if (!conversation || conversationId !== this.conversationId)
      throw new MongoCommandError('ProtocolError', 'No SASL session state found');
    try {
      const reply = conversation.finish(payload);
      this.user = conversation.username ?? null;
      this.logger.debug({ remote: this.remote }, 'embedded store: client authenticated');
      return { conversationId, payload: reply };
    } catch (error) {
      throw this.failed(error);
    }
  }

  private failed(error: unknown): MongoCommandError {
    if (!(error instanceof ScramError)) throw error;
    // The reason stays in the log; the client learns nothing about which part was wrong.
    this.logger.warn({ remote: this.remote, reason: error.message }, 'embedded store: authentication failed');
    return new MongoCommandError('AuthenticationFailed', 'Authentication failed.');
  }
}
