/**
 * One connection's live geo area (DESIGN section 7): where it is, how far it sees, which posts the
 * client was shown (`known`), and what to push for each publication the index hands it. The visibility
 * rules are the feed's (core/messages/visibility.ts canSee), applied to what a publication carries:
 * not blocked either way, friends-only posts to friends and the author, and the public point within
 * min(area radius, post radius) of the centre (the area radius is already capped at the viewer's
 * visibility radius).
 */
import type { GeoEvent, GeoPost } from '../core/geo/geo-event.js';
import { haversineM, type LatLng } from '../core/geo/haversine.js';
import type { MessageRecord } from '../core/store.js';
import { exitFrame, type GeoFrames } from './geo-frames.js';
import type { Outbound } from './outbound.js';

/** What a geo area needs of its connection. */
export interface GeoClient {
  readonly id: string;
  readonly userId: string;
  /** Users blocked either way: their posts are not pushed. */
  readonly hidden: ReadonlySet<string>;
  readonly friends: ReadonlySet<string>;
  readonly out: Outbound;
}

/** A post the client was shown: enough to tell later whether it left the area. */
interface KnownPost {
  lat: number;
  lng: number;
  radius: number;
  expiresAt: number | null;
}

/**
 * Most posts remembered per area. Past it the oldest shown are forgotten: they get no `geo.exit` (the
 * client still has their `expires_at`), and one that comes back into range may be entered again.
 */
export const KNOWN_MAX = 256;

/**
 * Hysteresis against GPS jitter: a post is entered or pushed only within its range (min of the area's
 * and the post's radius), but leaves only beyond range + this margin, so a viewer standing near the
 * edge does not see it flap in and out.
 */
export function exitMarginM(rangeM: number): number {
  return Math.max(30, rangeM * 0.1);
}

/**
 * The area is read from the store again (posts that came into range get `geo.enter`) once its centre
 * moved this far from the last read: larger than GPS jitter (±20 m gives at most 40 m between two fixes),
 * small enough that what enters is late by a few percent of the radius.
 */
export function rereadDistanceM(radiusM: number): number {
  return Math.max(50, radiusM * 0.05);
}

/** How far around the last read the area's cells must reach: range, exit margin and drift until the next read. */
export function coverRadiusM(radiusM: number): number {
  return radiusM + exitMarginM(radiusM) + rereadDistanceM(radiusM);
}

export type Offered = 'sent' | 'held' | 'skipped';

export class GeoSub {
  /** The cells it is registered in (the index's business). */
  cells: ReadonlySet<string> = new Set();
  /** Where the store was last read; the cells cover coverRadiusM around it. */
  readAt: LatLng;
  private readonly known = new Map<string, KnownPost>();
  /** While the store is read: publications wait here, so none falls between the read and live delivery. */
  private held: GeoFrames[] | null = null;

  constructor(
    readonly client: GeoClient,
    /** The radius the client asked for, if any (re-capped at the visibility radius at each read). */
    readonly asked: number | undefined,
    public centre: LatLng,
    /** Metres: the asked radius capped at the visibility radius. */
    public radius: number,
  ) {
    this.readAt = centre;
  }

  get knownCount(): number {
    return this.known.size;
  }

  knows(id: string): boolean {
    return this.known.has(id);
  }

  /** Remembers a post the client was shown (in a reply, an enter or a push), forgetting the oldest past KNOWN_MAX. */
  remember(post: Pick<MessageRecord, 'id' | 'publicLat' | 'publicLng' | 'radius' | 'expiresAt'>): void {
    this.known.delete(post.id);
    this.known.set(post.id, { lat: post.publicLat, lng: post.publicLng, radius: post.radius, expiresAt: post.expiresAt });
    if (this.known.size > KNOWN_MAX) this.known.delete(this.known.keys().next().value!);
  }

  /** Holds publications until `release` (during a store read). */
  hold(): void {
    this.held ??= [];
  }

  /** Sends what was held, skipping posts the read already showed; returns how many pushes went out. */
  release(now: number): number {
    const held = this.held ?? [];
    this.held = null;
    let sent = 0;
    for (const frames of held) if (this.offer(frames, now) === 'sent') sent++;
    return sent;
  }

  /** A publication of one of its cells: pushes it if this viewer may see it (or holds it during a read). */
  offer(frames: GeoFrames, now: number): Offered {
    if (this.held !== null) {
      this.held.push(frames);
      return 'held';
    }
    const event: GeoEvent = frames.event;
    if (event.kind === 'deleted') {
      if (!this.known.delete(event.id)) return 'skipped';
      this.client.out.push(frames.deleted(event.id));
      return 'sent';
    }
    const post = event.post;
    if (this.known.has(post.id)) return 'skipped';
    const distance = this.visibleAt(post, now);
    if (distance === null) return 'skipped';
    this.remember(post);
    this.client.out.push(frames.message(post, this.client.userId, this.centre, distance));
    return 'sent';
  }

  /**
   * Posts shown before that are now out of range (beyond range + hysteresis): forgotten, and a
   * `geo.exit` (moved) sent for each. Expired ones are forgotten silently: the client has their
   * `expires_at` and drops them itself.
   */
  sendExits(now: number): number {
    let sent = 0;
    for (const [id, post] of this.known) {
      if (post.expiresAt !== null && post.expiresAt <= now) {
        this.known.delete(id);
        continue;
      }
      const range = Math.min(this.radius, post.radius);
      if (haversineM(this.centre.lat, this.centre.lng, post.lat, post.lng) <= range + exitMarginM(range)) continue;
      this.known.delete(id);
      this.client.out.push(exitFrame(id, 'moved'));
      sent++;
    }
    return sent;
  }

  /** The distance to the post's public point when this viewer may see it now, else null. */
  private visibleAt(post: GeoPost, now: number): number | null {
    const { client } = this;
    if (client.hidden.has(post.authorId)) return null;
    if (post.visibility === 'friends' && post.authorId !== client.userId && !client.friends.has(post.authorId)) return null;
    if (post.expiresAt !== null && post.expiresAt <= now) return null;
    // The argument order of the store's scan, so both compute the very same float.
    const distance = haversineM(this.centre.lat, this.centre.lng, post.publicLat, post.publicLng);
    return distance <= Math.min(this.radius, post.radius) ? distance : null;
  }
}
