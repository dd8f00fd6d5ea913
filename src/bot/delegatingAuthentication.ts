import {
  BotFrameworkAuthentication,
  type AuthenticateRequestResult,
  type BotFrameworkClient,
  type ClaimsIdentity,
  type ConnectorFactory,
  type UserTokenClient,
} from 'botframework-connector';
import type { Activity } from 'botbuilder';

/**
 * A BotFrameworkAuthentication that hands every call to another one. The SDK's class is abstract
 * with no delegating form; wrappers extend this and override only what they change.
 */
export class DelegatingAuthentication extends BotFrameworkAuthentication {
  constructor(protected readonly inner: BotFrameworkAuthentication) {
    super();
  }

  override authenticateRequest(activity: Activity, authHeader: string): Promise<AuthenticateRequestResult> {
    return this.inner.authenticateRequest(activity, authHeader);
  }

  override authenticateStreamingRequest(
    authHeader: string,
    channelIdHeader: string,
  ): Promise<AuthenticateRequestResult> {
    return this.inner.authenticateStreamingRequest(authHeader, channelIdHeader);
  }

  override createConnectorFactory(claimsIdentity: ClaimsIdentity): ConnectorFactory {
    return this.inner.createConnectorFactory(claimsIdentity);
  }

  override createUserTokenClient(claimsIdentity: ClaimsIdentity): Promise<UserTokenClient> {
    return this.inner.createUserTokenClient(claimsIdentity);
  }

  override createBotFrameworkClient(): BotFrameworkClient {
    return this.inner.createBotFrameworkClient();
  }

  override getOriginatingAudience(): string {
    return this.inner.getOriginatingAudience();
  }

  override authenticateChannelRequest(authHeader: string): Promise<ClaimsIdentity> {
    return this.inner.authenticateChannelRequest(authHeader);
  }
}
