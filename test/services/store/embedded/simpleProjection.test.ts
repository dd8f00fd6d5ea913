import assert from 'node:assert/strict';
import { ObjectId, serialize, type Document } from 'bson';
import { find } from 'mingo';
import { cloneDocument } from '../../../../src/services/store/embedded/bsonValues';
import { compileSimpleProjection } from '../../../../src/services/store/embedded/simpleProjection';

/** The general path: mingo on a copy, then `_id` moved first (as QueryEngine.project does). */
function viaMingo(doc: Document, projection: Document): Document {
  const [projected] = find([cloneDocument(doc)], {}, projection).all() as Document[];
  if (!('_id' in projected) || Object.keys(projected)[0] === '_id') return projected;
  const { _id, ...rest } = projected;
  return { _id: _id as unknown, ...rest };
}

function bytes(doc: Document): string {
  return Buffer.from(serialize(doc)).toString('hex');
}

const stored: Document = {
  _id: new ObjectId('665f1b2c3d4e5f6a7b8c9d0e'),
  ticketNumber: 'RMA-0000001',
  status: 'open',
  nothing: null,
  customer: { name: 'Lin', phone: '+1555' },
  history: [{ to: 'open', by: 'bot' }, 'note', [{ to: 'nested' }], { by: 'agent' }],
  outboxList: [
    { id: 'n1', body: 'Your repair is approved', to: '+1555', status: 'sent' },
    { id: 'n2', body: 'Shipped', to: '+1555', status: 'pending' },
  ],
  deep: { a: { b: { c: 1, d: 2 }, e: 3 }, f: [{ g: { h: 1, i: 2 } }] },
  scalar: 5,
  Zeta: 1,
  '10': 'ten',
  '2': 'two',
  outbox: [],
};

const SIMPLE: Document[] = [
  { status: 1 },
  { status: 1, ticketNumber: 1, customer: 1 },
  { customer: true, status: 1, _id: 1 },
  { status: 1, _id: 0 },
  { status: 1, missing: 1, nothing: 1 },
  { Zeta: 1, '10': 1, '2': 1, history: 2 },
  { outbox: 0 },
  { outbox: 0, history: false, _id: 0 },
  { missing: 0 },
  { _id: 0 },
  { _id: 1 },
  { status: -1 },
  { 'outboxList.body': 0, 'outboxList.to': 0, nothing: 0 },
  { 'customer.phone': 0, _id: 0 },
  { 'history.to': 0 },
  { 'deep.a.b.c': 0, 'deep.f.g.i': 0, 'deep.a.e': 0 },
  { 'scalar.x': 0, 'missing.y': 0, 'customer.missing': 0 },
];

const GENERAL: Document[] = [
  { 'customer.name': 1 },
  { customer: 0, 'customer.name': 0 },
  { 'customer.name': 0, customer: 0 },
  { 'history.0.to': 0 },
  { '_id.x': 0 },
  { history: { $slice: 1 } },
  { 'history.$': 1 },
  { status: 1, outbox: 0 },
  { label: '$status' },
  { status: 'yes' },
  { _id: 1, outbox: 0 },
];

describe('compileSimpleProjection (the fast path for find projections)', () => {
  for (const projection of SIMPLE) {
    it(`when the projection is ${JSON.stringify(projection)}, the result is what the general path gives`, () => {
      const before = bytes(stored);
      const project = compileSimpleProjection(projection);
      assert.ok(project, 'expected the fast path to take this projection');
      const projected = project(stored);
      assert.equal(bytes(projected), bytes(viaMingo(stored, projection)));
      assert.deepEqual(Object.keys(projected), Object.keys(viaMingo(stored, projection)));
      assert.equal(bytes(stored), before);
    });
  }

  for (const projection of GENERAL) {
    it(`when the projection is ${JSON.stringify(projection)}, it is left to the general path`, () => {
      assert.equal(compileSimpleProjection(projection), null);
    });
  }
});
