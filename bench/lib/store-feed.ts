import type { NearbyHit, Store } from '../../packages/server/src/core/store.js';
import type { NearbySort } from '@lo/protocol';
import type { QueryPoint } from './distribution.js';
import { nowMs, summarize, type Summary } from './stats.js';

export const FEED_RADIUS_M = 1_000;
export const FEED_LIMIT = 50;

export interface FeedRun {
  latency: Summary;
  /** Mean number of posts returned per query. */
  meanItems: number;
  /** Share of queries that returned a full page. */
  fullPages: number;
  /** Latency split by area of the query point. */
  byArea: Record<QueryPoint['area'], Summary>;
}

/** The post-radius rule of the real feed (core/messages/visibility.ts) for a viewer with the default 1 km visibility. */
function postRadiusRule(candidate: { distance: number; radius: number }): boolean {
  return candidate.distance <= candidate.radius && candidate.distance <= FEED_RADIUS_M;
}

export function storeFeed(
  store: Store,
  point: QueryPoint,
  sort: NearbySort,
  accept: (c: { distance: number; radius: number }) => boolean = postRadiusRule,
): Promise<NearbyHit[]> {
  return store.messages.nearby(
    { lat: point.lat, lng: point.lng, radiusM: FEED_RADIUS_M, sort, limit: FEED_LIMIT, now: Date.now() },
    accept,
  );
}

/** Times `run` once per point (after running it over `warmup` points untimed). */
export async function timeQueries(
  points: readonly QueryPoint[],
  warmup: readonly QueryPoint[],
  run: (point: QueryPoint) => Promise<number> | number,
): Promise<FeedRun> {
  for (const point of warmup) await run(point);
  const samples: number[] = [];
  const areas: Record<QueryPoint['area'], number[]> = { centre: [], outskirts: [] };
  let items = 0;
  let full = 0;
  for (const point of points) {
    const t0 = nowMs();
    const n = await run(point);
    const elapsed = nowMs() - t0;
    samples.push(elapsed);
    areas[point.area].push(elapsed);
    items += n;
    if (n >= FEED_LIMIT) full += 1;
  }
  return {
    latency: summarize(samples),
    meanItems: items / points.length,
    fullPages: full / points.length,
    byArea: { centre: summarize(areas.centre), outskirts: summarize(areas.outskirts) },
  };
}

export function timeStoreFeed(
  store: Store,
  points: readonly QueryPoint[],
  warmup: readonly QueryPoint[],
  sort: NearbySort,
): Promise<FeedRun> {
  return timeQueries(points, warmup, async (point) => (await storeFeed(store, point, sort)).length);
}
