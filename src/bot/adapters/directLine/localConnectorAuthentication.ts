import type { BotFrameworkAuthentication, ClaimsIdentity, ConnectorFactory } from 'botframework-connector';
import { DelegatingAuthentication } from '../../delegatingAuthentication';
import type { LocalConnector } from './localConnector';

/**
 * Wraps the adapter's BotFrameworkAuthentication so proactive messages (continueConversationAsync,
 * e.g. an agent's reply after a hand-off) to a web chat conversation reach the local connector with
 * its key. Inbound /api/messages requests keep the SDK's factory unchanged (see LocalConnector).
 */
export class LocalConnectorAuthentication extends DelegatingAuthentication {
  constructor(
    inner: BotFrameworkAuthentication,
    private readonly local: LocalConnector,
  ) {
    super(inner);
  }

  override createConnectorFactory(claimsIdentity: ClaimsIdentity): ConnectorFactory {
    return this.local.factory(this.inner.createConnectorFactory(claimsIdentity));
  }
}
