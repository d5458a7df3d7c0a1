/**
 * Named rate limits. Every write route and every probe-like read (the nearby feed, location reports)
 * consumes one of these, keyed by user when authenticated and by client IP otherwise. Deployments
 * override quotas with LO_RATE_LIMITS (`name=points/seconds,...`).
 */
import { GEO_LIMITS } from '@lo/protocol';

export interface RateRule {
  readonly name: string;
  /** Requests allowed per window. */
  readonly points: number;
  /** Window length in seconds. */
  readonly durationS: number;
}

export const DEFAULT_RATE_RULES = {
  signup: { name: 'signup', points: 10, durationS: 3600 },
  login_ip: { name: 'login_ip', points: 30, durationS: 300 },
  /** Login attempts for one account from one IP (a successful login clears them). */
  login_account_ip: { name: 'login_account_ip', points: 5, durationS: 900 },
  /** Login attempts for one account from IPs it has never had a session from. */
  login_account: { name: 'login_account', points: 20, durationS: 3600 },
  refresh: { name: 'refresh', points: 60, durationS: 60 },
  write: { name: 'write', points: 120, durationS: 60 },
  post: { name: 'post', points: 30, durationS: 60 },
  report: { name: 'report', points: 10, durationS: 3600 },
  /** Nearby queries and location reports: both are position probes (DESIGN section 7). */
  probe: { name: 'probe', points: 60, durationS: 60 },
  /** Chat publishes per user, over HTTP and WebSocket together. */
  publish: { name: 'publish', points: 20, durationS: 1 },
  /** Typing indicators per user and channel. */
  typing: { name: 'typing', points: 2, durationS: 2 },
  /** Presence state changes per user. */
  presence: { name: 'presence', points: 10, durationS: 10 },
  /** Status changes (online/idle) per user. */
  status: { name: 'status', points: 20, durationS: 60 },
  /** Live beacons (`loc`) per user: one per GEO_LIMITS.beaconMinIntervalS (a window opens on an accepted one). */
  beacon: { name: 'beacon', points: 1, durationS: GEO_LIMITS.beaconMinIntervalS },
  /** Area counts per user, over HTTP and WebSocket together: each is a probe of where people are. */
  area: { name: 'area', points: 10, durationS: 60 },
} as const satisfies Record<string, RateRule>;

export type RateRuleName = keyof typeof DEFAULT_RATE_RULES;
export type RateRules = Record<RateRuleName, RateRule>;

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Milliseconds until the window resets (and, when refused, until a retry can succeed). */
  resetMs: number;
}

/**
 * Counts consumption per key and rule. Implementations: in-memory (one node) and Redis (shared by
 * every node). Keys must not be user-controlled without a prefix.
 */
export interface RateLimiter {
  consume(key: string, rule: RateRule, cost?: number): Promise<RateDecision>;
  reset(key: string, rule: RateRule): Promise<void>;
  close(): Promise<void>;
}
