/**
 * Area counts ("37 people nearby", DESIGN section 5): how many people share a live beacon around a
 * point, never who. People are counted by their coarse point, and below k (LO_AREA_K) the answer is
 * only "few", so a count cannot single anyone out; a rate rule (`area`) bounds how fast anyone can
 * probe for changes. The asker is not counted.
 */
import { GEO_LIMITS, type AreaCount } from '@lo/protocol';
import { LoError } from '../../errors/lo-error.js';
import type { Clock } from '../../util/time.js';
import { rateLimited } from '../rate-limit-error.js';
import type { RateLimiter, RateRule } from '../rate-rules.js';
import type { Store } from '../store.js';
import { BEACON_TTL_MS } from './beacon-visibility.js';

export interface AreaQuery {
  lat: number;
  lng: number;
  /** Metres, GEO_LIMITS.areaRadiusMinM to GEO_LIMITS.areaRadiusMaxM. */
  radius: number;
}

export interface AreaSettings {
  /** Smallest count given as a number (k-anonymity); below it the answer is "few". */
  k: number;
  /** Area queries per user (rate rule `area`), over HTTP and WebSocket together. */
  rule: RateRule;
}

export class AreaService {
  constructor(
    private readonly store: Store,
    private readonly limiter: RateLimiter,
    private readonly clock: Clock,
    private readonly settings: AreaSettings,
  ) {}

  async count(userId: string, query: AreaQuery): Promise<AreaCount> {
    // Both transports bound the radius already; this keeps the rule for any other caller.
    if (!(query.radius >= GEO_LIMITS.areaRadiusMinM && query.radius <= GEO_LIMITS.areaRadiusMaxM)) {
      throw new LoError('validation_failed', `radius must be ${GEO_LIMITS.areaRadiusMinM}-${GEO_LIMITS.areaRadiusMaxM} metres.`, {
        errors: [{ path: '/radius', message: 'out of bounds' }],
      });
    }
    const { rule, k } = this.settings;
    const decision = await this.limiter.consume(`area:${userId}`, rule);
    if (!decision.allowed) throw rateLimited(rule, decision);
    const now = this.clock.now();
    const count = await this.store.beacons.count({
      lat: query.lat,
      lng: query.lng,
      radiusM: query.radius,
      since: now - BEACON_TTL_MS,
      now,
      exclude: userId,
    });
    return { count: count < k ? 'few' : count };
  }
}
