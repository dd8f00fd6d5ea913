import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '../../../src/services/logging/logger';
import { redactText } from '../../../src/services/logging/redact';

function captureLogger(): {
  logger: ReturnType<typeof createLogger>;
  lines: () => Array<Record<string, unknown>>;
} {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const logger = createLogger({ level: 'info', destination });
  return {
    logger,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('logging', () => {
  it('when a message contains a phone number or an e-mail, the line masks them', () => {
    const { logger, lines } = captureLogger();
    logger.info('customer +86 138 0013 8000 wrote from li.wei@example.com');
    const [line] = lines();
    const text = JSON.stringify(line);
    assert.ok(!text.includes('138 0013 8000'), text);
    assert.ok(!text.includes('li.wei@example.com'), text);
    assert.match(String(line?.msg), /\[phone …00\]/);
  });

  it('when fields hold personal data or secrets, they are masked by name and the rest is kept', () => {
    const { logger, lines } = captureLogger();
    logger.info(
      {
        conversationId: 'conv-1',
        customer: { name: 'Li Wei', phone: '+8613800138000', email: 'li@example.com' },
        returnAddress: { line1: '1 Main St', city: 'Huizhou' },
        authorization: 'Bearer abc',
        text: 'my number is 0044 7700 900123',
      },
      'registered',
    );
    const [line] = lines();
    const text = JSON.stringify(line);
    for (const secret of [
      'Li Wei',
      '+8613800138000',
      'li@example.com',
      '1 Main St',
      'Huizhou',
      'Bearer abc',
      '7700 900123',
    ]) {
      assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
    }
    assert.equal(line?.conversationId, 'conv-1');
  });

  it('when an error is logged, its message is redacted but its type is kept', () => {
    const { logger, lines } = captureLogger();
    logger.error({ err: new TypeError('cannot text +14155550100') }, 'failed');
    const [line] = lines();
    const err = line?.err as { type: string; message: string };
    assert.equal(err.type, 'TypeError');
    assert.ok(!err.message.includes('4155550100'));
  });

  it('when text has short numbers such as a quantity or a year, it leaves them alone', () => {
    assert.equal(
      redactText('bought 2 units in 2024, ticket CK-7K3P9QX'),
      'bought 2 units in 2024, ticket CK-7K3P9QX',
    );
  });
});
