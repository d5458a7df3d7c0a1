/**
 * The attacker's side of the privacy attack test: turning observations made from chosen points ("the
 * post was shown at band X", "it was not shown", "the area count said few") into an estimate of where
 * the target is. A brute-force search over a fine local grid keeps the candidates most consistent with
 * every observation and takes their centroid. Its own geometry (local flat metres), not the server's.
 */
import { DISTANCE_BANDS } from '@lo/protocol';

export interface LatLng {
  lat: number;
  lng: number;
}

/** One observation: a test every candidate position either passes or fails. */
export type Observation = (candidateM: { x: number; y: number }) => boolean;

const M_PER_DEG = 111_320;
const BAND_LIMITS = [100, 500, 1_000, 2_000, 5_000, 10_000];

/** Flat metres around `origin` (exact enough within a few km). */
export function localFrame(origin: LatLng) {
  const cos = Math.cos((origin.lat * Math.PI) / 180);
  return {
    toM: (p: LatLng) => ({ x: (p.lng - origin.lng) * M_PER_DEG * cos, y: (p.lat - origin.lat) * M_PER_DEG }),
    toLatLng: (m: { x: number; y: number }): LatLng => ({ lat: origin.lat + m.y / M_PER_DEG, lng: origin.lng + m.x / (M_PER_DEG * cos) }),
  };
}

export function bandOf(distanceM: number): string {
  const index = BAND_LIMITS.findIndex((limit) => distanceM < limit);
  return DISTANCE_BANDS[index === -1 ? BAND_LIMITS.length : index]!;
}

export const distance = (a: { x: number; y: number }, b: { x: number; y: number }): number => Math.hypot(a.x - b.x, a.y - b.y);

/**
 * The centroid of the grid points (within `extentM` of the frame's origin, every `stepM`) that pass
 * the most observations; also how many passed all of them.
 */
export function estimate(observations: Observation[], extentM: number, stepM: number): { x: number; y: number; consistent: number } {
  let best = -1;
  let sum = { x: 0, y: 0, n: 0 };
  let consistent = 0;
  for (let x = -extentM; x <= extentM; x += stepM) {
    for (let y = -extentM; y <= extentM; y += stepM) {
      let score = 0;
      for (const observe of observations) if (observe({ x, y })) score++;
      if (score === observations.length) consistent++;
      if (score > best) [best, sum] = [score, { x: 0, y: 0, n: 0 }];
      if (score === best) sum = { x: sum.x + x, y: sum.y + y, n: sum.n + 1 };
    }
  }
  return { x: sum.x / sum.n, y: sum.y / sum.n, consistent };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
