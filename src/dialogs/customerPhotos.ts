import { ActivityTypes, type StatePropertyAccessor, type TurnContext } from 'botbuilder';
import { z } from 'zod';
import { declaredPhotoType, MAX_PHOTOS_PER_REQUEST } from '../services/media/mediaPolicy';
import { attachmentSchema, type Attachment } from '../services/tickets/types';

/** Photos not used by a registration within this time are forgotten (an SMS conversation never ends). */
export const PENDING_PHOTO_DAYS = 7;

const MAX_NAME = 200;

/** A photo waiting for the conversation's repair request; plain JSON, kept in conversation state. */
export interface PendingPhoto extends Attachment {
  receivedAt: string;
}

export interface PendingPhotos {
  photos: PendingPhoto[];
}

/** What one message brought, for the acknowledgement. */
export interface PhotoIntake {
  /** The message carried files at all. */
  received: boolean;
  /** Photos newly kept. */
  kept: number;
  /** Photos the conversation already had (same link). */
  alreadyKept: number;
  /** Photos left out because the conversation already has the most a request can carry. */
  overLimit: number;
  /** Names of the files that are not photos. */
  refused: string[];
  /** Photos that could not be kept (a link that is not http(s), larger than the policy allows…). */
  unusable: number;
  /** Photos pending after this message. */
  pending: number;
}

const nothing = (): PhotoIntake => ({
  received: false,
  kept: 0,
  alreadyKept: 0,
  overLimit: 0,
  refused: [],
  unusable: 0,
  pending: 0,
});

/** Activity attachments as any channel may send them: only files (with a link) are considered. */
const activityAttachmentsSchema = z.array(
  z
    .object({
      contentType: z.string().max(200).optional(),
      contentUrl: z.string().optional(),
      name: z.string().optional(),
    })
    .loose(),
);

/** Sizes the web chat upload route adds next to the attachments (Bot Framework attachments have none). */
const uploadSizesSchema = z
  .object({
    uploads: z.array(z.object({ url: z.string(), size: z.number() }).loose()),
  })
  .loose();

const storedSchema = z.object({
  photos: z.array(attachmentSchema.extend({ receivedAt: z.string() })),
});

/**
 * The photos (of the device, its LED, the serial label) a customer sends during a conversation,
 * kept in conversation state until a repair request takes them: de-duplicated by link, at most
 * MAX_PHOTOS_PER_REQUEST, each one already valid as a ticket attachment so a registration never fails
 * because of a photo.
 */
export class CustomerPhotos {
  constructor(
    private readonly state: StatePropertyAccessor<PendingPhotos>,
    private readonly now: () => Date,
  ) {}

  /** Keeps the photos this message carries. Touches no state when it carries no files. */
  async take(context: TurnContext): Promise<PhotoIntake> {
    const activity = context.activity;
    if (activity.type !== (ActivityTypes.Message as string) || !activity.attachments?.length)
      return nothing();
    const parsed = activityAttachmentsSchema.safeParse(activity.attachments);
    const files = parsed.success
      ? parsed.data.filter((attachment) => (attachment.contentUrl ?? '').trim() !== '')
      : [];
    if (files.length === 0) return nothing();

    const sizes = uploadSizes(activity.channelData);
    const photos = await this.load(context);
    const intake: PhotoIntake = { ...nothing(), received: true };
    const receivedAt = this.now().toISOString();
    for (const file of files) {
      const url = file.contentUrl!.trim();
      // Only the declared type is known here: the bytes stay with the channel (uploads were sniffed there).
      const contentType = declaredPhotoType(file.contentType);
      const name = file.name?.trim().slice(0, MAX_NAME) ?? '';
      if (!contentType) {
        intake.refused.push(name);
        continue;
      }
      if (photos.some((photo) => photo.url === url)) {
        intake.alreadyKept += 1;
        continue;
      }
      if (photos.length >= MAX_PHOTOS_PER_REQUEST) {
        intake.overLimit += 1;
        continue;
      }
      const size = sizes.get(url);
      const candidate = attachmentSchema.safeParse({
        name: name || `photo-${photos.length + 1}${extensionOf(contentType)}`,
        contentType,
        ...(size !== undefined ? { size } : {}),
        url,
      });
      if (!candidate.success) {
        intake.unusable += 1;
        continue;
      }
      photos.push({ ...candidate.data, receivedAt });
      intake.kept += 1;
    }
    intake.pending = photos.length;
    if (intake.kept > 0) await this.state.set(context, { photos });
    return intake;
  }

  /** The photos waiting for a repair request, as ticket attachments. */
  async pending(context: TurnContext): Promise<Attachment[]> {
    return (await this.load(context)).map(({ receivedAt: _receivedAt, ...attachment }) => attachment);
  }

  /** After a registration took them. */
  async clear(context: TurnContext): Promise<void> {
    await this.state.set(context, { photos: [] });
  }

  private async load(context: TurnContext): Promise<PendingPhoto[]> {
    const stored = storedSchema.safeParse(await this.state.get(context, { photos: [] }));
    if (!stored.success) return [];
    const oldest = this.now().getTime() - PENDING_PHOTO_DAYS * 24 * 60 * 60 * 1000;
    return stored.data.photos.filter((photo) => Date.parse(photo.receivedAt) >= oldest);
  }
}

function uploadSizes(channelData: unknown): Map<string, number> {
  const parsed = uploadSizesSchema.safeParse(channelData);
  return new Map(parsed.success ? parsed.data.uploads.map((upload) => [upload.url, upload.size]) : []);
}

function extensionOf(contentType: string): string {
  const subtype = contentType.slice('image/'.length);
  return `.${subtype === 'jpeg' ? 'jpg' : subtype}`;
}
