import type { Request, Response } from 'restify';
import { z } from 'zod';
import type { AgentAccounts } from '../../services/agents/agentAccounts';
import type { AgentSessions, AuthenticatedAgent } from '../../services/agents/agentSessions';
import { NotFoundError, ValidationError } from '../../services/errors';
import type {
  AgentRef,
  ConversationView,
  HandoffView,
  LiveConversation,
  TranscriptEntry,
} from '../../services/handoff/types';
import type { Logger } from '../../services/logging/logger';
import { parseInput } from '../../services/tickets/parseInput';
import { noStore, requireAgent } from '../http/agentSession';
import { jsonBody } from '../http/jsonBody';
import { route } from '../http/route';
import type { RouteRegistrar } from '../server';

/** What the console does with the handoff service (src/services/handoff/handoffService.ts). */
export interface HandoffConsole {
  queue(): Promise<HandoffView[]>;
  get(conversationId: string): Promise<ConversationView | undefined>;
  liveConversations(): Promise<LiveConversation[]>;
  claim(conversationId: string, agent: AgentRef): Promise<unknown>;
  takeOver(conversationId: string, agent: AgentRef): Promise<unknown>;
  reply(conversationId: string, agent: AgentRef, text: string): Promise<TranscriptEntry>;
  typing(conversationId: string, agent: AgentRef): Promise<unknown>;
  handBack(conversationId: string, agent: AgentRef): Promise<unknown>;
  close(conversationId: string, agent: AgentRef): Promise<unknown>;
  transfer(conversationId: string, agent: AgentRef, toAgentId: string): Promise<unknown>;
}

/** One canned answer an agent can drop into the reply box. */
export interface QuickReply {
  id: string;
  label: string;
  text: string;
}

/** An entry of the unanswered-questions list (questions the bot could not answer). */
export interface UnansweredQuestion {
  text: string;
  count: number;
  lastAskedAt: Date;
  language?: string;
}

export interface AgentConsoleRoutesDeps {
  sessions: AgentSessions;
  accounts: Pick<AgentAccounts, 'list'>;
  handoff: HandoffConsole;
  /** The FAQ answers offered as quick replies. */
  quickReplies: () => readonly QuickReply[];
  /** The supervisors' figures (src/services/supervisor/supervisorOverview.ts). */
  overview: () => Promise<unknown>;
  /** Questions the bot could not answer, most asked first; absent → an empty list. */
  unansweredQuestions?: () => Promise<UnansweredQuestion[]>;
  logger: Logger;
}

/** The longest reply an agent may send: about ten SMS segments, a long chat message. */
export const AGENT_REPLY_MAX_CHARS = 1_500;

const conversationIdSchema = z
  .string()
  .min(1, 'the conversation id is required')
  .max(200, 'the conversation id is at most 200 characters')
  .regex(/^[^\s\p{Cc}]+$/u, 'the conversation id may not contain spaces or control characters');

const replySchema = z.strictObject(
  {
    text: z
      .string({ error: 'text is required' })
      .trim()
      .min(1, 'text is required')
      .max(AGENT_REPLY_MAX_CHARS, `text is at most ${AGENT_REPLY_MAX_CHARS} characters`),
  },
  { error: 'the body must be a JSON object with text' },
);

const transferSchema = z.strictObject(
  {
    toAgentId: z
      .string({ error: 'toAgentId is required' })
      .regex(/^[0-9a-f]{24}$/, 'toAgentId must be an agent id from GET /agent/api/colleagues'),
  },
  { error: 'the body must be a JSON object with toAgentId' },
);

/** Actions take no body; one sent anyway must be an empty object (a typo'd body is not silently ignored). */
const emptySchema = z.strictObject({}, { error: 'this action takes no body (or {})' }).optional();

const BODY_LIMIT = 16_384;

function agentRef(session: AuthenticatedAgent): AgentRef {
  return { agentId: session.agent.id, name: session.agent.name };
}

function conversationIdOf(req: Request): string {
  const params = req.params as Record<string, unknown> | undefined;
  return parseInput(conversationIdSchema, params?.conversationId, 'conversation id');
}

/**
 * The console's conversation API under /agent/api (next to sign-in, src/bot/routes/agentRoutes.ts):
 * the queue, live conversations, one conversation with its context and transcript, and the agent's
 * actions on it. Thin handlers: a session (and its CSRF token on every POST), a zod-checked body,
 * then one call to the handoff service, whose typed errors become 4xx answers.
 */
export function agentConsoleRoutes(deps: AgentConsoleRoutesDeps): RouteRegistrar {
  const { sessions, handoff, logger } = deps;

  /** POST /agent/api/conversations/:conversationId/<action>, answered with the conversation as it is now. */
  const action = (
    name: string,
    run: (conversationId: string, agent: AgentRef, body: unknown) => Promise<unknown>,
  ): RouteRegistrar => {
    return (server) => {
      server.post(
        `/agent/api/conversations/:conversationId/${name}`,
        jsonBody(BODY_LIMIT),
        route(logger, async (req: Request, res: Response) => {
          noStore(res);
          const session = await requireAgent(sessions, req);
          const conversationId = conversationIdOf(req);
          await run(conversationId, agentRef(session), req.body);
          logger.info({ agentId: session.agent.id, conversationId, action: name }, 'agent action');
          const view = await handoff.get(conversationId);
          res.send(200, { conversation: view ?? null });
        }),
      );
    };
  };

  const registrars: RouteRegistrar[] = [
    (server) => {
      server.get(
        '/agent/api/queue',
        route(logger, async (req, res) => {
          noStore(res);
          await requireAgent(sessions, req);
          res.send(200, { queue: await handoff.queue() });
        }),
      );

      server.get(
        '/agent/api/conversations',
        route(logger, async (req, res) => {
          noStore(res);
          await requireAgent(sessions, req);
          res.send(200, { conversations: await handoff.liveConversations() });
        }),
      );

      server.get(
        '/agent/api/conversations/:conversationId',
        route(logger, async (req, res) => {
          noStore(res);
          await requireAgent(sessions, req);
          const conversationId = conversationIdOf(req);
          const view = await handoff.get(conversationId);
          if (!view) throw new NotFoundError(`There is no conversation ${conversationId}`);
          res.send(200, { conversation: view });
        }),
      );

      server.get(
        '/agent/api/quick-replies',
        route(logger, async (req, res) => {
          noStore(res);
          await requireAgent(sessions, req);
          res.send(200, { quickReplies: deps.quickReplies() });
        }),
      );

      server.get(
        '/agent/api/colleagues',
        route(logger, async (req, res) => {
          noStore(res);
          const session = await requireAgent(sessions, req);
          const colleagues = (await deps.accounts.list())
            .filter((agent) => !agent.disabled && agent.id !== session.agent.id)
            .map((agent) => ({ agentId: agent.id, name: agent.name, role: agent.role }));
          res.send(200, { colleagues });
        }),
      );

      server.get(
        '/agent/api/supervisor/overview',
        route(logger, async (req, res) => {
          noStore(res);
          await requireAgent(sessions, req, { role: 'supervisor' });
          const [overview, unanswered] = await Promise.all([
            deps.overview(),
            deps.unansweredQuestions ? deps.unansweredQuestions() : Promise.resolve([]),
          ]);
          res.send(200, { overview, unansweredQuestions: unanswered });
        }),
      );
    },
    action('claim', async (id, agent, body) => {
      parseInput(emptySchema, body, 'body');
      await handoff.claim(id, agent);
    }),
    action('take-over', async (id, agent, body) => {
      parseInput(emptySchema, body, 'body');
      await handoff.takeOver(id, agent);
    }),
    action('hand-back', async (id, agent, body) => {
      parseInput(emptySchema, body, 'body');
      await handoff.handBack(id, agent);
    }),
    action('close', async (id, agent, body) => {
      parseInput(emptySchema, body, 'body');
      await handoff.close(id, agent);
    }),
    action('transfer', async (id, agent, body) => {
      const { toAgentId } = parseInput(transferSchema, body ?? {}, 'body');
      if (toAgentId === agent.agentId) throw new ValidationError('You already hold this conversation');
      await handoff.transfer(id, agent, toAgentId);
    }),
    (server) => {
      // A reply answers with the stored entry only: it is the console's most frequent action, and the
      // whole conversation (transcript and history) would be read again for each one.
      server.post(
        '/agent/api/conversations/:conversationId/reply',
        jsonBody(BODY_LIMIT),
        route(logger, async (req, res) => {
          noStore(res);
          const session = await requireAgent(sessions, req);
          const conversationId = conversationIdOf(req);
          const { text } = parseInput(replySchema, req.body ?? {}, 'body');
          const entry = await handoff.reply(conversationId, agentRef(session), text);
          logger.debug({ agentId: session.agent.id, conversationId }, 'agent replied');
          res.send(200, { entry });
        }),
      );

      // Typing: answered 204, no conversation view (it is sent every few seconds while typing).
      server.post(
        '/agent/api/conversations/:conversationId/typing',
        jsonBody(BODY_LIMIT),
        route(logger, async (req, res) => {
          noStore(res);
          const session = await requireAgent(sessions, req);
          const conversationId = conversationIdOf(req);
          parseInput(emptySchema, req.body, 'body');
          await handoff.typing(conversationId, agentRef(session));
          res.send(204);
        }),
      );
    },
  ];
  return (server) => {
    for (const register of registrars) register(server);
  };
}
