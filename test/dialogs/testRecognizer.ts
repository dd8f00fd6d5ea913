import { OfflineRecognizer } from '../../src/services/recognition/offlineRecognizer';
import type { Recognizer } from '../../src/services/recognition/recognizer';

let shared: Recognizer | undefined;

/** The real offline recognizer, built once for every dialog test (what the app runs without CLU). */
export function testRecognizer(): Promise<Recognizer> {
  shared ??= OfflineRecognizer.create();
  return Promise.resolve(shared);
}
