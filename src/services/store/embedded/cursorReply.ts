/**
 * Cursor replies assembled from documents serialised one by one: each document is encoded once,
 * which also lets a batch stop before it would pass the 16 MB reply limit.
 * Shape: `{ cursor: { firstBatch|nextBatch: [...], id: Long, ns }, ok: 1 }`.
 */
export class RawReply {
  constructor(readonly bytes: Uint8Array) {}
}

const TYPE_DOUBLE = 0x01;
const TYPE_STRING = 0x02;
const TYPE_DOCUMENT = 0x03;
const TYPE_ARRAY = 0x04;
const TYPE_INT64 = 0x12;

function element(type: number, name: string, value: Buffer): Buffer {
  const key = Buffer.from(name, 'utf8');
  const out = Buffer.allocUnsafe(1 + key.length + 1 + value.length);
  out[0] = type;
  key.copy(out, 1);
  out[1 + key.length] = 0;
  value.copy(out, 2 + key.length);
  return out;
}

function documentOf(elements: readonly Uint8Array[]): Buffer {
  let size = 5;
  for (const part of elements) size += part.length;
  const out = Buffer.allocUnsafe(size);
  out.writeInt32LE(size, 0);
  let offset = 4;
  for (const part of elements) {
    out.set(part, offset);
    offset += part.length;
  }
  out[offset] = 0;
  return out;
}

function stringValue(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const out = Buffer.allocUnsafe(4 + bytes.length + 1);
  out.writeInt32LE(bytes.length + 1, 0);
  bytes.copy(out, 4);
  out[4 + bytes.length] = 0;
  return out;
}

export function cursorReply(
  field: 'firstBatch' | 'nextBatch',
  documents: readonly Uint8Array[],
  cursorId: bigint,
  namespace: string,
): RawReply {
  const items: Uint8Array[] = [];
  documents.forEach((doc, i) => {
    const key = String(i);
    const header = Buffer.allocUnsafe(2 + key.length);
    header[0] = TYPE_DOCUMENT;
    header.write(key, 1, 'latin1');
    header[1 + key.length] = 0;
    items.push(header, doc);
  });
  const id = Buffer.allocUnsafe(8);
  id.writeBigInt64LE(cursorId, 0);
  const cursor = documentOf([
    element(TYPE_ARRAY, field, documentOf(items)),
    element(TYPE_INT64, 'id', id),
    element(TYPE_STRING, 'ns', stringValue(namespace)),
  ]);
  const ok = Buffer.allocUnsafe(8);
  ok.writeDoubleLE(1, 0);
  return new RawReply(documentOf([element(TYPE_DOCUMENT, 'cursor', cursor), element(TYPE_DOUBLE, 'ok', ok)]));
}
