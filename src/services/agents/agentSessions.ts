import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Connection } from 'mongoose';
import { ensureTtlIndex } from '../store/ttlIndex';
import { agentModel, type AgentModel } from './agentModel';
import { type AgentView } from './agentAccounts';
import { CsrfError, NoSessionError } from './errors';
import { agentSessionModel, type AgentSessionModel } from './sessionModel';

export interface AgentSessionSettings {
  /** Ended after this long without a request. */
  readonly idleMinutes: number;
  /** Ended this long after sign-in, however active. */
  readonly maxHours: number;
}

export interface AgentSessionsDeps {
  connection: Connection;
  settings: AgentSessionSettings;
  clock?: { now(): Date };
}

/** A signed-in agent, as the HTTP layer sees it. */
export interface AuthenticatedAgent {
  readonly agent: AgentView;
  readonly csrfToken: string;
  readonly expiresAt: Date;
}

export interface NewSession extends AuthenticatedAgent {
  /** The cookie value: 256 random bits. Only its SHA-256 is stored. */
  readonly token: string;
}

const TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/;
/** The idle expiry is pushed forward at most once a minute: one write per minute, not per request. */
const TOUCH_EVERY_MS = 60_000;

/** Agents' sign-in sessions in the store, so every instance on the database knows them. */
export class AgentSessions {
  private readonly model: AgentSessionModel;
  private readonly agents: AgentModel;
  private readonly now: () => Date;

  constructor(private readonly deps: AgentSessionsDeps) {
    this.model = agentSessionModel(deps.connection);
    this.agents = agentModel(deps.connection);
    const { clock } = deps;
    this.now = clock ? () => clock.now() : () => new Date();
  }

  async init(): Promise<void> {
    await this.model.createIndexes();
    // The store removes expired sessions itself; authenticate() never trusts one that is still there.
    await ensureTtlIndex(this.model.collection, 'expiresAt', 0);
  }

  async create(agent: AgentView): Promise<NewSession> {
    const token = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(32).toString('base64url');
    const now = this.now();
    const absoluteExpiresAt = new Date(now.getTime() + this.deps.settings.maxHours * 3_600_000);
    const expiresAt = this.idleExpiry(now, absoluteExpiresAt);
    await this.model.create({
      tokenHash: hashToken(token),
      agentId: agent.id,
      csrfToken,
      createdAt: now,
      lastSeenAt: now,
      absoluteExpiresAt,
      expiresAt,
    });
    return { token, csrfToken, expiresAt, agent };
  }

  /** The session's agent; NoSessionError when the token is missing, unknown, expired or its account disabled. */
  async authenticate(token: string | undefined): Promise<AuthenticatedAgent> {
    if (token === undefined || token === '') throw new NoSessionError();
    if (!TOKEN_FORMAT.test(token))
      throw new NoSessionError('This agent session is not valid: sign in again', 'unknown');
    const tokenHash = hashToken(token);
    const session = await this.model.findOne({ tokenHash }).lean();
    if (!session) throw new NoSessionError('This agent session has ended: sign in again', 'unknown');
    const now = this.now();
    if (session.expiresAt.getTime() <= now.getTime()) {
      await this.model.deleteOne({ tokenHash });
      throw new NoSessionError('This agent session has expired: sign in again', 'expired');
    }
    const account = await this.agents.findById(session.agentId).lean();
    if (!account || account.disabled) {
      await this.model.deleteMany({ agentId: session.agentId });
      throw new NoSessionError('This agent account is disabled', 'account_disabled');
    }
    let { expiresAt } = session;
    if (now.getTime() - session.lastSeenAt.getTime() >= TOUCH_EVERY_MS) {
      expiresAt = this.idleExpiry(now, session.absoluteExpiresAt);
      await this.model.updateOne({ tokenHash }, { $set: { lastSeenAt: now, expiresAt } });
    }
    return {
      agent: {
        id: String(account._id),
        email: account.email,
        name: account.name,
        role: account.role,
        disabled: account.disabled,
        createdAt: account.createdAt,
        lastSignInAt: account.lastSignInAt,
      },
      csrfToken: session.csrfToken,
      expiresAt,
    };
  }

  /** Throws CsrfError unless `header` is the session's CSRF token (compared in constant time). */
  checkCsrf(session: AuthenticatedAgent, header: string | undefined): void {
    if (header === undefined || !timingSafeEqual(digest(header), digest(session.csrfToken)))
      throw new CsrfError();
  }

  /** Sign-out: the session is gone for every instance. Unknown tokens are ignored. */
  async end(token: string | undefined): Promise<void> {
    if (token === undefined || !TOKEN_FORMAT.test(token)) return;
    await this.model.deleteOne({ tokenHash: hashToken(token) });
  }

  async endAllFor(agentId: string): Promise<number> {
    const { deletedCount } = await this.model.deleteMany({ agentId });
    return deletedCount;
  }

  private idleExpiry(now: Date, absolute: Date): Date {
    return new Date(Math.min(now.getTime() + this.deps.settings.idleMinutes * 60_000, absolute.getTime()));
  }
}

function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function digest(value: string): Buffer {
  // Equal lengths for timingSafeEqual, whatever the caller sent.
  return createHash('sha256').update(value, 'utf8').digest();
}
