import { SmsSendError, type SmsMessage, type SmsSender } from './smsSender';

/**
 * The SMS sender while no provider is configured: every send fails as temporary ('not_configured'),
 * so the dispatcher keeps notifications queued until Twilio is set up instead of dropping them.
 */
export class UnconfiguredSmsSender implements SmsSender {
  send(_message: SmsMessage): Promise<{ providerMessageId: string }> {
    return Promise.reject(
      new SmsSendError(
        'SMS is not configured (TWILIO_ACCOUNT_SID and friends are unset)',
        'not_configured',
        true,
      ),
    );
  }
}
