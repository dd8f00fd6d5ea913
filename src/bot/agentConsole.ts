import type { Connection } from 'mongoose';
import type { AppConfig } from '../config';
import type { AgentAccounts } from '../services/agents/agentAccounts';
import type { AgentSessions } from '../services/agents/agentSessions';
import type { HandoffService } from '../services/handoff/handoffService';
import type { FaqLibrary } from '../services/knowledge/faqLibrary';
import type { Logger } from '../services/logging/logger';
import { SupervisorOverview } from '../services/supervisor/supervisorOverview';
import { agentConsoleSite } from '../web/agentConsoleSite';
import { agentConsoleRoutes, type UnansweredQuestion } from './routes/agentConsoleRoutes';
import { AgentLiveSocket } from './routes/agentLiveSocket';
import type { RouteRegistrar } from './server';

export interface AgentConsoleDeps {
  handoff: HandoffService;
  sessions: AgentSessions;
  accounts: AgentAccounts;
  faq: FaqLibrary;
  connection: Connection;
  config: Pick<AppConfig, 'http'>;
  logger: Logger;
  /** The unanswered-questions list for supervisors (its own collection); unset: an empty list. */
  unansweredQuestions?: () => Promise<UnansweredQuestion[]>;
  clock?: { now(): Date };
}

export interface AgentConsole {
  registrars: RouteRegistrar[];
  /** The live socket: started after listen (it follows the handoff bus), stopped before the store closes. */
  worker: AgentLiveSocket;
}

/** The agent console at /agent: its page, its API (queue, conversations, actions, supervisor view) and live socket. */
export function createAgentConsole(deps: AgentConsoleDeps): AgentConsole {
  const { handoff, sessions, accounts, logger } = deps;
  const live = new AgentLiveSocket({
    sessions,
    handoff,
    publicBaseUrl: deps.config.http.publicBaseUrl,
    logger,
  });
  const overview = new SupervisorOverview({
    connection: deps.connection,
    // Today's handoffs, and those still open from before (they count for waiting and load).
    handoffsSince: async (since) => {
      const [today, open] = await Promise.all([handoff.handoffsSince(since), handoff.queue()]);
      const byId = new Map([...today, ...open].map((view) => [view.handoffId, view]));
      return [...byId.values()];
    },
    agentNames: async (ids) => {
      const wanted = new Set(ids);
      return new Map(
        (await accounts.list())
          .filter((agent) => wanted.has(agent.id) && !agent.disabled)
          .map((agent) => [agent.id, agent.name]),
      );
    },
    ...(deps.clock ? { clock: deps.clock } : {}),
  });
  const quickReplies = deps.faq
    .all()
    .map((entry) => ({ id: entry.id, label: entry.menuLabel, text: entry.answer }));
  return {
    registrars: [
      agentConsoleSite({ logger }),
      agentConsoleRoutes({
        sessions,
        accounts,
        handoff,
        quickReplies: () => quickReplies,
        overview: () => overview.today(),
        ...(deps.unansweredQuestions ? { unansweredQuestions: deps.unansweredQuestions } : {}),
        logger,
      }),
      live.registrar(),
    ],
    worker: live,
  };
}
