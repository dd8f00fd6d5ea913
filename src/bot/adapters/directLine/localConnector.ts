import type { AddressInfo } from 'node:net';
import {
  AuthenticationConstants,
  ClaimsIdentity,
  ConnectorClient,
  ConnectorFactory,
  TokenCredentials,
  type AuthenticateRequestResult,
} from 'botframework-connector';
import { deriveKey, safeEqual } from './secretKeys';

/**
 * The Bot Connector side of the local Direct Line: the bot's replies to web chat conversations come
 * back over HTTP to this server's `/v3/conversations/...` routes (the activities' serviceUrl).
 *
 * Those routes must not let an outsider post "bot" messages into a customer's conversation, and in
 * Emulator mode (no MicrosoftAppId) the SDK's connector calls carry no credentials at all. So every
 * ConnectorClient aimed at our own serviceUrl is built here with a bearer key derived from the
 * Direct Line token secret (never sent anywhere else, never shown to a browser), and the routes
 * accept only that key. Requests that reach the bot through /api/messages get the SDK's own
 * connector factory and therefore never carry the key, even if they claim our serviceUrl.
 */
export class LocalConnector {
  private readonly key: string;
  private baseUrl: string | undefined;
  private client: { serviceUrl: string; client: ConnectorClient } | undefined;

  constructor(secret: string) {
    this.key = deriveKey(secret, 'connector').toString('base64url');
  }

  /** Set once the server listens: the loopback URL the bot reaches this process on. */
  bind(address: AddressInfo | string | null): void {
    if (!address || typeof address === 'string') return;
    const host =
      address.address === '0.0.0.0' || address.address === '::' || address.address === ''
        ? '127.0.0.1'
        : address.family === 'IPv6'
          ? `[${address.address}]`
          : address.address;
    this.baseUrl = `http://${host}:${address.port}`;
  }

  /** The serviceUrl stamped on activities sent to the bot. */
  get serviceUrl(): string {
    if (!this.baseUrl) throw new Error('LocalConnector: the server is not listening yet');
    return this.baseUrl;
  }

  isLocal(serviceUrl: string | undefined): boolean {
    return Boolean(serviceUrl && this.baseUrl && serviceUrl.replace(/\/+$/, '') === this.baseUrl);
  }

  /** True when the Authorization header carries this process's connector key. */
  authorizes(authorization: string | undefined): boolean {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    return Boolean(match?.[1] && safeEqual(match[1], this.key));
  }

  /**
   * A ConnectorClient for our own serviceUrl, carrying the connector key. One is kept and reused:
   * it holds no per-turn state, and building one (an HTTP pipeline) for every web chat turn costs.
   */
  createClient(serviceUrl: string): ConnectorClient {
    if (this.client?.serviceUrl !== serviceUrl)
      this.client = {
        serviceUrl,
        client: new ConnectorClient(new TokenCredentials(this.key), { baseUri: serviceUrl }),
      };
    return this.client.client;
  }

  /** The authentication result for turns the local Direct Line runs in-process (as CloudAdapter does for named pipes). */
  turnAuthentication(
    appId: string | undefined,
    fallback: ConnectorFactory | undefined,
  ): AuthenticateRequestResult {
    const claimsIdentity = appId
      ? new ClaimsIdentity(
          [
            { type: AuthenticationConstants.AudienceClaim, value: appId },
            { type: AuthenticationConstants.AppIdClaim, value: appId },
          ],
          true,
        )
      : new ClaimsIdentity([], AuthenticationConstants.AnonymousAuthType);
    return {
      audience: AuthenticationConstants.ToChannelFromBotOAuthScope,
      claimsIdentity,
      connectorFactory: this.factory(fallback),
    };
  }

  /** Our clients for our serviceUrl, `fallback`'s (the SDK's) for every other channel. */
  factory(fallback: ConnectorFactory | undefined): ConnectorFactory {
    return new LocalConnectorFactory(this, fallback);
  }
}

class LocalConnectorFactory extends ConnectorFactory {
  constructor(
    private readonly local: LocalConnector,
    private readonly fallback: ConnectorFactory | undefined,
  ) {
    super();
  }

  override create(serviceUrl: string, audience?: string): Promise<ConnectorClient> {
    if (this.local.isLocal(serviceUrl)) return Promise.resolve(this.local.createClient(serviceUrl));
    if (!this.fallback) return Promise.reject(new Error(`No connector for ${serviceUrl}`));
    return this.fallback.create(serviceUrl, audience);
  }
}
