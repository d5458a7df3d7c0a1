/**
 * Encoded live geo pushes of one publication. Encode once (DESIGN section 2): what viewers of a post
 * see differs only by its distance band and by whether they wrote it, so a `geo.msg` frame is encoded
 * once per (band, mine), not once per viewer, and 10,000 subscribers of a cell cost a handful of
 * JSON encodes.
 */
import type { DistanceBand, GeoMessage } from '@lo/protocol';
import { distanceBand } from '../core/geo/distance-band.js';
import type { GeoEvent, GeoPost } from '../core/geo/geo-event.js';
import { haversineM, type LatLng } from '../core/geo/haversine.js';
import { geoMessageView } from '../core/messages/message-view.js';

export class GeoFrames {
  /** `geo.msg` frames by distance band, for viewers other than the author and for the author. */
  private readonly forOthers = new Map<DistanceBand, Buffer>();
  private readonly forAuthor = new Map<DistanceBand, Buffer>();
  private deletedFrame: Buffer | null = null;

  constructor(readonly event: GeoEvent) {}

  /**
   * The `geo.msg` push of a new post as `viewerId`, at `at`, sees it: exactly the feed's view (band from
   * the public point, `publicDistanceM` away; the exact point only for the author), without reactions (a
   * new post has none).
   */
  message(post: GeoPost, viewerId: string, at: LatLng, publicDistanceM: number): Buffer {
    const mine = post.authorId === viewerId;
    const band = distanceBand(mine ? haversineM(at.lat, at.lng, post.lat, post.lng) : publicDistanceM);
    const cache = mine ? this.forAuthor : this.forOthers;
    let frame = cache.get(band);
    if (frame === undefined) {
      frame = Buffer.from(JSON.stringify({ type: 'geo.msg', message: geoMessageView(post, viewerId, at) }));
      cache.set(band, frame);
    }
    return frame;
  }

  /** The `geo.exit` push of a deleted post (the same for everyone). */
  deleted(id: string): Buffer {
    return (this.deletedFrame ??= exitFrame(id, 'deleted'));
  }
}

export function exitFrame(id: string, reason: 'moved' | 'deleted'): Buffer {
  return Buffer.from(JSON.stringify({ type: 'geo.exit', message_id: id, reason }));
}

export function enterFrame(message: GeoMessage): Buffer {
  return Buffer.from(JSON.stringify({ type: 'geo.enter', message_id: message.id, message }));
}
