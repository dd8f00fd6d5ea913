import { randomBytes } from 'node:crypto';
import type { Connection } from 'mongoose';
import { z } from 'zod';
import { parseInput } from '../tickets/parseInput';
import { AGENT_ROLES, agentModel, type AgentDoc, type AgentModel, type AgentRole } from './agentModel';
import {
  AccountDisabledError,
  AccountExistsError,
  AccountNotFoundError,
  InvalidCredentialsError,
  WeakPasswordError,
} from './errors';
import { PasswordHasher } from './passwordHasher';

/** What callers see of an account: never the hash. */
export interface AgentView {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly role: AgentRole;
  readonly disabled: boolean;
  readonly createdAt: Date;
  readonly lastSignInAt: Date | undefined;
}

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;
/** Said wherever a password is asked for (CLI, README), so the rule is written once. */
export const PASSWORD_RULE = `at least ${PASSWORD_MIN_LENGTH} characters (at most ${PASSWORD_MAX_LENGTH}), not one character repeated, not the email address`;

/** Trimmed and lower case: `Sam@Example.com ` and `sam@example.com` are one account. */
export const emailSchema = z
  .string({ error: 'email is required' })
  .trim()
  .toLowerCase()
  .max(254, 'email is at most 254 characters')
  .pipe(z.email({ error: 'email must be an email address such as sam@example.com' }));

const nameSchema = z
  .string({ error: 'name is required' })
  .trim()
  .min(1, 'name is required')
  .max(80, 'name is at most 80 characters')
  .regex(/^[^\p{Cc}<>]+$/u, 'name may not contain control characters or < >');

const newAgentSchema = z.object({
  email: emailSchema,
  name: nameSchema,
  role: z.enum(AGENT_ROLES, { error: `role must be one of ${AGENT_ROLES.join(', ')}` }),
});

export interface AgentAccountsDeps {
  connection: Connection;
  /** Ends an account's sessions when it is disabled. */
  sessions: { endAllFor(agentId: string): Promise<number> };
  hasher?: PasswordHasher;
  clock?: { now(): Date };
}

/** Agent accounts: add, disable, list, and checking an email and password at sign-in. */
export class AgentAccounts {
  private readonly model: AgentModel;
  private readonly hasher: PasswordHasher;
  private readonly now: () => Date;
  private dummyHash: Promise<string> | undefined;

  constructor(private readonly deps: AgentAccountsDeps) {
    this.model = agentModel(deps.connection);
    this.hasher = deps.hasher ?? new PasswordHasher();
    const { clock } = deps;
    this.now = clock ? () => clock.now() : () => new Date();
  }

  async init(): Promise<void> {
    await this.model.createIndexes();
  }

  /** Creates an account; throws ValidationError (bad input, weak password) or AccountExistsError. */
  async add(input: { email: unknown; name: unknown; role: unknown; password: string }): Promise<AgentView> {
    const fields = parseInput(newAgentSchema, input, 'agent');
    checkPasswordStrength(input.password, fields.email);
    if (await this.model.exists({ email: fields.email })) throw new AccountExistsError(fields.email);
    try {
      const created = await this.model.create({
        ...fields,
        disabled: false,
        passwordHash: await this.hasher.hash(input.password),
        createdAt: this.now(),
      });
      return toView(created.toObject());
    } catch (error) {
      // Two adds racing: the unique index decides.
      if ((error as { code?: unknown }).code === 11000) throw new AccountExistsError(fields.email);
      throw error;
    }
  }

  /** Disables the account and ends its sessions at once. Disabling a disabled account is a no-op. */
  async disable(email: unknown): Promise<AgentView> {
    const address = parseInput(emailSchema, email, 'email');
    await this.model.updateOne(
      { email: address, disabled: false },
      { $set: { disabled: true, disabledAt: this.now() } },
    );
    const updated = await this.model.findOne({ email: address }).lean();
    if (!updated) throw new AccountNotFoundError(address);
    await this.deps.sessions.endAllFor(String(updated._id));
    return toView(updated);
  }

  async list(): Promise<AgentView[]> {
    const docs = await this.model.find({}).sort({ email: 1 }).lean();
    return docs.map(toView);
  }

  async get(id: string): Promise<AgentView | undefined> {
    const doc = await this.model.findById(id).lean();
    return doc ? toView(doc) : undefined;
  }

  /**
   * The account whose email and password these are. An unknown email costs the same scrypt as a
   * wrong password and gets the same InvalidCredentialsError; a disabled account is refused only
   * once its password was right. Re-hashes with today's parameters when the stored ones are older.
   */
  async verifyCredentials(email: string, password: string): Promise<AgentView> {
    const parsed = emailSchema.safeParse(email);
    const doc = parsed.success ? await this.model.findOne({ email: parsed.data }).lean() : null;
    if (!doc) {
      await this.hasher.verify(password, await this.dummy());
      throw new InvalidCredentialsError();
    }
    if (!(await this.hasher.verify(password, doc.passwordHash))) throw new InvalidCredentialsError();
    if (doc.disabled) throw new AccountDisabledError();
    const update: Partial<AgentDoc> = { lastSignInAt: this.now() };
    if (this.hasher.needsRehash(doc.passwordHash)) update.passwordHash = await this.hasher.hash(password);
    const updated = await this.model
      .findOneAndUpdate({ _id: doc._id, disabled: false }, { $set: update }, { returnDocument: 'after' })
      .lean();
    if (!updated) throw new AccountDisabledError();
    return toView(updated);
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= this.hasher.hash(randomBytes(16).toString('hex'));
    return this.dummyHash;
  }
}

/** Throws WeakPasswordError naming the rule the password breaks. */
export function checkPasswordStrength(password: string, email: string): void {
  const length = [...password].length;
  const weak =
    length < PASSWORD_MIN_LENGTH ||
    length > PASSWORD_MAX_LENGTH ||
    new Set(password).size === 1 ||
    password.trim().toLowerCase() === email.toLowerCase();
  if (weak) throw new WeakPasswordError(`The password must be ${PASSWORD_RULE}`);
}

function toView(doc: AgentDoc & { _id: unknown }): AgentView {
  return {
    id: String(doc._id),
    email: doc.email,
    name: doc.name,
    role: doc.role,
    disabled: doc.disabled,
    createdAt: doc.createdAt,
    lastSignInAt: doc.lastSignInAt,
  };
}
