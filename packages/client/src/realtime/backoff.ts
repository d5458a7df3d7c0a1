/** Reconnect delays. Both bounds are milliseconds. */
export interface ReconnectOptions {
  /** Smallest delay before a reconnect attempt, default 250 ms. */
  minDelayMs?: number;
  /** Largest delay, default 10 s. */
  maxDelayMs?: number;
}

export const RECONNECT_DEFAULTS = { minDelayMs: 250, maxDelayMs: 10_000 } as const;

/**
 * Exponential backoff with full jitter: attempt n waits a uniformly random time between `minDelayMs` and
 * `min(maxDelayMs, minDelayMs * 2^(n+1))`. The jitter spreads the reconnects of many clients after a server
 * restart instead of having them arrive in waves. `reset()` after a successful authentication.
 */
export class Backoff {
  private attempt = 0;
  readonly min: number;
  readonly max: number;

  constructor(
    options: ReconnectOptions = {},
    private readonly random: () => number = Math.random,
  ) {
    this.min = Math.max(0, options.minDelayMs ?? RECONNECT_DEFAULTS.minDelayMs);
    this.max = Math.max(this.min, options.maxDelayMs ?? RECONNECT_DEFAULTS.maxDelayMs);
  }

  /** The delay before the next attempt (and counts the attempt). */
  next(): number {
    // The exponent is capped so the product stays finite however long the outage lasts.
    const ceiling = Math.min(this.max, this.min * 2 ** Math.min(this.attempt + 1, 30));
    this.attempt++;
    return Math.round(this.min + this.random() * (ceiling - this.min));
  }

  reset(): void {
    this.attempt = 0;
  }
}
