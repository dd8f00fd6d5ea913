import { Schema, type Connection, type Model, type Types } from 'mongoose';

/**
 * An agent's sign-in session. The id given to the browser is never stored: only its SHA-256, so a
 * copy of the database doesn't let anyone sign in. `expiresAt` is the sooner of the idle and the
 * absolute expiry; a TTL index removes the document some time after it.
 */
export interface AgentSessionDoc {
  tokenHash: string;
  agentId: Types.ObjectId;
  /** The synchronizer token the console sends back in X-CSRF-Token on every state-changing request. */
  csrfToken: string;
  createdAt: Date;
  lastSeenAt: Date;
  /** Absolute end: sign-in + AGENT_SESSION_MAX_HOURS, whatever the activity. */
  absoluteExpiresAt: Date;
  expiresAt: Date;
}

export type AgentSessionModel = Model<AgentSessionDoc>;

const sessionSchema = new Schema<AgentSessionDoc>(
  {
    tokenHash: { type: String, required: true },
    agentId: { type: Schema.Types.ObjectId, required: true },
    csrfToken: { type: String, required: true },
    createdAt: { type: Date, required: true },
    lastSeenAt: { type: Date, required: true },
    absoluteExpiresAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
  },
  { collection: 'agentSessions', versionKey: false, strict: 'throw' },
);
sessionSchema.index({ tokenHash: 1 }, { unique: true });
sessionSchema.index({ agentId: 1 });

export function agentSessionModel(connection: Connection): AgentSessionModel {
  return (
    (connection.models.AgentSession as AgentSessionModel | undefined) ??
    connection.model<AgentSessionDoc>('AgentSession', sessionSchema)
  );
}
