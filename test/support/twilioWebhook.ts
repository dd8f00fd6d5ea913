import twilio from 'twilio';

export interface SignedPostOptions {
  /** Where the app listens, e.g. http://127.0.0.1:PORT. */
  localBaseUrl: string;
  /** What Twilio was configured with (PUBLIC_BASE_URL): the signature is computed over this. */
  publicBaseUrl: string;
  /** Path and query, e.g. /api/sms. */
  path: string;
  authToken: string;
  params: Record<string, string>;
  /** Replace the computed signature (undefined → signed correctly, null → header left out). */
  signature?: string | null;
}

/** POSTs a form the way Twilio does, signed with twilio's own helper. */
export async function postSignedTwilioForm(options: SignedPostOptions): Promise<Response> {
  const signature =
    options.signature === undefined
      ? twilio.getExpectedTwilioSignature(
          options.authToken,
          `${options.publicBaseUrl}${options.path}`,
          options.params,
        )
      : options.signature;
  const headers: Record<string, string> = {
    'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8',
    'User-Agent': 'TwilioProxy/1.1',
  };
  if (signature !== null) headers['X-Twilio-Signature'] = signature;
  return fetch(`${options.localBaseUrl}${options.path}`, {
    method: 'POST',
    headers,
    body: new URLSearchParams(options.params).toString(),
  });
}

let counter = 0;

/** A fresh, well-formed Twilio message SID (SM + 32 hex digits). */
export function messageSid(): string {
  counter += 1;
  return `SM${Date.now().toString(16).padStart(16, '0')}${counter.toString(16).padStart(16, '0')}`;
}
