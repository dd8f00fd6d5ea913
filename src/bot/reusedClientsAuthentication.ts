import {
  AuthenticationConstants,
  ConnectorFactory,
  type AuthenticateRequestResult,
  type ClaimsIdentity,
  type ConnectorClient,
  type UserTokenClient,
} from 'botframework-connector';
import type { Activity } from 'botbuilder';
import { DelegatingAuthentication } from './delegatingAuthentication';

/** Distinct (app id, service URL, audience) clients kept; channels and regions give a handful. */
const MAX_CLIENTS = 64;

/**
 * CloudAdapter builds a ConnectorClient and a UserTokenClient (each an HTTP pipeline, plus
 * credentials) for every turn, and most turns use neither. This wrapper hands out one of each per
 * app id, service URL and audience instead; the clients hold no per-turn state, and the credentials
 * inside them cache and renew their own tokens. Authentication itself is untouched: every request is
 * still checked by the wrapped authentication.
 *
 * Clients for inbound requests and for proactive messages are kept apart, because the wrapped
 * authentication may build them differently for the same service URL (the local Direct Line signs
 * only its own proactive clients: see LocalConnectorAuthentication).
 */
export class ReusedClientsAuthentication extends DelegatingAuthentication {
  private readonly inboundClients = new ClientCache<ConnectorClient>();
  private readonly proactiveClients = new ClientCache<ConnectorClient>();
  private readonly userTokenClients = new ClientCache<UserTokenClient>();

  override async authenticateRequest(
    activity: Activity,
    authHeader: string,
  ): Promise<AuthenticateRequestResult> {
    const result = await this.inner.authenticateRequest(activity, authHeader);
    if (!result.connectorFactory) return result;
    return {
      ...result,
      connectorFactory: new ReusingConnectorFactory(
        result.connectorFactory,
        this.inboundClients,
        appIdOf(result.claimsIdentity),
      ),
    };
  }

  override createConnectorFactory(claimsIdentity: ClaimsIdentity): ConnectorFactory {
    return new ReusingConnectorFactory(
      this.inner.createConnectorFactory(claimsIdentity),
      this.proactiveClients,
      appIdOf(claimsIdentity),
    );
  }

  override createUserTokenClient(claimsIdentity: ClaimsIdentity): Promise<UserTokenClient> {
    return this.userTokenClients.get(appIdOf(claimsIdentity) ?? '', () =>
      this.inner.createUserTokenClient(claimsIdentity),
    );
  }
}

class ReusingConnectorFactory extends ConnectorFactory {
  constructor(
    private readonly inner: ConnectorFactory,
    private readonly clients: ClientCache<ConnectorClient>,
    private readonly appId: string | undefined,
  ) {
    super();
  }

  override create(serviceUrl: string, audience?: string): Promise<ConnectorClient> {
    // The SDK's factories build the same client from these three (the app id comes from the claims).
    const key = JSON.stringify([this.appId ?? '', serviceUrl, audience ?? '']);
    return this.clients.get(key, () => this.inner.create(serviceUrl, audience));
  }
}

/** Bounded, least recently used first out; a failed creation is not kept. */
class ClientCache<T> {
  private readonly entries = new Map<string, Promise<T>>();

  get(key: string, create: () => Promise<T>): Promise<T> {
    const existing = this.entries.get(key);
    if (existing) {
      this.entries.delete(key);
      this.entries.set(key, existing);
      return existing;
    }
    const created = create();
    this.entries.set(key, created);
    created.catch(() => {
      if (this.entries.get(key) === created) this.entries.delete(key);
    });
    if (this.entries.size > MAX_CLIENTS) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    return created;
  }
}

/** The app id the SDK builds clients for: the audience claim (channels), else the app id claim (Emulator). */
function appIdOf(claimsIdentity: ClaimsIdentity): string | undefined {
  return (
    claimsIdentity.getClaimValue(AuthenticationConstants.AudienceClaim) ??
    claimsIdentity.getClaimValue(AuthenticationConstants.AppIdClaim) ??
    undefined
  );
}
