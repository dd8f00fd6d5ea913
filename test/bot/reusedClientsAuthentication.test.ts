import assert from 'node:assert/strict';
import { ConfigurationBotFrameworkAuthentication, type Activity } from 'botbuilder';
import {
  AuthenticationConstants,
  ClaimsIdentity,
  ConnectorFactory,
  type ConnectorClient,
} from 'botframework-connector';
import { ReusedClientsAuthentication } from '../../src/bot/reusedClientsAuthentication';

const activity = (serviceUrl: string): Activity =>
  ({
    type: 'message',
    channelId: 'directline',
    serviceUrl,
    conversation: { id: 'conv-1' },
    from: { id: 'user-1' },
    recipient: { id: 'bot' },
  }) as Activity;

const botIdentity = (appId: string): ClaimsIdentity =>
  new ClaimsIdentity(
    [
      { type: AuthenticationConstants.AudienceClaim, value: appId },
      { type: AuthenticationConstants.AppIdClaim, value: appId },
    ],
    true,
  );

/** The SDK's authentication (Emulator mode: no app id), whose connector factory fails the first time it is asked. */
class FlakyFactoryAuthentication extends ConfigurationBotFrameworkAuthentication {
  attempts = 0;

  override createConnectorFactory(claimsIdentity: ClaimsIdentity): ConnectorFactory {
    const real = super.createConnectorFactory(claimsIdentity);
    const create = (serviceUrl: string, audience?: string): Promise<ConnectorClient> => {
      this.attempts += 1;
      return this.attempts === 1
        ? Promise.reject(new Error('token service unreachable'))
        : real.create(serviceUrl, audience);
    };
    return new (class extends ConnectorFactory {
      override create(serviceUrl: string, audience?: string): Promise<ConnectorClient> {
        return create(serviceUrl, audience);
      }
    })();
  }
}

describe('ReusedClientsAuthentication (one connector client per channel endpoint)', () => {
  it('when turns arrive from the same channel endpoint, they get the same connector client; another endpoint gets its own', async () => {
    const auth = new ReusedClientsAuthentication(new ConfigurationBotFrameworkAuthentication({}));
    const url = 'https://directline.example/';
    const clientFor = async (serviceUrl: string): Promise<ConnectorClient> => {
      const result = await auth.authenticateRequest(activity(serviceUrl), '');
      return result.connectorFactory!.create(serviceUrl, result.audience);
    };

    const first = await clientFor(url);
    const second = await clientFor(url);
    const other = await clientFor('https://sms.example/');

    assert.equal(first, second);
    assert.notEqual(first, other);
  });

  it('when a proactive message goes to the same endpoint, it gets a client of its own, never an inbound one', async () => {
    const auth = new ReusedClientsAuthentication(new ConfigurationBotFrameworkAuthentication({}));
    const url = 'https://directline.example/';
    const inbound = await auth.authenticateRequest(activity(url), '');
    const inboundClient = await inbound.connectorFactory!.create(url, inbound.audience);

    const proactive = auth.createConnectorFactory(inbound.claimsIdentity);
    const proactiveClient = await proactive.create(url, inbound.audience);

    assert.notEqual(proactiveClient, inboundClient);
    assert.equal(
      await auth.createConnectorFactory(inbound.claimsIdentity).create(url, inbound.audience),
      proactiveClient,
    );
  });

  it('when user token clients are asked for the same app id, it is the same client; another app id gets another', async () => {
    const auth = new ReusedClientsAuthentication(new ConfigurationBotFrameworkAuthentication({}));
    const anonymous = (await auth.authenticateRequest(activity('https://directline.example/'), ''))
      .claimsIdentity;

    const first = await auth.createUserTokenClient(anonymous);
    const second = await auth.createUserTokenClient(anonymous);

    assert.equal(first, second);
    assert.notEqual(await auth.createUserTokenClient(botIdentity('another-bot')), first);
  });

  it('when building a client fails, the failure is not kept: the next turn builds it again', async () => {
    const inner = new FlakyFactoryAuthentication({});
    const auth = new ReusedClientsAuthentication(inner);
    const factory = auth.createConnectorFactory(botIdentity(''));
    const url = 'https://directline.example/';

    await assert.rejects(factory.create(url), /token service unreachable/);
    const client = await factory.create(url);

    assert.ok(client);
    assert.equal(inner.attempts, 2);
    assert.equal(await factory.create(url), client);
  });
});
