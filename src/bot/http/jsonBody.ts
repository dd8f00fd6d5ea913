import type { Next, Request, RequestHandler, Response } from 'restify';

/**
 * Reads a JSON request body into `req.body`, for the bot's hot route (POST /api/messages).
 * restify's bodyParser does the same with more machinery per request (it allocates through the
 * deprecated `new Buffer()`, whose deprecation check walks the stack every time). Answers, as the
 * server's other routes do: 413 over `maxBytes` (the body is read to the end, so the connection
 * stays usable), 415 for anything but uncompressed application/json, 400 for JSON that doesn't parse.
 */
export function jsonBody(maxBytes: number): RequestHandler {
  return (req: Request, res: Response, next: Next): void => {
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (type !== 'application/json' || encoding !== 'identity') {
      req.resume();
      reject(res, next, 415, 'invalid_request', 'The body must be uncompressed application/json');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    req.once('error', (error) => next(error));
    req.once('end', () => {
      if (size > maxBytes) {
        reject(res, next, 413, 'payload_too_large', `The request body is larger than ${maxBytes} bytes`);
        return;
      }
      try {
        req.body = JSON.parse(Buffer.concat(chunks, size).toString('utf8')) as unknown;
      } catch (error) {
        reject(res, next, 400, 'invalid_request', `Invalid JSON: ${(error as Error).message}`);
        return;
      }
      next();
    });
  };
}

function reject(res: Response, next: Next, status: number, code: string, message: string): void {
  res.send(status, { error: { code, message } });
  next(false);
}
