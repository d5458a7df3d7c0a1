import { destination, type LatLng } from '../../packages/server/src/core/geo/haversine.js';
import type { Rng } from './random.js';

/** The ten cities most posts are made in, each with a gaussian spread around its centre. */
export const CITIES: ReadonlyArray<{ name: string; lat: number; lng: number }> = [
  { name: 'Paris', lat: 48.8566, lng: 2.3522 },
  { name: 'London', lat: 51.5074, lng: -0.1278 },
  { name: 'New York', lat: 40.7128, lng: -74.006 },
  { name: 'Tokyo', lat: 35.6762, lng: 139.6503 },
  { name: 'São Paulo', lat: -23.5505, lng: -46.6333 },
  { name: 'Lagos', lat: 6.5244, lng: 3.3792 },
  { name: 'Mumbai', lat: 19.076, lng: 72.8777 },
  { name: 'Sydney', lat: -33.8688, lng: 151.2093 },
  { name: 'Mexico City', lat: 19.4326, lng: -99.1332 },
  { name: 'Berlin', lat: 52.52, lng: 13.405 },
];

export const DISTRIBUTION = {
  /** Share of posts made in the cities; the rest are uniform over the sphere. */
  cityShare: 0.9,
  /** Per-city gaussian spread (metres, per axis), drawn once per city from this range. */
  sigmaMinM: 5_000,
  sigmaMaxM: 8_000,
  /** created_at is uniform over this window ending at seeding time. */
  windowDays: 30,
  radiusMinM: 300,
  radiusMaxM: 10_000,
  authors: 1_000,
  /** Query points: share placed in dense centres (within `centreSigmaM`), the rest in outskirts. */
  centreShare: 0.6,
  centreSigmaM: 2_000,
  outskirtsMinM: 10_000,
  outskirtsMaxM: 25_000,
} as const;

/** Each city's spread, fixed by the seed so reruns build the same data. */
export function citySigmas(rng: Rng): number[] {
  return CITIES.map(() => rng.range(DISTRIBUTION.sigmaMinM, DISTRIBUTION.sigmaMaxM));
}

/** A point whose offset from `centre` is gaussian with `sigmaM` on each axis. */
export function gaussianAround(centre: LatLng, sigmaM: number, rng: Rng): LatLng {
  const north = rng.gaussian() * sigmaM;
  const east = rng.gaussian() * sigmaM;
  const distance = Math.hypot(north, east);
  return destination(centre, Math.atan2(east, north), distance);
}

/** Uniform over the sphere. */
export function anywhere(rng: Rng): LatLng {
  const lat = (Math.asin(rng.range(-1, 1)) * 180) / Math.PI;
  return { lat, lng: rng.range(-180, 180) };
}

/** Where a post is made: in a city (most of the time) or anywhere on Earth. */
export function postPoint(rng: Rng, sigmas: readonly number[]): LatLng {
  if (rng.next() >= DISTRIBUTION.cityShare) return anywhere(rng);
  const index = rng.int(CITIES.length);
  return gaussianAround(CITIES[index]!, sigmas[index]!, rng);
}

/** A post radius: a mix of the common small radii and uniformly spread larger ones. */
export function postRadius(rng: Rng): number {
  const common = [300, 500, 1_000, 2_000, 5_000, 10_000];
  if (rng.next() < 0.5) return rng.pick(common);
  return Math.round(rng.range(DISTRIBUTION.radiusMinM, DISTRIBUTION.radiusMaxM));
}

export interface QueryPoint extends LatLng {
  city: string;
  area: 'centre' | 'outskirts';
}

/** Query points near the cities: dense centres and sparser outskirts, deterministic for a seed. */
export function queryPoints(count: number, rng: Rng): QueryPoint[] {
  const points: QueryPoint[] = [];
  for (let i = 0; i < count; i += 1) {
    const city = rng.pick(CITIES);
    if (rng.next() < DISTRIBUTION.centreShare) {
      points.push({ ...gaussianAround(city, DISTRIBUTION.centreSigmaM, rng), city: city.name, area: 'centre' });
    } else {
      const distance = rng.range(DISTRIBUTION.outskirtsMinM, DISTRIBUTION.outskirtsMaxM);
      points.push({ ...destination(city, rng.range(0, 2 * Math.PI), distance), city: city.name, area: 'outskirts' });
    }
  }
  return points;
}

export function describeDistribution(posts: number, sigmas: readonly number[]): string[] {
  const d = DISTRIBUTION;
  const citySigmaKm = CITIES.map((c, i) => `${c.name} ${((sigmas[i] ?? 0) / 1000).toFixed(1)} km`).join(', ');
  return [
    `${posts.toLocaleString('en-US')} geo posts by ${d.authors.toLocaleString('en-US')} authors (seeded PRNG: every run builds the same data).`,
    `${Math.round(d.cityShare * 100)} % in 10 cities, gaussian per axis with σ: ${citySigmaKm}; ${Math.round((1 - d.cityShare) * 100)} % uniform over the whole sphere.`,
    `created_at uniform over the ${d.windowDays} days before seeding, inserted in time order; no expiry; not deleted; all public.`,
    `Post radius: half from {300, 500, 1000, 2000, 5000, 10000} m, half uniform in ${d.radiusMinM}–${d.radiusMaxM} m. Public point = exact point.`,
    `Query points: ${Math.round(d.centreShare * 100)} % near a city centre (gaussian σ ${d.centreSigmaM / 1000} km), ${Math.round((1 - d.centreShare) * 100)} % in the outskirts (${d.outskirtsMinM / 1000}–${d.outskirtsMaxM / 1000} km out).`,
  ];
}
