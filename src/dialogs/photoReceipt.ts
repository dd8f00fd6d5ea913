import { MAX_PHOTO_BYTES, MAX_PHOTOS_PER_REQUEST, PHOTO_TYPE_NAMES } from '../services/media/mediaPolicy';
import type { PhotoIntake } from './customerPhotos';
import type { Words } from './wording/dialogWording';

/** How many file names a refusal spells out before it says "and N more". */
const NAMED_FILES = 3;
const MAX_SHOWN_NAME = 60;

/**
 * The bot's brief answer to a message that carried files: what was kept for the repair request
 * and, kindly, what was not and why. Undefined when the message carried none.
 */
export function photoReceipt(words: Words, intake: PhotoIntake, registering: boolean): string | undefined {
  if (!intake.received) return undefined;
  const parts: string[] = [];
  if (intake.kept > 0) {
    parts.push(
      words.text(registering ? 'photos.kept' : 'photos.keptOutsideRegistration', { count: intake.kept }),
    );
  } else if (intake.alreadyKept > 0) {
    parts.push(words.text('photos.alreadyKept', { count: intake.alreadyKept }));
  }
  if (intake.overLimit > 0) {
    parts.push(words.text('photos.overLimit', { max: MAX_PHOTOS_PER_REQUEST, count: intake.overLimit }));
  }
  if (intake.refused.length > 0) {
    parts.push(
      words.text('photos.refused', { types: PHOTO_TYPE_NAMES, files: refusedFiles(words, intake.refused) }),
    );
  }
  if (intake.unusable > 0) {
    parts.push(
      words.text('photos.unusable', { count: intake.unusable, maxMegabytes: MAX_PHOTO_BYTES / 1024 / 1024 }),
    );
  }
  return parts.join(' ');
}

function refusedFiles(words: Words, names: readonly string[]): string {
  const named = names.filter((name) => name !== '');
  if (named.length === 0) return words.text('photos.unnamedFiles', { count: names.length });
  const shown = named
    .slice(0, NAMED_FILES)
    .map((name) => `"${name.length > MAX_SHOWN_NAME ? `${name.slice(0, MAX_SHOWN_NAME - 1)}…` : name}"`);
  const more = names.length - shown.length;
  if (more > 0) return words.text('photos.fileListMore', { names: shown.join(', '), more });
  return shown.length === 1
    ? shown[0]
    : words.text('photos.fileList', { names: shown.slice(0, -1).join(', '), last: shown.at(-1)! });
}
