import { strict as assert } from 'node:assert';
import mongoose from 'mongoose';
import { toHttpError } from '../../../src/bot/http/errors';

describe('HTTP errors when the database is unreachable', () => {
  it('when a request fails because the store is unreachable, it answers 503 with Retry-After, not 500', () => {
    const refused = new mongoose.mongo.MongoNetworkError('connect ECONNREFUSED 127.0.0.1:27017');
    const mapped = toHttpError(refused);
    assert.equal(mapped.status, 503);
    assert.equal(mapped.headers?.['Retry-After'], '5');
    assert.match(mapped.body.error.message, /try again in a moment/);
  });

  it('when an insertMany fails on the network (the driver wraps it), it answers 503 too', () => {
    const refused = new mongoose.mongo.MongoNetworkError('connect ECONNREFUSED 127.0.0.1:27017');
    const wrapped = Object.assign(new Error('connect ECONNREFUSED'), { errorResponse: refused });
    assert.equal(toHttpError(wrapped).status, 503);
  });

  it('when any other unexpected error happens, it still answers 500 without internals', () => {
    const mapped = toHttpError(new Error('boom at line 3'));
    assert.equal(mapped.status, 500);
    assert.doesNotMatch(JSON.stringify(mapped.body), /boom/);
  });
});
