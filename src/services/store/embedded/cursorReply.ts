import { calculateObjectSize, serializeWithBufferAndIndex, type Document } from 'bson';
import { HEADER_SIZE } from './wireProtocol';

/**
 * Bytes kept free at the start of a reply for the OP_MSG header (16), flag bits (4) and the body
 * section's kind byte (1), so the connection can send it without copying it into a new frame.
 */
export const REPLY_HEADROOM = HEADER_SIZE + 5;

/**
 * A reply already encoded as BSON (cursor replies): `frame` is the body preceded by
 * REPLY_HEADROOM free bytes. Shape: `{ cursor: { firstBatch|nextBatch: [...], id: Long, ns }, ok: 1 }`.
 */
export class RawReply {
  constructor(readonly frame: Buffer) {}

  /** The body document alone. */
  get bytes(): Buffer {
    return this.frame.subarray(REPLY_HEADROOM);
  }
}

/** Documents encoded back to back: document i is `bytes[ends[i-1] ?? 0, ends[i])`. */
export interface EncodedBatch {
  readonly bytes: Buffer;
  readonly ends: readonly number[];
}

export const EMPTY_BATCH: EncodedBatch = { bytes: Buffer.alloc(0), ends: [] };

/** Encoding happens here first (one growable buffer for every batch), then is copied out once. */
let scratch = Buffer.allocUnsafe(256 * 1024);
const SCRATCH_KEEP_BYTES = 1024 * 1024;

/**
 * Encodes `docs` from `start`: at most `limit` of them and at most `maxBytes` of document data (but
 * always at least one). Returns the batch and the index of the first document not in it.
 */
export function encodeBatch(
  docs: readonly Document[],
  start: number,
  limit: number,
  maxBytes: number,
): { batch: EncodedBatch; next: number } {
  const ends: number[] = [];
  let used = 0;
  let position = start;
  while (position < docs.length && ends.length < limit) {
    const end = encodeAt(docs[position], used);
    if (ends.length > 0 && end > maxBytes) break;
    ends.push(end);
    used = end;
    position += 1;
  }
  const bytes = Buffer.allocUnsafe(used);
  scratch.copy(bytes, 0, 0, used);
  // One huge batch shouldn't pin its buffer for the life of the server.
  if (scratch.length > SCRATCH_KEEP_BYTES) scratch = Buffer.allocUnsafe(SCRATCH_KEEP_BYTES);
  return { batch: { bytes, ends }, next: position };
}

/** Serialises `doc` into the scratch buffer at `offset`; returns where it ends. */
function encodeAt(doc: Document, offset: number): number {
  try {
    return serializeWithBufferAndIndex(doc, scratch, { index: offset }) + 1;
  } catch (error) {
    // Too big for what is left (nothing was written): grow to fit, keeping what is there.
    if (!(error instanceof RangeError)) throw error;
    const needed = offset + calculateObjectSize(doc);
    const grown = Buffer.allocUnsafe(Math.max(needed, scratch.length * 2));
    scratch.copy(grown, 0, 0, offset);
    scratch = grown;
    return serializeWithBufferAndIndex(doc, scratch, { index: offset }) + 1;
  }
}

const TYPE_DOUBLE = 0x01;
const TYPE_STRING = 0x02;
const TYPE_DOCUMENT = 0x03;
const TYPE_ARRAY = 0x04;
const TYPE_INT64 = 0x12;

/** Builds the cursor reply in one buffer: the batch's documents are copied once, into place. */
export function cursorReply(
  field: 'firstBatch' | 'nextBatch',
  batch: EncodedBatch,
  cursorId: bigint,
  namespace: string,
): RawReply {
  const count = batch.ends.length;
  let arraySize = 4 + batch.bytes.length + 1;
  for (let i = 0; i < count; i += 1) arraySize += 2 + decimalDigits(i);
  const nsBytes = Buffer.byteLength(namespace, 'utf8');
  const cursorSize = 4 + (2 + field.length + arraySize) + (2 + 2 + 8) + (2 + 2 + 4 + nsBytes + 1) + 1;
  const bodySize = 4 + (2 + 6 + cursorSize) + (2 + 2 + 8) + 1;
  const frame = Buffer.allocUnsafe(REPLY_HEADROOM + bodySize);
  let at = REPLY_HEADROOM;
  at = frame.writeInt32LE(bodySize, at);
  at = elementHeader(frame, at, TYPE_DOCUMENT, 'cursor');
  at = frame.writeInt32LE(cursorSize, at);
  at = elementHeader(frame, at, TYPE_ARRAY, field);
  at = frame.writeInt32LE(arraySize, at);
  let from = 0;
  for (let i = 0; i < count; i += 1) {
    at = elementHeader(frame, at, TYPE_DOCUMENT, String(i));
    const end = batch.ends[i];
    at += batch.bytes.copy(frame, at, from, end);
    from = end;
  }
  frame[at++] = 0;
  at = elementHeader(frame, at, TYPE_INT64, 'id');
  at = frame.writeBigInt64LE(cursorId, at);
  at = elementHeader(frame, at, TYPE_STRING, 'ns');
  at = frame.writeInt32LE(nsBytes + 1, at);
  at += frame.write(namespace, at, 'utf8');
  frame[at++] = 0;
  frame[at++] = 0; // end of cursor
  at = elementHeader(frame, at, TYPE_DOUBLE, 'ok');
  at = frame.writeDoubleLE(1, at);
  frame[at++] = 0; // end of body
  return new RawReply(frame);
}

/** Type byte and field name (ASCII, no NUL) of a BSON element. */
function elementHeader(out: Buffer, at: number, type: number, name: string): number {
  out[at] = type;
  const written = out.write(name, at + 1, 'latin1');
  out[at + 1 + written] = 0;
  return at + 2 + written;
}

function decimalDigits(n: number): number {
  return n < 10 ? 1 : String(n).length;
}
