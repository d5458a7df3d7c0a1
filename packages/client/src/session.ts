import type { AuthResult } from '@lo/protocol';

/** Tokens the client holds after signup/login; hand them to `onTokens` to keep a user signed in. */
export interface Tokens {
  access_token: string;
  refresh_token: string;
  /** Epoch milliseconds when the access token expires. */
  expires_at: number;
}

export function tokensFrom(result: AuthResult, now: number = Date.now()): Tokens {
  return { access_token: result.access_token, refresh_token: result.refresh_token, expires_at: now + result.expires_in * 1000 };
}

/** Refresh this long before the access token expires, so no request is sent with a dying token. */
export const REFRESH_MARGIN_MS = 30_000;
