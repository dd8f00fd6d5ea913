import { deserialize, serialize, type Document } from 'bson';

/**
 * The MongoDB wire protocol, only as far as drivers use it today: OP_MSG both ways, plus the legacy
 * OP_QUERY that drivers still open each connection with (answered with OP_REPLY).
 * https://www.mongodb.com/docs/manual/reference/mongodb-wire-protocol/
 */
export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_COMPRESSED = 2012;
export const OP_MSG = 2013;

export const HEADER_SIZE = 16;
/** What we advertise as maxMessageSizeBytes; a longer frame is a protocol error. */
export const MAX_MESSAGE_SIZE = 48_000_000;
export const MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024;

const FLAG_CHECKSUM_PRESENT = 1;
const FLAG_MORE_TO_COME = 2;

/**
 * How incoming documents are decoded. Longs stay Long so int64 values round-trip exactly; int32 and
 * double both become JS numbers (the driver does the same by default).
 */
export const DESERIALIZE_OPTIONS = {
  promoteLongs: false,
  promoteValues: true,
  promoteBuffers: false,
  bsonRegExp: false,
} as const;

export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

export interface MessageHeader {
  messageLength: number;
  requestId: number;
  responseTo: number;
  opCode: number;
}

/** A command as the dispatcher sees it, whichever opcode carried it. */
export interface IncomingCommand {
  kind: 'msg' | 'query';
  requestId: number;
  /** Bytes of the whole frame: no document in it can be larger. */
  size: number;
  /** OP_MSG moreToCome: the client expects no reply. */
  moreToCome: boolean;
  /** The command document, with any OP_MSG document sequences merged in as arrays. */
  body: Document;
  /**
   * OP_MSG document sequences as they came on the wire, by identifier: `bytes[i]` is the BSON that
   * `body[identifier][i]` was decoded from (inserts journal it as is instead of encoding it again).
   */
  sequenceBytes?: ReadonlyMap<string, readonly Uint8Array[]>;
  /** OP_QUERY only: the namespace it was sent to, e.g. `admin.$cmd`. */
  fullCollectionName?: string;
}

export function readHeader(buffer: Buffer, offset = 0): MessageHeader {
  return {
    messageLength: buffer.readInt32LE(offset),
    requestId: buffer.readInt32LE(offset + 4),
    responseTo: buffer.readInt32LE(offset + 8),
    opCode: buffer.readInt32LE(offset + 12),
  };
}

function readCString(buffer: Buffer, offset: number): { value: string; next: number } {
  const end = buffer.indexOf(0, offset);
  if (end < 0) throw new ProtocolError('unterminated cstring');
  return { value: buffer.toString('utf8', offset, end), next: end + 1 };
}

function readDocument(buffer: Buffer, offset: number, limit: number): { doc: Document; next: number } {
  if (offset + 5 > limit) throw new ProtocolError('truncated BSON document');
  const size = buffer.readInt32LE(offset);
  if (size < 5 || offset + size > limit) throw new ProtocolError('invalid BSON document size');
  const doc = deserialize(buffer.subarray(offset, offset + size), DESERIALIZE_OPTIONS);
  return { doc, next: offset + size };
}

/** Decodes one complete frame (header included). */
export function parseMessage(frame: Buffer): IncomingCommand {
  const header = readHeader(frame);
  if (header.opCode === OP_MSG) return parseOpMsg(frame, header);
  if (header.opCode === OP_QUERY) return parseOpQuery(frame, header);
  if (header.opCode === OP_COMPRESSED) throw new ProtocolError('compression was not negotiated');
  throw new ProtocolError(`unsupported opCode ${header.opCode}`);
}

function parseOpMsg(frame: Buffer, header: MessageHeader): IncomingCommand {
  const flags = frame.readUInt32LE(HEADER_SIZE);
  // Bits 0-15 are "required": a flag we don't know must fail the message, per the spec.
  if ((flags & 0xfffc) !== 0) throw new ProtocolError(`unsupported OP_MSG flags ${flags}`);
  const end = frame.length - ((flags & FLAG_CHECKSUM_PRESENT) !== 0 ? 4 : 0);
  let offset = HEADER_SIZE + 4;
  let body: Document | undefined;
  const sequences: Array<{ identifier: string; documents: Document[]; bytes: Uint8Array[] }> = [];
  while (offset < end) {
    const kind = frame[offset];
    offset += 1;
    if (kind === 0) {
      if (body) throw new ProtocolError('OP_MSG with two body sections');
      const read = readDocument(frame, offset, end);
      body = read.doc;
      offset = read.next;
    } else if (kind === 1) {
      const size = frame.readInt32LE(offset);
      const sectionEnd = offset + size;
      if (size < 5 || sectionEnd > end) throw new ProtocolError('invalid document sequence size');
      const name = readCString(frame, offset + 4);
      const documents: Document[] = [];
      const bytes: Uint8Array[] = [];
      let cursor = name.next;
      while (cursor < sectionEnd) {
        const read = readDocument(frame, cursor, sectionEnd);
        documents.push(read.doc);
        bytes.push(frame.subarray(cursor, read.next));
        cursor = read.next;
      }
      sequences.push({ identifier: name.value, documents, bytes });
      offset = sectionEnd;
    } else {
      throw new ProtocolError(`unknown OP_MSG section kind ${String(kind)}`);
    }
  }
  if (!body) throw new ProtocolError('OP_MSG without a body section');
  for (const sequence of sequences) body[sequence.identifier] = sequence.documents;
  return {
    kind: 'msg',
    requestId: header.requestId,
    size: frame.length,
    moreToCome: (flags & FLAG_MORE_TO_COME) !== 0,
    body,
    sequenceBytes:
      sequences.length > 0
        ? new Map(sequences.map((sequence) => [sequence.identifier, sequence.bytes]))
        : undefined,
  };
}

function parseOpQuery(frame: Buffer, header: MessageHeader): IncomingCommand {
  let offset = HEADER_SIZE + 4; // skip flags
  const name = readCString(frame, offset);
  offset = name.next + 8; // skip numberToSkip, numberToReturn
  const query = readDocument(frame, offset, frame.length);
  // Old shells wrap the command as { $query: {...}, $readPreference: ... }.
  const wrapped: unknown = query.doc.$query;
  const body = wrapped !== null && typeof wrapped === 'object' ? (wrapped as Document) : query.doc;
  return {
    kind: 'query',
    requestId: header.requestId,
    size: frame.length,
    moreToCome: false,
    body,
    fullCollectionName: name.value,
  };
}

function header(buffer: Buffer, requestId: number, responseTo: number, opCode: number): void {
  buffer.writeInt32LE(buffer.length, 0);
  buffer.writeInt32LE(requestId, 4);
  buffer.writeInt32LE(responseTo, 8);
  buffer.writeInt32LE(opCode, 12);
}

/** An OP_MSG reply carrying one already-serialised body document. */
export function encodeOpMsg(body: Uint8Array, requestId: number, responseTo: number): Buffer {
  const buffer = Buffer.allocUnsafe(HEADER_SIZE + 4 + 1 + body.length);
  header(buffer, requestId, responseTo, OP_MSG);
  buffer.writeUInt32LE(0, HEADER_SIZE);
  buffer[HEADER_SIZE + 4] = 0;
  buffer.set(body, HEADER_SIZE + 5);
  return buffer;
}

/**
 * An OP_MSG reply around a body already placed at offset HEADER_SIZE + 5 of `frame` (the bytes
 * before it are free): fills in the header, flags and section kind, and returns `frame`.
 */
export function encodeOpMsgInPlace(frame: Buffer, requestId: number, responseTo: number): Buffer {
  header(frame, requestId, responseTo, OP_MSG);
  frame.writeUInt32LE(0, HEADER_SIZE);
  frame[HEADER_SIZE + 4] = 0;
  return frame;
}

/** An OP_REPLY (answer to a legacy OP_QUERY) with one document and no cursor. */
export function encodeOpReply(body: Uint8Array, requestId: number, responseTo: number): Buffer {
  const buffer = Buffer.allocUnsafe(HEADER_SIZE + 20 + body.length);
  header(buffer, requestId, responseTo, OP_REPLY);
  buffer.writeInt32LE(0, HEADER_SIZE); // responseFlags
  buffer.writeBigInt64LE(0n, HEADER_SIZE + 4); // cursorID
  buffer.writeInt32LE(0, HEADER_SIZE + 12); // startingFrom
  buffer.writeInt32LE(1, HEADER_SIZE + 16); // numberReturned
  buffer.set(body, HEADER_SIZE + 20);
  return buffer;
}

/** Serialises a reply document; `ignoreUndefined` so optional fields left undefined vanish. */
export function serializeReply(doc: Document): Uint8Array {
  return serialize(doc, { ignoreUndefined: true });
}
