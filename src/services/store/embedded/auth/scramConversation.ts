import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { hmac, type ScramCredential } from './scramCredential';

/** Why a SCRAM exchange failed; the client only ever hears "Authentication failed." */
export class ScramError extends Error {
  override name = 'ScramError';
}

/** `c-nonce` and `s-nonce`: printable ASCII without ',' (RFC 5802 §7). */
const NONCE = /^[\x21-\x2b\x2d-\x7e]+$/;
const SERVER_NONCE_BYTES = 24;

/**
 * The server side of one SCRAM-SHA-256 exchange (RFC 5802 §5 with SHA-256, RFC 7677), in MongoDB's
 * two steps: `saslStart` carries the client-first message and gets the server-first one;
 * `saslContinue` carries the client-final message (with the proof) and gets the server signature.
 * No channel binding (MongoDB has none over plain TCP) and no authorisation identity.
 */
export class ScramConversation {
  private clientFirstBare = '';
  private gs2Header = '';
  private serverFirst = '';
  private nonce = '';
  private state: 'new' | 'started' | 'finished' = 'new';
  private credential: ScramCredential | undefined;

  constructor(
    /** Finds the credential for a username (already unescaped), or undefined. */
    private readonly lookup: (username: string) => ScramCredential | undefined,
    /** The server's part of the nonce; fixed only to check against RFC 7677's example. */
    private readonly serverNonce: () => string = () => randomBytes(SERVER_NONCE_BYTES).toString('base64'),
  ) {}

  /** The authenticated user, once `finish` has succeeded. */
  get username(): string | undefined {
    return this.state === 'finished' ? this.credential?.username : undefined;
  }

  /** client-first-message → server-first-message. */
  start(clientFirst: string): string {
    if (this.state !== 'new') throw new ScramError('conversation already started');
    const match = /^([ny]|p=[^,]*),(a=[^,]*)?,(.*)$/s.exec(clientFirst);
    if (!match) throw new ScramError('malformed client-first message');
    const [, binding, authzid, bare] = match;
    if (binding.startsWith('p=')) throw new ScramError('channel binding is not supported');
    if (authzid) throw new ScramError('an authorisation identity is not supported');
    const attributes = bare.split(',');
    const name = attribute(attributes[0], 'n');
    const clientNonce = attribute(attributes[1], 'r');
    if (!NONCE.test(clientNonce)) throw new ScramError('malformed client nonce');
    const credential = this.lookup(unescapeUsername(name));
    if (!credential) throw new ScramError('unknown user');
    this.credential = credential;
    this.gs2Header = `${binding},${authzid ?? ''},`;
    this.clientFirstBare = bare;
    this.nonce = clientNonce + this.serverNonce();
    this.serverFirst = `r=${this.nonce},s=${credential.salt.toString('base64')},i=${credential.iterations}`;
    this.state = 'started';
    return this.serverFirst;
  }

  /** client-final-message → server-final-message (`v=ServerSignature`); throws on a wrong proof. */
  finish(clientFinal: string): string {
    const credential = this.credential;
    if (this.state !== 'started' || !credential) throw new ScramError('no conversation in progress');
    // Whatever happens next, this conversation can't be continued or retried.
    this.state = 'new';
    this.credential = undefined;
    const proofAt = clientFinal.lastIndexOf(',p=');
    if (proofAt < 0) throw new ScramError('client-final message without proof');
    const withoutProof = clientFinal.slice(0, proofAt);
    const proof = Buffer.from(clientFinal.slice(proofAt + 3), 'base64');
    const attributes = withoutProof.split(',');
    const binding = Buffer.from(attribute(attributes[0], 'c'), 'base64').toString('utf8');
    if (binding !== this.gs2Header) throw new ScramError('channel binding does not match');
    if (attribute(attributes[1], 'r') !== this.nonce) throw new ScramError('nonce does not match');

    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const clientSignature = hmac(credential.storedKey, authMessage);
    if (proof.length !== clientSignature.length) throw new ScramError('malformed proof');
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i] ^ clientSignature[i];
    const storedKey = createHash('sha256').update(clientKey).digest();
    if (!timingSafeEqual(storedKey, credential.storedKey)) throw new ScramError('wrong password');
    this.credential = credential;
    this.state = 'finished';
    return `v=${hmac(credential.serverKey, authMessage).toString('base64')}`;
  }
}

function attribute(part: string | undefined, name: string): string {
  if (part === undefined || !part.startsWith(`${name}=`))
    throw new ScramError(`expected attribute '${name}'`);
  return part.slice(name.length + 1);
}

/** saslname: ',' and '=' travel as '=2C' and '=3D'; any other '=' is malformed. */
function unescapeUsername(name: string): string {
  if (/=(?!2C|3D)/.test(name)) throw new ScramError('malformed username');
  return name.replace(/=2C/g, ',').replace(/=3D/g, '=');
}
