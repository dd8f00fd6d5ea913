import assert from 'node:assert/strict';
import { loadConfig } from '../../../src/config';
import { ClientAddress } from '../../../src/bot/http/clientAddress';

function request(socket: string, forwardedFor?: string) {
  return {
    socket: { remoteAddress: socket },
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  };
}

const addressFor = (trustedProxies: string | undefined) =>
  new ClientAddress(
    loadConfig(trustedProxies === undefined ? {} : { TRUSTED_PROXIES: trustedProxies }).trustedProxies,
  );

describe('ClientAddress (the address every per-IP limit keys on)', () => {
  it('when TRUSTED_PROXIES is unset, it is the socket address whatever X-Forwarded-For says', () => {
    const address = addressFor(undefined);

    assert.equal(address.of(request('203.0.113.9', '198.51.100.1')), '203.0.113.9');
    assert.equal(address.of(request('::ffff:203.0.113.9')), '203.0.113.9');
  });

  it('when TRUSTED_PROXIES is a hop count, it is that many addresses from the right, and a spoofed left part is ignored', () => {
    const oneProxy = addressFor('1');

    // App Service appends the client with its port.
    assert.equal(oneProxy.of(request('10.0.0.5', '198.51.100.7:51234')), '198.51.100.7');
    assert.equal(oneProxy.of(request('10.0.0.5', 'made-up, 1.1.1.1, 198.51.100.7')), '198.51.100.7');
    assert.equal(oneProxy.of(request('10.0.0.5')), '10.0.0.5');
    assert.equal(addressFor('2').of(request('10.0.0.5', '1.1.1.1, 198.51.100.7, 10.0.0.4')), '198.51.100.7');
  });

  it('when TRUSTED_PROXIES is a CIDR list, X-Forwarded-For is read only through trusted proxies', () => {
    const address = addressFor('10.0.0.0/8, 2001:db8::/32');

    assert.equal(address.of(request('10.0.0.5', '1.1.1.1, 198.51.100.7, 10.1.2.3')), '198.51.100.7');
    assert.equal(address.of(request('2001:db8::1', '[2001:db8:ffff::2]:443, 198.51.100.7')), '198.51.100.7');
    // Straight from the internet: the header is the caller's own words.
    assert.equal(address.of(request('203.0.113.9', '10.0.0.1')), '203.0.113.9');
    // Through a proxy, with garbage where the client's address should be: the proxy is all we know.
    assert.equal(address.of(request('10.0.0.5', 'not-an-address')), '10.0.0.5');
  });

  it('when TRUSTED_PROXIES is not a count or a list of addresses, the configuration is refused', () => {
    assert.throws(() => loadConfig({ TRUSTED_PROXIES: '10.0.0.0/40' }), /TRUSTED_PROXIES/);
    assert.throws(() => loadConfig({ TRUSTED_PROXIES: 'proxy.internal' }), /TRUSTED_PROXIES/);
  });
});
