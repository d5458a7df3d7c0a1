import { haversineM } from './haversine.js';

/** A position report: where and when, with the device's accuracy in metres when it gave one. */
export interface Fix {
  lat: number;
  lng: number;
  at: number;
  accuracy: number | null;
}

/** GPS error tolerated on each side of a jump; capped so a claimed poor accuracy cannot buy big jumps. */
const BASE_SLACK_M = 100;
const MAX_ACCURACY_SLACK_M = 200;

/**
 * Whether moving from `prev` to `next` is physically plausible at `maxSpeedMps`. Refusing jumps is what
 * stops trilateration by teleporting probes (Bumble, KU Leuven: DESIGN section 7): an attacker must
 * really travel between probe points, which bounds how fast they can measure anyone.
 */
export function isPlausibleMove(prev: Fix | null, next: Fix, maxSpeedMps: number): boolean {
  if (prev === null) return true;
  const slack = BASE_SLACK_M + Math.min(prev.accuracy ?? 0, MAX_ACCURACY_SLACK_M) + Math.min(next.accuracy ?? 0, MAX_ACCURACY_SLACK_M);
  const distance = haversineM(prev.lat, prev.lng, next.lat, next.lng) - slack;
  if (distance <= 0) return true;
  const seconds = Math.max(1, (next.at - prev.at) / 1000);
  return distance / seconds <= maxSpeedMps;
}
