import assert from 'node:assert/strict';
import { SMS_MAX_BODY_CHARS, splitSmsText } from '../../../src/services/sms/splitSmsText';

describe('splitSmsText', () => {
  it('when the text fits, it is one message, trimmed', () => {
    assert.deepEqual(splitSmsText('  Your ticket is RMA-1001.  '), ['Your ticket is RMA-1001.']);
  });

  it('when the text is empty, there is nothing to send', () => {
    assert.deepEqual(splitSmsText('   '), []);
  });

  it('when the text is longer than 1,600 characters, every part fits and the parts put together give the text back', () => {
    const text = Array.from(
      { length: 40 },
      (_, index) => `Sentence number ${index} explains one more step of the reset.`,
    )
      .join(' ')
      .repeat(2);
    const parts = splitSmsText(text, { maxMessages: 10 });
    assert.ok(parts.length > 1);
    for (const part of parts) assert.ok(part.length <= SMS_MAX_BODY_CHARS);
    assert.equal(parts.join(' '), text);
  });

  it('when there are paragraphs, it cuts between paragraphs rather than inside one', () => {
    const paragraph = 'x'.repeat(900);
    const parts = splitSmsText(`${paragraph}\n\n${paragraph}`);
    assert.deepEqual(parts, [paragraph, paragraph]);
  });

  it('when a sentence ends near the limit, it cuts after the full stop', () => {
    const first = `${'a '.repeat(40).trim()}.`;
    const parts = splitSmsText(`${first} ${'b'.repeat(30)}`, { maxChars: 100 });
    assert.equal(parts[0], first);
  });

  it('when there is no space at all, it cuts hard without splitting an emoji in two', () => {
    const text = `${'a'.repeat(99)}😀${'b'.repeat(50)}`;
    const parts = splitSmsText(text, { maxChars: 100 });
    assert.equal(parts[0], 'a'.repeat(99));
    assert.ok(parts[1]?.startsWith('😀'));
  });

  it('when the text needs more messages than allowed, the last one is shortened with an ellipsis', () => {
    const text = 'word '.repeat(2_000);
    const parts = splitSmsText(text, { maxMessages: 2 });
    assert.equal(parts.length, 2);
    assert.ok(parts[1].endsWith('…'));
    for (const part of parts) assert.ok(part.length <= SMS_MAX_BODY_CHARS);
  });

  it('when asked for more than 1,600 characters per message, it still keeps to 1,600', () => {
    const parts = splitSmsText('y '.repeat(2_000), { maxChars: 5_000 });
    for (const part of parts) assert.ok(part.length <= SMS_MAX_BODY_CHARS);
  });
});
