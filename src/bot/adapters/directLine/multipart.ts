import { ValidationError } from '../../../services/errors';

export interface MultipartPart {
  readonly name: string;
  readonly filename: string | undefined;
  readonly contentType: string | undefined;
  readonly data: Buffer;
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

/** The boundary of a multipart/form-data Content-Type, or a ValidationError. */
export function multipartBoundary(contentType: string | undefined): string {
  const type = (contentType ?? '').toLowerCase();
  if (!type.startsWith('multipart/form-data')) {
    throw new ValidationError('Uploads must be sent as multipart/form-data.');
  }
  const match = /boundary=(?:"([^"]{1,70})"|([^;\s]{1,70}))/i.exec(contentType ?? '');
  const boundary = match?.[1] ?? match?.[2];
  if (!boundary) throw new ValidationError('The multipart body has no boundary.');
  return boundary;
}

/**
 * Splits a buffered multipart/form-data body (RFC 7578) into its parts. The body is already bounded
 * by the caller's size limit, so parsing in memory is safe and simple.
 */
export function parseMultipart(body: Buffer, boundary: string): MultipartPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let position = body.indexOf(delimiter);
  if (position < 0) throw new ValidationError('The multipart body is malformed (no boundary found).');
  for (;;) {
    position += delimiter.length;
    // "--" after a delimiter closes the body.
    if (body[position] === 0x2d && body[position + 1] === 0x2d) return parts;
    if (!body.subarray(position, position + 2).equals(CRLF)) {
      throw new ValidationError('The multipart body is malformed.');
    }
    const headerStart = position + 2;
    const headerEnd = body.indexOf(HEADER_END, headerStart);
    if (headerEnd < 0)
      throw new ValidationError('The multipart body is malformed (unterminated part headers).');
    const next = body.indexOf(Buffer.concat([CRLF, delimiter]), headerEnd + 4);
    if (next < 0) throw new ValidationError('The multipart body is malformed (unterminated part).');
    const headers = parseHeaders(body.toString('utf8', headerStart, headerEnd));
    const disposition = headers.get('content-disposition') ?? '';
    const name = /(?:^|;)\s*name="([^"]*)"/i.exec(disposition)?.[1];
    if (name === undefined) throw new ValidationError('A multipart part has no name.');
    const filename = /(?:^|;)\s*filename="([^"]*)"/i.exec(disposition)?.[1];
    parts.push({
      name,
      filename,
      contentType: headers.get('content-type'),
      data: body.subarray(headerEnd + 4, next),
    });
    position = next + CRLF.length;
  }
}

function parseHeaders(text: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}
