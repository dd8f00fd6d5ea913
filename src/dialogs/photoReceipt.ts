import { MAX_PHOTO_BYTES, MAX_PHOTOS_PER_REQUEST, PHOTO_TYPE_NAMES } from '../services/media/mediaPolicy';
import type { PhotoIntake } from './customerPhotos';

/** How many file names a refusal spells out before it says "and N more". */
const NAMED_FILES = 3;
const MAX_SHOWN_NAME = 60;

/**
 * The bot's brief answer to a message that carried files: what was kept for the repair request
 * and, kindly, what was not and why. Undefined when the message carried none.
 */
export function photoReceipt(intake: PhotoIntake, registering: boolean): string | undefined {
  if (!intake.received) return undefined;
  const parts: string[] = [];
  if (intake.kept > 0) {
    const photos = intake.kept === 1 ? 'photo' : `${intake.kept} photos`;
    const them = intake.kept === 1 ? 'it' : 'them';
    parts.push(
      registering
        ? `Got your ${photos}, I'll attach ${them} to your repair request.`
        : `Got your ${photos}, thanks. If your device needs a repair, I'll attach ${them} to the repair request.`,
    );
  } else if (intake.alreadyKept > 0) {
    parts.push(intake.alreadyKept === 1 ? 'I already have that photo.' : 'I already have those photos.');
  }
  if (intake.overLimit > 0) {
    parts.push(
      `A repair request can carry up to ${MAX_PHOTOS_PER_REQUEST} photos and I already have ${MAX_PHOTOS_PER_REQUEST}, so I didn't keep ${intake.overLimit === 1 ? 'the last one' : `the last ${intake.overLimit}`}.`,
    );
  }
  if (intake.refused.length > 0) {
    parts.push(
      `Sorry, I can only attach photos (${PHOTO_TYPE_NAMES}), so I couldn't keep ${refusedFiles(intake.refused)}. A photo or a screenshot of it works fine.`,
    );
  }
  if (intake.unusable > 0) {
    parts.push(
      `Sorry, I couldn't keep ${intake.unusable === 1 ? 'one of the photos' : `${intake.unusable} of the photos`}. Please send ${intake.unusable === 1 ? 'it' : 'them'} again, each at most ${MAX_PHOTO_BYTES / 1024 / 1024} MB.`,
    );
  }
  return parts.join(' ');
}

function refusedFiles(names: readonly string[]): string {
  const named = names.filter((name) => name !== '');
  if (named.length === 0) return names.length === 1 ? 'that file' : 'those files';
  const shown = named
    .slice(0, NAMED_FILES)
    .map((name) => `"${name.length > MAX_SHOWN_NAME ? `${name.slice(0, MAX_SHOWN_NAME - 1)}…` : name}"`);
  const more = names.length - shown.length;
  const list =
    shown.length === 1
      ? shown[0]
      : `${shown.slice(0, -1).join(', ')}${more > 0 ? ', ' : ' and '}${shown.at(-1)!}`;
  return more > 0 ? `${list} and ${more} more` : list;
}
