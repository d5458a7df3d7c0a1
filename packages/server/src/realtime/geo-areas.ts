/**
 * Live geo subscriptions that follow the viewer (DESIGN sections 5 and 7): one area per connection,
 * opened by `geo.sub`, moved by the `loc` beacon (`move`), closed by `geo.unsub` or the socket closing.
 * Live pushes come from the geo index; the store is read when the area opens (snapshot or recovery)
 * and when it has moved far enough (enters). Every read is bracketed by holding, like channel
 * subscriptions: the area is in the index before the read, what is published meanwhile waits, and is
 * sent after the reply minus what the read already showed.
 */
import { GEO_LIMITS, type GeoSubFrame, type GeoSubResult } from '@lo/protocol';
import { coverDisc } from '../core/geo/cells.js';
import { haversineM, type LatLng } from '../core/geo/haversine.js';
import type { AreaRead, MessageService } from '../core/messages/message-service.js';
import type { Store } from '../core/store.js';
import type { LocationService } from '../core/users/location-service.js';
import { LoError } from '../errors/lo-error.js';
import { idTime } from '../util/ids.js';
import type { Clock } from '../util/time.js';
import { enterFrame } from './geo-frames.js';
import { GeoIndex } from './geo-index.js';
import type { TopicInterest } from './topic-interest.js';
import { coverRadiusM, GeoSub, rereadDistanceM, type GeoClient } from './geo-sub.js';

export interface GeoAreaDeps {
  store: Store;
  messages: MessageService;
  locations: LocationService;
  clock: Clock;
}

export class GeoAreas {
  readonly index: GeoIndex;
  private readonly areas = new Map<string, GeoSub>();
  /** Per area, the move in progress: moves of one area run one after the other. */
  private readonly moving = new Map<GeoSub, Promise<void>>();

  constructor(
    private readonly deps: GeoAreaDeps,
    topics: TopicInterest,
  ) {
    this.index = new GeoIndex(topics, () => deps.clock.now());
  }

  get stats() {
    return this.index.stats;
  }

  /** The area of the connection with this id, if it has one. */
  areaOf(clientId: string): GeoSub | undefined {
    return this.areas.get(clientId);
  }

  /**
   * Opens the connection's area: the position is a location report (an implausible jump is refused and
   * changes nothing), then the area is registered (holding), read, answered through `reply`, and what
   * was held is sent. Moves wait until all of that is done.
   */
  async subscribe(client: GeoClient & { readonly isClosed: boolean }, frame: GeoSubFrame, reply: (json: string) => void): Promise<void> {
    // geo-handlers.ts refuses a second area before charging the probe; open() checks again after its awaits.
    const since = frame.since === undefined ? undefined : sinceKey(frame.since);
    await this.open(client, frame, since, reply);
  }

  private async open(
    client: GeoClient & { readonly isClosed: boolean },
    frame: GeoSubFrame,
    since: { createdAt: number; id: string } | undefined,
    reply: (json: string) => void,
  ): Promise<void> {
    const at = { lat: frame.lat, lng: frame.lng };
    await this.deps.locations.report(client.userId, at);
    const user = await this.deps.store.users.byId(client.userId);
    if (user === null) throw new LoError('session_ended');
    if (client.isClosed) return;
    if (this.areas.has(client.id)) throw new LoError('already_subscribed');
    const sub = new GeoSub(client, frame.radius, at, Math.min(frame.radius ?? user.visibilityRadius, user.visibilityRadius));
    this.areas.set(client.id, sub);
    sub.hold();
    let opened!: () => void;
    this.moving.set(sub, new Promise<void>((resolve) => (opened = resolve)));
    try {
      await this.index.place(sub, coverDisc(at.lat, at.lng, coverRadiusM(sub.radius)).cells);
      const limit = since === undefined ? GEO_LIMITS.snapshotMax : GEO_LIMITS.recoveryMax + 1;
      const read = await this.read(sub, at, limit, since);
      if (this.areas.get(client.id) !== sub) return;
      // More than recoveryMax posts since `since`: the newest snapshotMax, and the client refetches.
      const recovered = read.items.length <= GEO_LIMITS.recoveryMax;
      const items = recovered ? read.items : read.items.slice(0, GEO_LIMITS.snapshotMax);
      if (since !== undefined && recovered) {
        // A client coming back was shown the area before: remember its newest posts (not sent again),
        // so that their exits (moving away, deletions) still reach it.
        const before = await this.read(sub, at, GEO_LIMITS.snapshotMax, undefined);
        if (this.areas.get(client.id) !== sub) return;
        for (const item of [...before.items].reverse()) sub.remember(item.record);
      }
      for (const item of [...items].reverse()) sub.remember(item.record);
      const result: GeoSubResult = { radius: sub.radius, recovered, items: items.map((item) => item.view) };
      reply(JSON.stringify(result));
      // After the reply: what was published during the read, minus what the reply already had.
      this.index.stats.deliveries += sub.release(this.deps.clock.now());
    } catch (err) {
      this.unsubscribe(client);
      throw err;
    } finally {
      opened();
    }
  }

  /** Closes the connection's area; false when it had none. */
  unsubscribe(client: GeoClient): boolean {
    const sub = this.areas.get(client.id);
    if (sub === undefined) return false;
    this.areas.delete(client.id);
    this.moving.delete(sub);
    this.index.remove(sub);
    return true;
  }

  /**
   * Moves the connection's area to `at`, a position already accepted as a location report (the `loc`
   * beacon). Known posts now out of range get `geo.exit` (moved); once the centre is far enough from the
   * last read, the area is read again and visible posts not shown yet get `geo.enter`, and its cells
   * follow. Resolves when done; a connection without an area is left alone.
   */
  move(client: GeoClient, at: LatLng): Promise<void> {
    const sub = this.areas.get(client.id);
    if (sub === undefined) return Promise.resolve();
    // After the previous move (or the opening) whatever its outcome: each move's caller hears its own error.
    const previous = (this.moving.get(sub) ?? Promise.resolve()).catch(() => undefined);
    const next = previous.then(() => this.moveNow(sub, at));
    this.moving.set(sub, next);
    return next.finally(() => {
      if (this.moving.get(sub) === next) this.moving.delete(sub);
    });
  }

  private async moveNow(sub: GeoSub, at: LatLng): Promise<void> {
    if (this.areas.get(sub.client.id) !== sub) return;
    sub.centre = at;
    if (haversineM(sub.readAt.lat, sub.readAt.lng, at.lat, at.lng) > rereadDistanceM(sub.radius)) await this.reread(sub, at);
    sub.sendExits(this.deps.clock.now());
  }

  /** Reads the area again at `at`, the cells moved there first (holding), and enters what was not shown. */
  private async reread(sub: GeoSub, at: LatLng): Promise<void> {
    sub.hold();
    try {
      await this.index.place(sub, coverDisc(at.lat, at.lng, coverRadiusM(sub.radius)).cells);
      const read = await this.read(sub, at, GEO_LIMITS.snapshotMax, undefined);
      if (this.areas.get(sub.client.id) !== sub) return;
      sub.readAt = at;
      if (read.radius !== sub.radius) {
        // The visibility radius changed since the last read (PATCH /me): the area and its cells follow.
        sub.radius = read.radius;
        await this.index.place(sub, coverDisc(at.lat, at.lng, coverRadiusM(sub.radius)).cells);
      }
      for (const item of [...read.items].reverse()) {
        if (sub.knows(item.record.id)) continue;
        sub.remember(item.record);
        sub.client.out.push(enterFrame(item.view));
      }
    } finally {
      if (this.areas.get(sub.client.id) === sub) this.index.stats.deliveries += sub.release(this.deps.clock.now());
    }
  }

  private read(sub: GeoSub, at: LatLng, limit: number, newerThan: { createdAt: number; id: string } | undefined): Promise<AreaRead> {
    return this.deps.messages.area(sub.client.userId, {
      lat: at.lat,
      lng: at.lng,
      ...(sub.asked !== undefined && { radius: sub.asked }),
      limit,
      ...(newerThan !== undefined && { newerThan }),
    });
  }
}

/** `since` is a post id: time-sortable, so "posts after it" is a keyset on (created, id). */
function sinceKey(since: string): { createdAt: number; id: string } {
  const createdAt = idTime(since);
  if (createdAt === null) throw new LoError('invalid_frame', 'since must be the id of a geo post (a 26-character ULID).');
  return { createdAt, id: since.toUpperCase() };
}
