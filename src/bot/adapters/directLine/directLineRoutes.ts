import restify, { type Request, type Response, type Server } from 'restify';
import { ForbiddenError, UnauthorizedError } from '../../../services/errors';
import type { Logger } from '../../../services/logging/logger';
import { MAX_PHOTO_BYTES } from '../../../services/media/mediaPolicy';
import { route } from '../../http/route';
import type { AttachmentLinks } from './attachmentLinks';
import type { DirectLineTokenClaims } from './directLineTokens';
import { MAX_UPLOAD_FILES, UploadRejectedError, type DirectLineService } from './directLineService';
import { multipartBoundary, parseMultipart } from './multipart';
import { PayloadTooLargeError } from './payloadTooLargeError';
import type { NewChatLimits } from './newChatLimits';
import type { ClientAddress } from '../../http/clientAddress';
import { bearerToken, callerOrigin, readBody } from './requestInfo';
import { safeEqual } from './secretKeys';
import { parseWatermark } from './watermark';

export interface DirectLineRoutesDeps {
  service: DirectLineService;
  links: AttachmentLinks;
  limits: NewChatLimits;
  /** The client's address as this endpoint sees it (TRUSTED_PROXIES), given to the turns it starts. */
  clientAddress: ClientAddress;
  logger: Logger;
  bodyLimitBytes: number;
  publicBaseUrl: string;
  /** BACKOFFICE_TOKEN: the back office reads ticket photos with it. */
  backofficeToken: string | undefined;
}

const BASE = '/v3/directline';
/** Room for the files, the activity part and the multipart framing. */
const UPLOAD_BODY_LIMIT = MAX_UPLOAD_FILES * MAX_PHOTO_BYTES + 256 * 1024;
const ACTIVITY_BODY_LIMIT = 64 * 1024;

/** The local Direct Line 3.0 REST API, as DirectLineJS (Web Chat) calls it. */
export function registerDirectLineRoutes(server: Server, deps: DirectLineRoutesDeps): void {
  const { service, logger } = deps;
  // One customer activity: text (≤ 4,000 characters) and three capped fields fit well within this.
  const activityBody = restify.plugins.bodyParser({
    maxBodySize: Math.min(deps.bodyLimitBytes, ACTIVITY_BODY_LIMIT),
    mapParams: false,
    rejectUnknown: true,
  });
  const conversationToken = (req: Request): DirectLineTokenClaims =>
    service.tokens.verifyFor(bearerToken(req), param(req, 'conversationId'));
  const sendToken = (res: Response, status: number, body: Record<string, unknown>): void => {
    res.header('Cache-Control', 'no-store');
    res.send(status, body);
  };
  const streamUrl = (req: Request, claims: DirectLineTokenClaims, watermark: number): string =>
    `${callerOrigin(req, deps.publicBaseUrl).ws}${BASE}/conversations/${claims.conversationId}/stream?watermark=${watermark}&t=${service.streamToken(claims)}`;

  server.post(
    `${BASE}/tokens/generate`,
    route(logger, (req, res) =>
      Promise.resolve().then(() => {
        deps.limits.take(req);
        const issued = service.generateToken();
        sendToken(res, 200, {
          conversationId: issued.conversationId,
          token: issued.token,
          expires_in: issued.expiresIn,
        });
      }),
    ),
  );

  server.post(
    `${BASE}/tokens/refresh`,
    route(logger, async (req, res) => {
      const issued = await service.refresh(service.tokens.verify(bearerToken(req)));
      sendToken(res, 200, {
        conversationId: issued.conversationId,
        token: issued.token,
        expires_in: issued.expiresIn,
      });
    }),
  );

  server.post(
    `${BASE}/conversations`,
    route(logger, async (req, res) => {
      if (!bearerToken(req)) {
        throw new UnauthorizedError(
          `Starting a conversation needs a token: POST ${BASE}/tokens/generate first.`,
        );
      }
      const claims = service.tokens.verify(bearerToken(req));
      const { created, token } = await service.startConversation(claims);
      sendToken(res, created ? 201 : 200, {
        conversationId: claims.conversationId,
        token: token.token,
        expires_in: token.expiresIn,
        streamUrl: streamUrl(req, claims, 0),
      });
    }),
  );

  server.get(
    `${BASE}/conversations/:conversationId`,
    route(logger, async (req, res) => {
      const claims = conversationToken(req);
      const watermark = parseWatermark(query(req, 'watermark'));
      const token = await service.resume(claims);
      sendToken(res, 200, {
        conversationId: claims.conversationId,
        token: token.token,
        expires_in: token.expiresIn,
        streamUrl: streamUrl(req, claims, watermark),
      });
    }),
  );

  server.get(
    `${BASE}/conversations/:conversationId/activities`,
    route(logger, async (req, res) => {
      const claims = conversationToken(req);
      const page = await service.activitiesAfter(
        claims.conversationId,
        parseWatermark(query(req, 'watermark')),
      );
      res.header('Cache-Control', 'no-store');
      res.send(200, {
        activities: page.entries.map((entry) => entry.activity),
        watermark: String(page.watermark),
      });
    }),
  );

  // Not Direct Line 3.0: the page's "End chat". The token stops working everywhere; 204.
  server.post(
    `${BASE}/conversations/:conversationId/end`,
    route(logger, async (req, res) => {
      await service.endConversation(conversationToken(req));
      res.send(204);
    }),
  );

  server.post(
    `${BASE}/conversations/:conversationId/activities`,
    activityBody,
    route(logger, async (req, res) => {
      const claims = conversationToken(req);
      res.send(
        200,
        await service.postFromUser(claims, req.body, { clientAddress: deps.clientAddress.of(req) }),
      );
    }),
  );

  server.post(
    `${BASE}/conversations/:conversationId/upload`,
    route(logger, async (req, res) => {
      const claims = conversationToken(req);
      const userId = query(req, 'userId');
      if (userId !== undefined && userId !== claims.userId) {
        throw new ForbiddenError('userId does not match the token.');
      }
      try {
        const declared = Number(req.headers['content-length']);
        await service.assertUploadRoom(claims, Number.isFinite(declared) ? declared : undefined);
        const boundary = multipartBoundary(req.headers['content-type']);
        const parts = parseMultipart(await readBody(req, UPLOAD_BODY_LIMIT), boundary);
        res.send(200, await service.postUpload(claims, parts, { clientAddress: deps.clientAddress.of(req) }));
      } catch (error) {
        if (error instanceof UploadRejectedError) {
          if (!req.complete) {
            // Refused before the body was read (over the quota): don't wait for it.
            req.resume();
            res.header('Connection', 'close');
          }
          res.send(error.status, {
            error: {
              code:
                error.status === 415
                  ? 'unsupported_media_type'
                  : error.status === 413
                    ? 'payload_too_large'
                    : 'invalid_request',
              message: error.message,
            },
          });
          return;
        }
        if (error instanceof PayloadTooLargeError) {
          req.resume(); // let the rest of the body drain so the client reads our answer
          res.header('Connection', 'close');
          res.send(413, {
            error: {
              code: 'payload_too_large',
              message: `Send at most ${MAX_UPLOAD_FILES} photos of up to ${MAX_PHOTO_BYTES / 1024 / 1024} MB each.`,
            },
          });
          return;
        }
        throw error;
      }
    }),
  );

  server.get(
    `${BASE}/conversations/:conversationId/attachments/:attachmentId`,
    route(logger, async (req, res) => {
      const conversationId = param(req, 'conversationId');
      const attachmentId = param(req, 'attachmentId');
      const reader = authorizeAttachmentRead(req, deps, conversationId, attachmentId);
      const { upload, data } = await service.readUpload(conversationId, attachmentId, {
        byCustomer: reader === 'customer',
      });
      res.sendRaw(200, data, {
        'Content-Type': upload.contentType,
        'Content-Length': String(data.length),
        'Content-Disposition': `inline; filename*=UTF-8''${encodeURIComponent(upload.name)}`,
        'Cache-Control': 'private, max-age=300',
        'X-Content-Type-Options': 'nosniff',
        'Content-Security-Policy': "default-src 'none'; sandbox",
      });
    }),
  );
}

/** The conversation's own token, the back-office token, or a signed link (what the page's <img> uses). */
function authorizeAttachmentRead(
  req: Request,
  deps: DirectLineRoutesDeps,
  conversationId: string,
  attachmentId: string,
): 'link' | 'backoffice' | 'customer' {
  if (deps.links.verify(conversationId, attachmentId, query(req, 'exp'), query(req, 'sig'))) return 'link';
  const token = bearerToken(req);
  if (!token)
    throw new UnauthorizedError(
      'Reading an attachment needs the conversation token, the back-office token or a signed link.',
    );
  if (deps.backofficeToken && safeEqual(token, deps.backofficeToken)) return 'backoffice';
  deps.service.tokens.verifyFor(token, conversationId);
  return 'customer';
}

function param(req: Request, name: string): string {
  const params = req.params as Record<string, unknown> | undefined;
  const value = params?.[name];
  return typeof value === 'string' ? value : '';
}

function query(req: Request, name: string): string | undefined {
  const values = req.query as Record<string, unknown> | undefined;
  const value = values?.[name];
  return typeof value === 'string' ? value : undefined;
}
