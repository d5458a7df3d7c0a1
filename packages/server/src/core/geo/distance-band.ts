import type { DistanceBand } from '@lo/protocol';

const BANDS: ReadonlyArray<readonly [number, DistanceBand]> = [
  [100, '<100 m'],
  [500, '<500 m'],
  [1_000, '<1 km'],
  [2_000, '<2 km'],
  [5_000, '<5 km'],
  [10_000, '<10 km'],
];

/** The band shown instead of an exact distance to anyone but the author (DESIGN section 7). */
export function distanceBand(distanceM: number): DistanceBand {
  for (const [limit, band] of BANDS) if (distanceM < limit) return band;
  return '>10 km';
}
