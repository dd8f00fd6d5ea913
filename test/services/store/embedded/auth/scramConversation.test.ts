import assert from 'node:assert/strict';
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { deriveScramCredential } from '../../../../../src/services/store/embedded/auth/scramCredential';
import {
  ScramConversation,
  ScramError,
} from '../../../../../src/services/store/embedded/auth/scramConversation';

// RFC 7677 §3: the SCRAM-SHA-256 example exchange.
const RFC = {
  password: 'pencil',
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverNonce: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal:
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};

const credential = deriveScramCredential('user', RFC.password, {
  salt: Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'),
  iterations: 4096,
});

function conversation(serverNonce = () => RFC.serverNonce): ScramConversation {
  return new ScramConversation((name) => (name === 'user' ? credential : undefined), serverNonce);
}

/** The client's side, as RFC 5802 §3 computes it. */
function clientFinal(password: string, clientFirstBare: string, serverFirst: string): string {
  const nonce = /r=([^,]+)/.exec(serverFirst)![1];
  const salt = Buffer.from(/s=([^,]+)/.exec(serverFirst)![1], 'base64');
  const iterations = Number(/i=(\d+)/.exec(serverFirst)![1]);
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const withoutProof = `c=biws,r=${nonce}`;
  const signature = createHmac('sha256', storedKey)
    .update(`${clientFirstBare},${serverFirst},${withoutProof}`)
    .digest();
  const proof = Buffer.from(clientKey.map((byte, i) => byte ^ signature[i]));
  return `${withoutProof},p=${proof.toString('base64')}`;
}

describe('ScramConversation (the server side of SCRAM-SHA-256)', () => {
  it("when given RFC 7677's example exchange, it answers with the RFC's server-first and server-final messages", () => {
    const scram = conversation();
    assert.equal(scram.start(RFC.clientFirst), RFC.serverFirst);
    assert.equal(scram.finish(RFC.clientFinal), RFC.serverFinal);
    assert.equal(scram.username, 'user');
  });

  it('when the proof is made from another password, it fails and nobody is logged in; the right one passes', () => {
    const wrong = conversation();
    const serverFirst = wrong.start(RFC.clientFirst);
    assert.throws(
      () => wrong.finish(clientFinal('pencil2', 'n=user,r=rOprNGfwEbeRWgbNEkqO', serverFirst)),
      (error: unknown) => error instanceof ScramError && error.message === 'wrong password',
    );
    assert.equal(wrong.username, undefined);
    const right = conversation();
    const again = right.start(RFC.clientFirst);
    right.finish(clientFinal('pencil', 'n=user,r=rOprNGfwEbeRWgbNEkqO', again));
    assert.equal(right.username, 'user');
  });

  it('when a recorded client-final message is replayed in a new conversation, it fails (the server nonce differs)', () => {
    let counter = 0;
    const fresh = (): string => `server-nonce-${++counter}`;
    const first = conversation(fresh);
    const serverFirst = first.start(RFC.clientFirst);
    const recorded = clientFinal('pencil', 'n=user,r=rOprNGfwEbeRWgbNEkqO', serverFirst);
    first.finish(recorded);
    const replay = conversation(fresh);
    replay.start(RFC.clientFirst);
    assert.throws(() => replay.finish(recorded), /nonce does not match/);
    assert.equal(replay.username, undefined);
  });

  it('when a conversation is finished (or failed), a second client-final message on it is refused', () => {
    const scram = conversation();
    scram.start(RFC.clientFirst);
    assert.throws(() => scram.finish(RFC.clientFinal.replace('p=dHzb', 'p=AAAA')), ScramError);
    assert.throws(() => scram.finish(RFC.clientFinal), /no conversation in progress/);
  });

  it('when the client asks for channel binding or an authorisation identity, or names an unknown user, it is refused', () => {
    assert.throws(() => conversation().start('p=tls-unique,,n=user,r=abc'), /channel binding/);
    assert.throws(() => conversation().start('n,a=admin,n=user,r=abc'), /authorisation identity/);
    assert.throws(() => conversation().start('n,,n=root,r=abc'), /unknown user/);
    assert.throws(() => conversation().start('n,,r=abc'), /expected attribute 'n'/);
  });
});
