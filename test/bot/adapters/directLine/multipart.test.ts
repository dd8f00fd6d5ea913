import assert from 'node:assert/strict';
import { multipartBoundary, parseMultipart } from '../../../../src/bot/adapters/directLine/multipart';
import { ValidationError } from '../../../../src/services/errors';

describe('multipart/form-data parsing', () => {
  it('when a browser FormData body arrives, it yields each part with its name, file name, type and exact bytes', () => {
    const binary = Buffer.from([0, 13, 10, 45, 45, 255]);
    const body = Buffer.concat([
      Buffer.from(
        '--XyZ\r\nContent-Disposition: form-data; name="activity"; filename="blob"\r\nContent-Type: application/vnd.microsoft.activity\r\n\r\n{"type":"message"}\r\n',
      ),
      Buffer.from(
        '--XyZ\r\nContent-Disposition: form-data; name="file"; filename="LED photo.jpg"\r\nContent-Type: image/jpeg\r\n\r\n',
      ),
      binary,
      Buffer.from('\r\n--XyZ--\r\n'),
    ]);

    const parts = parseMultipart(body, multipartBoundary('multipart/form-data; boundary=XyZ'));

    assert.equal(parts.length, 2);
    assert.deepEqual(
      parts.map((p) => [p.name, p.filename, p.contentType]),
      [
        ['activity', 'blob', 'application/vnd.microsoft.activity'],
        ['file', 'LED photo.jpg', 'image/jpeg'],
      ],
    );
    assert.equal(parts[0].data.toString(), '{"type":"message"}');
    assert.ok(parts[1].data.equals(binary));
  });

  it('when the content type is not multipart or has no boundary, it is a validation error', () => {
    assert.throws(() => multipartBoundary('application/json'), ValidationError);
    assert.throws(() => multipartBoundary('multipart/form-data'), ValidationError);
    assert.equal(multipartBoundary('multipart/form-data; boundary="quoted b"'), 'quoted b');
  });

  it('when the body is cut short or has no boundary, it is a validation error', () => {
    assert.throws(() => parseMultipart(Buffer.from('nothing here'), 'b'), ValidationError);
    assert.throws(
      () =>
        parseMultipart(
          Buffer.from('--b\r\nContent-Disposition: form-data; name="f"\r\n\r\nunterminated'),
          'b',
        ),
      ValidationError,
    );
    assert.throws(
      () => parseMultipart(Buffer.from('--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--'), 'b'),
      /no name/,
    );
  });
});
