import type { LocationReport, MyLocation } from '@lo/protocol';
import { LoError } from '../../errors/lo-error.js';
import { iso, type Clock } from '../../util/time.js';
import { isPlausibleMove } from '../geo/plausibility.js';
import type { LocationRecord, Store } from '../store.js';

/**
 * Every position a user gives (a location report, a nearby query, a post) passes through here: it is
 * checked against the last one for plausible speed and then becomes the last one. This is the probe
 * bound of DESIGN section 7: nobody can ask "what is visible from here" from places they cannot be.
 */
export class LocationService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly maxSpeedMps: number,
  ) {}

  async report(userId: string, report: LocationReport): Promise<LocationRecord> {
    const next: LocationRecord = { lat: report.lat, lng: report.lng, accuracy: report.accuracy ?? null, at: this.clock.now() };
    const previous = await this.store.locations.get(userId);
    if (!isPlausibleMove(previous, next, this.maxSpeedMps)) {
      throw new LoError('location_implausible');
    }
    await this.store.locations.set(userId, next);
    return next;
  }

  async current(userId: string): Promise<LocationRecord | null> {
    return this.store.locations.get(userId);
  }
}

export function myLocationView(location: LocationRecord): MyLocation {
  return { lat: location.lat, lng: location.lng, accuracy: location.accuracy, at: iso(location.at) };
}
