import { Schema, type Connection, type Model } from 'mongoose';

export const AGENT_ROLES = ['agent', 'supervisor'] as const;
export type AgentRole = (typeof AGENT_ROLES)[number];

/** A support agent's account as stored. `email` is normalised (trimmed, lower case) and unique. */
export interface AgentDoc {
  email: string;
  name: string;
  role: AgentRole;
  disabled: boolean;
  /** `scrypt$N$r$p$salt$key` (see passwordHasher.ts); never leaves the service. */
  passwordHash: string;
  createdAt: Date;
  lastSignInAt?: Date;
  disabledAt?: Date;
}

export type AgentModel = Model<AgentDoc>;

const agentSchema = new Schema<AgentDoc>(
  {
    email: { type: String, required: true },
    name: { type: String, required: true },
    role: { type: String, required: true, enum: AGENT_ROLES },
    disabled: { type: Boolean, required: true, default: false },
    passwordHash: { type: String, required: true },
    createdAt: { type: Date, required: true },
    lastSignInAt: { type: Date },
    disabledAt: { type: Date },
  },
  { collection: 'agents', versionKey: false, strict: 'throw' },
);
agentSchema.index({ email: 1 }, { unique: true });

export function agentModel(connection: Connection): AgentModel {
  return (
    (connection.models.Agent as AgentModel | undefined) ?? connection.model<AgentDoc>('Agent', agentSchema)
  );
}
