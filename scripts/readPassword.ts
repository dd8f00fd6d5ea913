import type { Readable, Writable } from 'node:stream';
import type { ReadStream } from 'node:tty';

/**
 * The password for a new account: the first line of `input` when it is piped (scripts,
 * `printf '%s\n' "$PW" | npm run agent:add …`), or typed twice at a hidden prompt on a terminal.
 * Never echoed: the terminal is put in raw mode and nothing is written for the typed characters.
 */
export async function readPassword(
  input: Readable & Partial<Pick<ReadStream, 'isTTY'>>,
  prompt: Writable,
): Promise<string> {
  if (!input.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of input) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    const [first = ''] = Buffer.concat(chunks).toString('utf8').split(/\r?\n/);
    if (first === '') throw new Error('no password on stdin (pipe it in, one line)');
    return first;
  }
  const tty = input as unknown as ReadStream;
  const first = await hiddenPrompt(tty, prompt, 'Password: ');
  const second = await hiddenPrompt(tty, prompt, 'Password again: ');
  if (first !== second) throw new Error('the two passwords differ: nothing was changed');
  return first;
}

function hiddenPrompt(tty: ReadStream, prompt: Writable, question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    prompt.write(question);
    let typed = '';
    tty.setRawMode(true);
    tty.resume();
    tty.setEncoding('utf8');
    const done = (error?: Error): void => {
      tty.removeListener('data', onData);
      tty.setRawMode(false);
      tty.pause();
      prompt.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (data: string): void => {
      for (const char of data) {
        if (char === '\r' || char === '\n') return done();
        if (char === '\u0003') return done(new Error('cancelled'));
        if (char === '\u007f' || char === '\b') typed = [...typed].slice(0, -1).join('');
        else if (char >= ' ') typed += char;
      }
    };
    tty.on('data', onData);
  });
}
