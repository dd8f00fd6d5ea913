import { strict as assert } from 'node:assert';
import { DEFAULT_SCRYPT_PARAMS, PasswordHasher } from '../../../src/services/agents/passwordHasher';

describe('PasswordHasher (scrypt)', () => {
  const hasher = new PasswordHasher();

  it('when a password is hashed, the hash names scrypt and its parameters and does not contain the password', async () => {
    const hash = await hasher.hash('correct horse battery');
    const { N, r, p } = DEFAULT_SCRYPT_PARAMS;
    assert.match(hash, new RegExp(`^scrypt\\$${N}\\$${r}\\$${p}\\$[A-Za-z0-9+/=]+\\$[A-Za-z0-9+/=]+$`));
    assert.ok(!hash.includes('correct horse battery'));
  });

  it('when the same password is hashed twice, each hash has its own salt, and both verify', async () => {
    const [first, second] = await Promise.all([
      hasher.hash('same password 1'),
      hasher.hash('same password 1'),
    ]);
    assert.notEqual(first.split('$')[4], second.split('$')[4]);
    assert.equal(await hasher.verify('same password 1', first), true);
    assert.equal(await hasher.verify('same password 1', second), true);
  });

  it('when the password is wrong by one character, it does not verify (and the right one does)', async () => {
    const hash = await hasher.hash('correct horse battery');
    assert.equal(await hasher.verify('correct horse batterY', hash), false);
    assert.equal(await hasher.verify('correct horse battery', hash), true);
  });

  it('when a hash was made with older, cheaper parameters, it still verifies and is flagged for re-hashing', async () => {
    const old = await new PasswordHasher({ N: 2 ** 12, r: 8, p: 1 }).hash('an older password');
    assert.equal(await hasher.verify('an older password', old), true);
    assert.equal(hasher.needsRehash(old), true);
    assert.equal(hasher.needsRehash(await hasher.hash('an older password')), false);
  });

  it('when the stored hash is malformed or asks for absurd parameters, it verifies nothing and does not throw', async () => {
    const good = await hasher.hash('a good password');
    const salt = good.split('$')[4];
    const key = good.split('$')[5];
    for (const stored of [
      '',
      'plain text',
      `scrypt$${2 ** 30}$8$1$${salt}$${key}`,
      `scrypt$1000$8$1$${salt}$${key}`,
    ]) {
      assert.equal(await hasher.verify('a good password', stored), false, stored.slice(0, 20));
    }
    assert.equal(await hasher.verify('a good password', good), true);
  });
});
