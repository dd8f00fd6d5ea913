import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/services/logging/logger';

/** A real logger whose lines are kept in memory, so tests stay quiet and can assert on what was logged. */
export function memoryLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(
        ...chunk
          .toString()
          .split('\n')
          .filter((line) => line !== ''),
      );
      callback();
    },
  });
  return { logger: createLogger({ level: 'debug', destination }), lines };
}
