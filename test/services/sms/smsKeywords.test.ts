import assert from 'node:assert/strict';
import { classifySmsKeyword, keywordFromTwilioOptOutType } from '../../../src/services/sms/smsKeywords';

describe('SMS compliance keywords', () => {
  const table: Array<[string, boolean, ReturnType<typeof classifySmsKeyword>]> = [
    ['STOP', false, 'opt_out'],
    ['stop', false, 'opt_out'],
    ['  Stop!  ', false, 'opt_out'],
    ['stopall', false, 'opt_out'],
    ['Unsubscribe', false, 'opt_out'],
    ['cancel', false, 'opt_out'],
    ['End', false, 'opt_out'],
    ['QUIT', false, 'opt_out'],
    ['START', true, 'opt_in'],
    ['unstop', true, 'opt_in'],
    ['start', false, 'opt_in'],
    ['yes', true, 'opt_in'],
    ['yes', false, undefined],
    ['HELP', false, 'help'],
    ['info', true, 'help'],
    ['please stop', false, undefined],
    ['stop the music', false, undefined],
    ['help me reset my adapter', false, undefined],
    ['', false, undefined],
  ];
  for (const [text, optedOut, expected] of table) {
    it(`when the message is "${text}" from a number ${optedOut ? 'opted out' : 'subscribed'}, it is ${expected ?? 'an ordinary message'}`, () => {
      assert.equal(classifySmsKeyword(text, optedOut), expected);
    });
  }

  it('when Twilio reports OptOutType, it maps STOP/START/HELP and ignores anything else', () => {
    assert.equal(keywordFromTwilioOptOutType('STOP'), 'opt_out');
    assert.equal(keywordFromTwilioOptOutType('start'), 'opt_in');
    assert.equal(keywordFromTwilioOptOutType('HELP'), 'help');
    assert.equal(keywordFromTwilioOptOutType(undefined), undefined);
    assert.equal(keywordFromTwilioOptOutType('OTHER'), undefined);
  });
});
