import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../../../services/logging/logger';
import { toHttpError } from '../../http/errors';
import type { ConversationFeed, FeedEvent } from './conversationFeed';
import type { DirectLineService } from './directLineService';
import { parseWatermark } from './watermark';

const STREAM_PATH = /^\/v3\/directline\/conversations\/([A-Za-z0-9_-]+)\/stream\/?$/;
const BACKLOG_PAGE = 100;
/** A client this far behind is dropped; it reconnects and catches up from its watermark. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

export interface DirectLineStreamsOptions {
  service: DirectLineService;
  feed: ConversationFeed;
  logger: Logger;
  /** Ping interval; a socket that missed the previous pong is closed. */
  heartbeatMs?: number;
}

/**
 * The WebSocket half of Direct Line 3.0 (the `streamUrl`): on connect, the log after the watermark;
 * then every new activity of the conversation as it is appended, each as `{activities, watermark}`.
 * Receive-only, as in Direct Line: DirectLineJS sends empty keep-alive frames and nothing else.
 */
export class DirectLineStreams {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096, perMessageDeflate: false });
  private readonly sockets = new Map<WebSocket, { alive: boolean }>();
  private heartbeat: NodeJS.Timeout | undefined;
  private closing = false;
  private attachedTo: HttpServer | undefined;

  constructor(private readonly options: DirectLineStreamsOptions) {}

  get openSockets(): number {
    return this.sockets.size;
  }

  attach(server: HttpServer): void {
    this.attachedTo = server;
    server.on('upgrade', this.onUpgrade);
  }

  /** Closes every stream (1001: the client reconnects later and resumes from its watermark). */
  async closeAll(timeoutMs = 2_000): Promise<void> {
    this.closing = true;
    this.attachedTo?.off('upgrade', this.onUpgrade);
    const closed = [...this.sockets.keys()].map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          ws.once('close', () => resolve());
          ws.close(1001, 'server shutting down');
        }),
    );
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(closed),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    for (const ws of this.sockets.keys()) ws.terminate();
    this.stopHeartbeat();
  }

  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = STREAM_PATH.exec(url.pathname);
    if (!match) {
      // Someone else's upgrade (another area may add WebSockets); refuse only if nobody else listens.
      if ((this.attachedTo?.listenerCount('upgrade') ?? 0) <= 1)
        refuse(socket, 404, 'No WebSocket endpoint here.');
      return;
    }
    if (this.closing) return refuse(socket, 503, 'The chat service is restarting.');
    const conversationId = match[1];
    let watermark: number;
    try {
      this.options.service.tokens.verifyFor(url.searchParams.get('t') ?? undefined, conversationId, 'stream');
      watermark = parseWatermark(url.searchParams.get('watermark') ?? undefined);
    } catch (error) {
      const { status, body } = toHttpError(error);
      return refuse(socket, status, body.error.message);
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.serve(ws, conversationId, watermark));
  };

  private serve(ws: WebSocket, conversationId: string, watermark: number): void {
    const { service, feed, logger } = this.options;
    const state = { alive: true };
    this.sockets.set(ws, state);
    this.startHeartbeat();
    let lastSeq = watermark;
    let live = false;
    const pending: FeedEvent[] = [];

    const send = (payload: unknown): void => {
      if (ws.readyState !== WebSocket.OPEN) return;
      if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
        logger.warn({ conversationId }, 'web chat stream too far behind: closing it');
        ws.terminate();
        return;
      }
      ws.send(JSON.stringify(payload));
    };
    const deliver = (event: FeedEvent): void => {
      if (event.kind === 'ended') return ws.close(4403, 'the chat has ended');
      if (event.kind === 'ephemeral') return send({ activities: [event.activity] });
      if (event.entry.seq <= lastSeq) return;
      lastSeq = event.entry.seq;
      send({ activities: [event.entry.activity], watermark: String(lastSeq) });
    };
    const unsubscribe = feed.subscribe(conversationId, (event) =>
      live ? deliver(event) : pending.push(event),
    );

    ws.on('pong', () => {
      state.alive = true;
    });
    ws.on('message', () => {
      state.alive = true; // DirectLineJS's empty keep-alive frames
    });
    ws.on('error', (error) => logger.debug({ err: error, conversationId }, 'web chat stream error'));
    ws.on('close', () => {
      unsubscribe();
      this.sockets.delete(ws);
      if (this.sockets.size === 0) this.stopHeartbeat();
    });

    void (async () => {
      try {
        // Subscribed first, then the backlog: nothing appended in between is missed, nothing is sent twice.
        for (;;) {
          const page = await service.activitiesAfter(conversationId, lastSeq, BACKLOG_PAGE);
          if (page.entries.length > 0) {
            lastSeq = page.watermark;
            send({ activities: page.entries.map((entry) => entry.activity), watermark: String(lastSeq) });
          }
          if (page.entries.length < BACKLOG_PAGE || ws.readyState !== WebSocket.OPEN) break;
        }
        live = true;
        for (const event of pending.splice(0)) deliver(event);
      } catch (error) {
        const { status } = toHttpError(error);
        if (status >= 500) logger.error({ err: error, conversationId }, 'web chat stream failed');
        ws.close(
          status === 404 ? 4404 : status === 403 ? 4403 : 1011,
          status === 404 ? 'conversation not found' : status === 403 ? 'the chat has ended' : 'server error',
        );
      }
    })();
  }

  private startHeartbeat(): void {
    if (this.heartbeat) return;
    this.heartbeat = setInterval(() => {
      for (const [ws, state] of this.sockets) {
        if (!state.alive) {
          ws.terminate();
          continue;
        }
        state.alive = false;
        ws.ping();
      }
    }, this.options.heartbeatMs ?? 30_000);
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}

function refuse(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ error: { code: status === 404 ? 'not_found' : 'refused', message } });
  socket.end(
    `HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : status === 404 ? 'Not Found' : status === 503 ? 'Service Unavailable' : 'Bad Request'}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
