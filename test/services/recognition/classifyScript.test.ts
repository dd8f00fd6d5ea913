import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { projectPath } from '../../../src/services/projectPath';

interface Classified {
  text: string;
  intent: string;
  confidence: number;
  entities: Array<{ kind: string; text: string; value: string; start: number; end: number }>;
}

/** Runs `npm run --silent classify` exactly as a user would, feeding `input` on stdin. */
function runClassify(input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'classify'], {
      cwd: projectPath(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('npm run --silent classify', () => {
  it('prints one JSON object per input line, in order, with text, intent, confidence and entities, and nothing else', async () => {
    const input =
      [
        'hw long 4 repair',
        'wont conect to my VW, ticket ck-a1b2c3d4',
        '',
        'whats the weather tomorrow',
        'héllo 👋 "quotes" \\ backslash',
      ].join('\n') + '\n';

    const { code, stdout, stderr } = await runClassify(input);

    assert.equal(code, 0, stderr);
    const lines = stdout.split('\n');
    assert.equal(lines.pop(), '', 'output ends with a newline');
    assert.equal(lines.length, 5);
    const results = lines.map((line) => JSON.parse(line) as Classified);
    assert.deepEqual(
      results.map((result) => Object.keys(result)),
      results.map(() => ['text', 'intent', 'confidence', 'entities']),
    );
    assert.deepEqual(
      results.map((result) => result.text),
      input.split('\n').slice(0, 5),
    );
    assert.equal(results[0]?.intent, 'faq_turnaround');
    assert.equal(results[1]?.intent, 'troubleshoot_connection');
    assert.deepEqual(
      results[1]?.entities.map((entity) => [entity.kind, entity.value]),
      [
        ['car_make', 'Volkswagen'],
        ['ticket_number', 'CK-A1B2C3D4'],
      ],
    );
    assert.equal(results[2]?.intent, 'none');
    assert.equal(results[3]?.intent, 'none');
    for (const result of results) assert.ok(result.confidence >= 0 && result.confidence <= 1);
  });

  it('when stdin is empty, it prints nothing and exits 0', async () => {
    const { code, stdout } = await runClassify('');

    assert.equal(code, 0);
    assert.equal(stdout, '');
  });

  it('when lines end with CRLF, the carriage return is not part of the text', async () => {
    const { stdout } = await runClassify('thanks\r\nbye\r\n');

    assert.deepEqual(
      stdout
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as Classified).text),
      ['thanks', 'bye'],
    );
  });
});
