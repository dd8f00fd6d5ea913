import type { Server } from 'restify';
import type { Logger } from '../../../services/logging/logger';
import { route } from '../../http/route';
import type { AzureDirectLine, PageToken } from './azureDirectLine';
import type { DirectLineService } from './directLineService';
import type { NewChatLimits } from './newChatLimits';
import { callerOrigin } from './requestInfo';

export interface PageTokenRouteDeps {
  limits: NewChatLimits;
  logger: Logger;
  publicBaseUrl: string;
  /** Exactly one of these: the local endpoint, or Azure Direct Line. */
  local?: DirectLineService;
  azure?: AzureDirectLine;
}

export const PAGE_TOKEN_PATH = '/api/directline/token';

/**
 * Where the chat page gets its Direct Line token and base URL, whichever Direct Line serves it: the
 * page needs no configuration, and an Azure Direct Line secret never reaches the browser.
 */
export function registerPageTokenRoute(server: Server, deps: PageTokenRouteDeps): void {
  server.post(
    PAGE_TOKEN_PATH,
    route(deps.logger, async (req, res) => {
      deps.limits.take(req);
      let token: PageToken;
      if (deps.azure) {
        token = await deps.azure.generateToken();
      } else if (deps.local) {
        const issued = deps.local.generateToken();
        token = {
          conversationId: issued.conversationId,
          token: issued.token,
          expiresIn: issued.expiresIn,
          domain: `${callerOrigin(req, deps.publicBaseUrl).http}/v3/directline`,
        };
      } else {
        throw new Error('registerPageTokenRoute: neither a local nor an Azure Direct Line');
      }
      res.header('Cache-Control', 'no-store');
      res.send(200, {
        conversationId: token.conversationId,
        token: token.token,
        expires_in: token.expiresIn,
        domain: token.domain,
      });
    }),
  );
}
