import { LoError } from './lo-error.js';

/** Seconds a client waits before retrying: dependencies reconnect with backoff of at most ~2 s. */
const RETRY_AFTER_S = 2;

/**
 * The error for a dependency this node cannot reach right now (the database, the broker): HTTP 503
 * `unavailable` with Retry-After, a WebSocket error reply with `retry_after`. The cause (the driver's
 * error) is kept for the log and never shown to the client.
 */
export function unavailable(dependency: 'database' | 'broker' | 'presence', cause: unknown): LoError {
  return new LoError('unavailable', `The ${dependency} cannot be reached; retry shortly.`, { retryAfter: RETRY_AFTER_S, cause });
}
