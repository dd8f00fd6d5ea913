import assert from 'node:assert/strict';
import { DirectLineTokens } from '../../../../src/bot/adapters/directLine/directLineTokens';
import { ForbiddenError, UnauthorizedError } from '../../../../src/services/errors';

describe('DirectLineTokens', () => {
  const secret = 's'.repeat(40);
  let now = new Date('2026-11-24T10:00:00Z');
  const tokens = new DirectLineTokens(secret, 600, () => now);

  beforeEach(() => {
    now = new Date('2026-11-24T10:00:00Z');
  });

  it('when a token is issued, it verifies back to its conversation, user and expiry', () => {
    const issued = tokens.issue('conversation-0001', 'dl_user0001');

    const claims = tokens.verifyFor(issued.token, 'conversation-0001');

    assert.equal(issued.expiresIn, 600);
    assert.deepEqual(claims, {
      conversationId: 'conversation-0001',
      userId: 'dl_user0001',
      scope: 'conversation',
      expiresAt: now.getTime() / 1000 + 600,
      sessionStartedAt: now.getTime() / 1000,
    });
  });

  describe('session lifetime (DIRECTLINE_SESSION_MAX_HOURS)', () => {
    const sessionTokens = new DirectLineTokens(secret, 600, () => now, 3600);
    const hour = 3600_000;

    it('when tokens are refreshed within the session, each one lives its full TTL (positive control)', () => {
      const first = sessionTokens.verify(sessionTokens.issue('conversation-0001', 'dl_user0001').token);
      now = new Date(now.getTime() + 5 * 60_000);

      const refreshed = sessionTokens.issue(
        'conversation-0001',
        'dl_user0001',
        'conversation',
        undefined,
        first.sessionStartedAt,
      );

      assert.equal(refreshed.expiresIn, 600);
      assert.equal(sessionTokens.verify(refreshed.token).sessionStartedAt, first.sessionStartedAt);
    });

    it('when the session nears its end, a refreshed token expires at the end of the session, not a TTL later', () => {
      const first = sessionTokens.verify(sessionTokens.issue('conversation-0001', 'dl_user0001').token);
      now = new Date(now.getTime() + hour - 120_000);

      const refreshed = sessionTokens.issue(
        'conversation-0001',
        'dl_user0001',
        'conversation',
        undefined,
        first.sessionStartedAt,
      );

      assert.equal(refreshed.expiresIn, 120);
    });

    it('when the session is over, refreshing is forbidden and so is a token issued before a lower limit was set', () => {
      const first = sessionTokens.verify(sessionTokens.issue('conversation-0001', 'dl_user0001').token);
      now = new Date(now.getTime() + hour);

      assert.throws(
        () =>
          sessionTokens.issue(
            'conversation-0001',
            'dl_user0001',
            'conversation',
            undefined,
            first.sessionStartedAt,
          ),
        (error: unknown) => error instanceof ForbiddenError && /time limit/.test(error.message),
      );
      now = new Date('2026-11-24T10:00:00Z');
      const longLived = tokens.issue('conversation-0001', 'dl_user0001', 'conversation', 7200).token;
      now = new Date(now.getTime() + hour + 1000);
      assert.equal(tokens.verify(longLived).conversationId, 'conversation-0001');
      assert.throws(() => sessionTokens.verify(longLived), ForbiddenError);
    });
  });

  it('when it is used for another conversation, it is forbidden', () => {
    const issued = tokens.issue('conversation-0001', 'dl_user0001');

    assert.throws(() => tokens.verifyFor(issued.token, 'conversation-0002'), ForbiddenError);
  });

  it('when its time is up, it is forbidden (not unauthorized), so clients refresh or restart', () => {
    const issued = tokens.issue('conversation-0001', 'dl_user0001');
    now = new Date(now.getTime() + 600_000);

    assert.throws(
      () => tokens.verify(issued.token),
      (error: unknown) => error instanceof ForbiddenError && /expired/.test(error.message),
    );
  });

  it('when signed with another secret or altered, it is unauthorized', () => {
    const other = new DirectLineTokens('t'.repeat(40), 600, () => now).issue(
      'conversation-0001',
      'dl_user0001',
    );
    const issued = tokens.issue('conversation-0001', 'dl_user0001');
    const [header, , signature] = issued.token.split('.');
    const altered = `${header}.${Buffer.from(JSON.stringify({ iss: 'carlinkit-directline', conv: 'conversation-0001', user: 'dl_admin', scp: 'conversation', iat: 0, exp: 9e9 })).toString('base64url')}.${signature}`;

    assert.throws(() => tokens.verify(other.token), UnauthorizedError);
    assert.throws(() => tokens.verify(altered), UnauthorizedError);
    assert.throws(() => tokens.verify('a.b'), UnauthorizedError);
    assert.throws(() => tokens.verify(undefined), UnauthorizedError);
  });

  it('when a stream token is used where a conversation token is needed, it is forbidden', () => {
    const stream = tokens.issue('conversation-0001', 'dl_user0001', 'stream', 60);

    assert.throws(() => tokens.verify(stream.token), ForbiddenError);
    assert.equal(tokens.verify(stream.token, 'stream').scope, 'stream');
  });
});
