import restify, { type Request, type Server } from 'restify';
import { UnauthorizedError, ValidationError } from '../../../services/errors';
import type { Logger } from '../../../services/logging/logger';
import { route } from '../../http/route';
import type { DirectLineService } from './directLineService';
import type { LocalConnector } from './localConnector';

export interface ConnectorRoutesDeps {
  service: DirectLineService;
  connector: LocalConnector;
  logger: Logger;
  bodyLimitBytes: number;
}

const BASE = '/v3/conversations/:conversationId';

/**
 * The Bot Connector API as the SDK's ConnectorClient calls it for web chat conversations (their
 * serviceUrl is this server). Only callers holding the local connector key get in (see LocalConnector).
 */
export function registerConnectorRoutes(server: Server, deps: ConnectorRoutesDeps): void {
  const { service, connector, logger } = deps;
  const jsonBody = restify.plugins.bodyParser({
    maxBodySize: deps.bodyLimitBytes,
    mapParams: false,
    rejectUnknown: true,
  });
  const guard = (req: Request): string => {
    if (!connector.authorizes(req.headers.authorization)) {
      throw new UnauthorizedError('Only the bot may post to this conversation.');
    }
    return param(req, 'conversationId');
  };

  // sendToConversation
  server.post(
    `${BASE}/activities`,
    jsonBody,
    route(logger, async (req, res) => {
      const conversationId = guard(req);
      res.send(200, await service.postFromBot(conversationId, req.body));
    }),
  );

  // replyToActivity
  server.post(
    `${BASE}/activities/:activityId`,
    jsonBody,
    route(logger, async (req, res) => {
      const conversationId = guard(req);
      res.send(200, await service.postFromBot(conversationId, req.body, param(req, 'activityId')));
    }),
  );

  const unsupported = (what: string) =>
    route(logger, (req) =>
      Promise.resolve().then(() => {
        guard(req);
        throw new ValidationError(`Direct Line conversations do not support ${what}.`);
      }),
    );
  server.put(`${BASE}/activities/:activityId`, unsupported('updating activities'));
  server.del(`${BASE}/activities/:activityId`, unsupported('deleting activities'));

  const members = route(logger, async (req, res) => {
    const conversationId = guard(req);
    res.send(200, await service.members(conversationId));
  });
  server.get(`${BASE}/members`, members);
  server.get(`${BASE}/activities/:activityId/members`, members);
}

function param(req: Request, name: string): string {
  const value = (req.params as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}
