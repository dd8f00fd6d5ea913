import { browserCanShow } from '../../../services/media/mediaPolicy';
import { deriveKey, hmacBase64Url, safeEqual } from './secretKeys';
import type { DirectLineActivity } from './directLineStore';

const ATTACHMENT_PATH = /^\/v3\/directline\/conversations\/([A-Za-z0-9_-]+)\/attachments\/([A-Za-z0-9_-]+)$/;

/**
 * Links to uploaded photos. The stored activity (what the bot and the ticket see) holds the plain
 * URL, readable with the conversation's token or the back-office token. A browser's <img> cannot
 * send a bearer token, so activities delivered to the page carry a signed, expiring link instead,
 * and only for that conversation's own uploads.
 */
export class AttachmentLinks {
  private readonly key: Buffer;

  constructor(
    secret: string,
    private readonly publicBaseUrl: string,
    private readonly ttlSeconds: number,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.key = deriveKey(secret, 'attachment');
  }

  static path(conversationId: string, uploadId: string): string {
    return `/v3/directline/conversations/${conversationId}/attachments/${uploadId}`;
  }

  /** The URL the bot receives and the ticket keeps. */
  canonicalUrl(conversationId: string, uploadId: string): string {
    return `${this.publicBaseUrl}${AttachmentLinks.path(conversationId, uploadId)}`;
  }

  signedPath(conversationId: string, uploadId: string): string {
    const exp = Math.floor(this.now().getTime() / 1000) + this.ttlSeconds;
    return `${AttachmentLinks.path(conversationId, uploadId)}?exp=${exp}&sig=${this.signature(conversationId, uploadId, exp)}`;
  }

  verify(
    conversationId: string,
    uploadId: string,
    exp: string | undefined,
    sig: string | undefined,
  ): boolean {
    if (!exp || !sig || !/^\d{1,12}$/.test(exp)) return false;
    if (Number(exp) <= Math.floor(this.now().getTime() / 1000)) return false;
    return safeEqual(sig, this.signature(conversationId, uploadId, Number(exp)));
  }

  /** The activity as the page receives it: signed links to this conversation's uploads, no serviceUrl. */
  forClient(activity: DirectLineActivity, conversationId: string): DirectLineActivity {
    const { serviceUrl: _serviceUrl, ...rest } = activity;
    if (!activity.attachments?.length) return rest;
    return {
      ...rest,
      attachments: activity.attachments.map((attachment) => {
        const target = attachment.contentUrl ? this.uploadAt(attachment.contentUrl) : undefined;
        if (!target || target.conversationId !== conversationId) return attachment;
        const signed = this.signedPath(conversationId, target.uploadId);
        // Web Chat shows a customer's own upload as a picture only when it has a thumbnail
        // (otherwise as a file card); browsers cannot show HEIC, so those stay cards.
        return browserCanShow(attachment.contentType)
          ? { ...attachment, contentUrl: signed, thumbnailUrl: signed }
          : { ...attachment, contentUrl: signed };
      }),
    };
  }

  /** The upload a URL of ours names (any host: only the path is ours), or undefined. */
  uploadAt(url: string): { conversationId: string; uploadId: string } | undefined {
    let pathname: string;
    try {
      pathname = new URL(url, this.publicBaseUrl).pathname;
    } catch {
      return undefined;
    }
    const match = ATTACHMENT_PATH.exec(pathname);
    return match ? { conversationId: match[1], uploadId: match[2] } : undefined;
  }

  private signature(conversationId: string, uploadId: string, exp: number): string {
    return hmacBase64Url(this.key, `${conversationId}/${uploadId}/${exp}`);
  }
}
