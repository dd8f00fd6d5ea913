import { strict as assert } from 'node:assert';
import { SMS_MAX_LENGTH, splitForSms, toSmsText } from '../../../src/dialogs/rendering/smsText';

describe('SMS text', () => {
  it('when the text has curly quotes, dashes and bullets, it uses their plain forms so the SMS stays GSM-7', () => {
    assert.equal(toSmsText('It’s “fixed” – see • step 1…'), 'It\'s "fixed" - see - step 1...');
  });

  it('when the text fits, it is one message', () => {
    assert.deepEqual(splitForSms('short'), ['short']);
  });

  it('when the text is longer than 1,600 characters, it splits at paragraph breaks and no part is too long', () => {
    const paragraph = `${'word '.repeat(150).trim()}.`;
    const text = [paragraph, paragraph, paragraph, paragraph, paragraph].join('\n\n');
    const parts = splitForSms(text);
    assert.ok(parts.length >= 3);
    for (const part of parts) assert.ok(part.length <= SMS_MAX_LENGTH, `part of ${part.length} characters`);
    assert.equal(parts.join(' ').replace(/\s+/g, ' '), text.replace(/\s+/g, ' '));
    assert.ok(
      parts.every((part) => part.endsWith('.')),
      'each part ends at a paragraph end',
    );
  });

  it('when there is no break at all, it still cuts at the limit', () => {
    const parts = splitForSms('x'.repeat(4000));
    assert.deepEqual(
      parts.map((part) => part.length),
      [1600, 1600, 800],
    );
  });
});
