import { createHmac } from 'node:crypto';

export const SMS_ID_SECRET_FILE = 'sms-id-secret';

/**
 * The ids an SMS customer's conversation and user state are kept under, keyed with a secret
 * (SMS_ID_SECRET or one generated into DATA_DIR): stable for a number, without the number in them,
 * and not computable from the number by anyone without the secret (a plain hash of a phone number is
 * reversed by trying every number in seconds).
 */
export class SmsIdentity {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = createHmac('sha256', secret).update('carlinkit-sms:ids').digest();
  }

  conversationId(phoneNumber: string): string {
    return `sms-${this.digest('conversation', phoneNumber)}`;
  }

  userId(phoneNumber: string): string {
    return `smsu-${this.digest('user', phoneNumber)}`;
  }

  /** A keyed digest of `value` for one purpose (other stores keying records by a number use it too). */
  digest(purpose: string, value: string): string {
    return createHmac('sha256', this.key).update(`${purpose}:${value}`).digest('hex').slice(0, 32);
  }
}
