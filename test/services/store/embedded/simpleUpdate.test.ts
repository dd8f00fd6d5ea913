import assert from 'node:assert/strict';
import { Long, ObjectId, serialize, type Document } from 'bson';
import { update as mingoUpdate } from 'mingo';
import { cloneDocument } from '../../../../src/services/store/embedded/bsonValues';
import { applySimpleUpdate } from '../../../../src/services/store/embedded/simpleUpdate';

/** What the general path (mingo on a deep copy) makes of the same update. */
function viaMingo(doc: Document, operators: Document): { doc: Document; modified: boolean } {
  const copy = cloneDocument(doc);
  const modified = mingoUpdate(copy, operators).length > 0;
  return { doc: copy, modified };
}

function bytes(doc: Document): string {
  return Buffer.from(serialize(doc)).toString('hex');
}

const at = new Date('2026-03-01T10:00:00Z');

function ticket(): Document {
  return {
    _id: new ObjectId('665f1b2c3d4e5f6a7b8c9d0e'),
    status: 'open',
    version: 3,
    score: 1.5,
    customer: { name: 'Lin', address: { city: 'Huizhou', zip: '516000' }, tags: ['vip'] },
    history: [{ at, to: 'open' }],
    outbox: [],
    updatedAt: at,
    flags: { a: true },
  };
}

/** Updates the fast path takes; each must give exactly what mingo gives. */
const SIMPLE: Array<[string, Document]> = [
  ['$set of an existing field', { $set: { status: 'approved' } }],
  ['$set to the same value', { $set: { status: 'open', version: 3 } }],
  ['$set of an equal date', { $set: { updatedAt: new Date(at.getTime()) } }],
  ['$set of an equal sub-document', { $set: { flags: { a: true } } }],
  ['$set of a new field', { $set: { note: 'hello', at } }],
  ['$set of a nested field', { $set: { 'customer.address.city': 'Shenzhen' } }],
  ['$set creating parents', { $set: { 'a.b.c': 1, 'customer.phone.home': '+1' } }],
  ['$set of an array', { $set: { 'customer.tags': ['a', 'b'] } }],
  ['$set of a sub-document', { $set: { customer: { name: 'New' } } }],
  ['$unset of a field', { $unset: { score: '' } }],
  ['$unset of a nested field', { $unset: { 'customer.address.zip': 1 } }],
  ['$unset of a missing field', { $unset: { nothing: 1, 'customer.none': 1, 'missing.deep': 1 } }],
  ['$unset of a field under a scalar', { $unset: { 'status.x': 1 } }],
  ['$unset of a field through an array', { $unset: { 'history.to': 1 } }],
  ['$inc of an integer', { $inc: { version: 1 } }],
  ['$inc of a double', { $inc: { score: 0.25 } }],
  ['$inc by zero', { $inc: { version: 0 } }],
  ['$inc of a missing field', { $inc: { retries: 1, 'stats.count': 2 } }],
  ['$push onto an array', { $push: { history: { at, to: 'approved' } } }],
  ['$push onto an empty array', { $push: { outbox: { id: 'n1', status: 'pending' } } }],
  ['$push onto a missing field', { $push: { notes: 'first' } }],
  ['$push onto a nested array', { $push: { 'customer.tags': 'repeat' } }],
  [
    'a lifecycle change',
    {
      $set: { status: 'approved', updatedAt: new Date(at.getTime() + 1) },
      $push: { history: { at, from: 'open', to: 'approved', actor: 'agent' }, outbox: { id: 'n2' } },
      $inc: { version: 1, outboxVersion: 1 },
    },
  ],
  ['a bot-state write', { $set: { state: '{"a":1}', eTag: 'e2', updatedAt: at } }],
  ['two operators under one parent', { $set: { 'customer.name': 'X' }, $unset: { 'customer.tags': 1 } }],
];

/** Shapes the fast path must leave to mingo. */
const GENERAL: Array<[string, Document]> = [
  ['another operator', { $addToSet: { 'customer.tags': 'vip' } }],
  ['a positional path', { $set: { 'history.$.to': 'x' } }],
  ['an all-elements path', { $set: { 'history.$[].to': 'x' } }],
  ['an array index', { $set: { 'history.0.to': 'x' } }],
  ['a path through an array', { $set: { 'history.to': 'x' } }],
  ['a path through a scalar', { $set: { 'status.x': 1 } }],
  ['$inc through an array', { $inc: { 'history.n': 1 } }],
  ['a path through null', { $set: { 'nil.x': 1 } }],
  ['$push with $each', { $push: { history: { $each: [1, 2] } } }],
  ['$push onto a non-array', { $push: { status: 'x' } }],
  ['$inc of a string', { $inc: { status: 1 } }],
  ['$inc by a Long', { $inc: { version: Long.fromNumber(1) } }],
  ['$inc by a non-number', { $inc: { version: 'one' } }],
  ['conflicting paths', { $set: { customer: {} }, $unset: { 'customer.name': 1 } }],
  ['the same path twice', { $set: { status: 'a' }, $inc: { status: 1 } }],
  ['_id', { $set: { _id: 1 } }],
  ['an empty field name', { $set: { '': 1 } }],
  ['a prototype name', { $set: { __proto__x: 1, 'a.__proto__': 1 } }],
];

describe('applySimpleUpdate (the fast path for simple operator updates)', () => {
  for (const [name, operators] of SIMPLE) {
    it(`when the update is ${name}, the result and "modified" are what mingo gives, and the stored document is untouched`, () => {
      const stored = ticket();
      const before = bytes(stored);
      const fast = applySimpleUpdate(stored, operators);
      assert.ok(fast, 'expected the fast path to take this update');
      const expected = viaMingo(ticket(), operators);
      assert.equal(bytes(fast.doc), bytes(expected.doc));
      assert.equal(fast.modified, expected.modified);
      assert.equal(bytes(stored), before, 'the stored document changed');
      if (!fast.modified) assert.equal(fast.doc, stored);
    });
  }

  for (const [name, operators] of GENERAL) {
    it(`when the update has ${name}, it is left to the general path`, () => {
      const stored = { ...ticket(), nil: null };
      const before = bytes(stored);
      assert.equal(applySimpleUpdate(stored, operators), null);
      assert.equal(bytes(stored), before);
    });
  }

  it('when many random simple updates are applied, each matches mingo exactly', () => {
    // A small deterministic generator: the same cases every run.
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
      return seed % n;
    };
    const fields = [
      'status',
      'version',
      'score',
      'customer.name',
      'customer.address.city',
      'x.y',
      'history',
      'n',
    ];
    const values: unknown[] = ['a', 'open', 3, 0, -2.5, at, { k: 1 }, ['vip'], true, null];
    let taken = 0;
    for (let round = 0; round < 500; round += 1) {
      const operators: Document = {};
      for (let i = 0; i < 1 + random(3); i += 1) {
        const operator = ['$set', '$unset', '$inc', '$push'][random(4)];
        const field = fields[random(fields.length)];
        const value = operator === '$inc' ? [1, -1, 0.5, 0][random(4)] : values[random(values.length)];
        operators[operator] = { ...(operators[operator] as Document | undefined), [field]: value };
      }
      const stored = ticket();
      const before = bytes(stored);
      const fast = applySimpleUpdate(stored, operators);
      assert.equal(bytes(stored), before);
      if (!fast) continue;
      taken += 1;
      const expected = viaMingo(ticket(), operators);
      assert.equal(bytes(fast.doc), bytes(expected.doc), JSON.stringify(operators));
      assert.equal(fast.modified, expected.modified, JSON.stringify(operators));
    }
    assert.ok(taken > 200, `only ${taken} of 500 random updates took the fast path`);
  });
});
