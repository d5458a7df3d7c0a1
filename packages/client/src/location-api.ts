import type { AreaCount, FriendLocation } from '@lo/protocol';
import { LocationWatch } from './realtime/location-watch.js';
import type { Realtime } from './realtime/realtime.js';
import type { ApiCall } from './rooms-api.js';

export interface AreaQuery {
  lat: number;
  lng: number;
  /** Metres, 200 to 10,000. */
  radius: number;
}

/**
 * `client.location`: live location. Your beacon goes out over the WebSocket (`update`), friends' beacons come in
 * through `watch` (`client.watchLocation`), proximity alerts through `client.on('proximity')`.
 */
export function locationApi(realtime: Realtime, call: ApiCall) {
  const watches = new Map<string, Set<LocationWatch>>();

  const release = async (watch: LocationWatch): Promise<void> => {
    const name = `loc:${watch.userId}`;
    const set = watches.get(name);
    if (set === undefined || !set.delete(watch) || set.size > 0) return;
    watches.delete(name);
    await realtime.channel(name).unsubscribe();
  };

  return {
    /**
     * Sends your live beacon (a `loc` frame) and resolves when the server took it. Needs a connection (`connect()`).
     * At most one per 2 s is taken: faster ones reject with `rate_limited` (`retryAfter`); a jump faster than
     * anyone travels rejects with `location_implausible`. While you are in ghost mode or share with nobody it
     * still moves your geo area, but reaches nobody.
     */
    update: async (lat: number, lng: number, accuracy?: number): Promise<void> => {
      await realtime.query({ type: 'loc', lat, lng, ...(accuracy !== undefined && { accuracy }) });
    },

    /** Watches `userId`'s live beacon (`loc:<userId>`); see LocationWatch. */
    watch: (userId: string): LocationWatch => {
      const name = `loc:${userId}`;
      const channel = realtime.channel(name);
      const set = watches.get(name) ?? new Set<LocationWatch>();
      watches.set(name, set);
      const initial = [...set].find((w) => w.latest !== null)?.latest ?? null;
      const watch = new LocationWatch(userId, channel, realtime.locations, release, initial);
      set.add(watch);
      return watch;
    },

    /** Friends whose live beacon you may see now (at the precision each allows), newest first. */
    friends: async (): Promise<FriendLocation[]> => (await call<{ items: FriendLocation[] }>('GET', '/friends/locations')).items,

    /**
     * How many people share a live location around a point (you excluded): a number, or `"few"` below the server's
     * threshold. Over the WebSocket when connected, else over HTTP; both count against one rate limit.
     */
    areaCount: (query: AreaQuery): Promise<AreaCount> =>
      realtime.connected
        ? realtime.query<AreaCount>({ type: 'area.count', ...query })
        : call<AreaCount>('GET', '/areas/count', { query: { ...query } }),
  };
}

export type LocationApi = ReturnType<typeof locationApi>;
