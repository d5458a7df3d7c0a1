import type { GeoMessage } from '@lo/protocol';
import { iso, isoOrNull } from '../../util/time.js';
import { distanceBand } from '../geo/distance-band.js';
import { haversineM, type LatLng } from '../geo/haversine.js';
import type { GeoPost } from '../geo/geo-event.js';
import type { ReactionSummary } from '../store.js';

const NO_REACTIONS: ReactionSummary = { counts: [], mine: [] };

/**
 * A post as one viewer may see it. Privacy (DESIGN section 7): anyone but the author gets only a
 * distance band measured from the public (snapped) point and no coordinates; the author also gets
 * the exact position they posted from.
 */
export function geoMessageView(
  message: GeoPost,
  viewerId: string,
  viewerAt: LatLng | null,
  reactions: ReactionSummary = NO_REACTIONS,
): GeoMessage {
  const mine = message.authorId === viewerId;
  const view: GeoMessage = {
    id: message.id,
    kind: 'geo',
    content: message.content,
    author: { id: message.authorId, username: message.authorUsername },
    created_at: iso(message.createdAt),
    edited_at: isoOrNull(message.editedAt),
    expires_at: isoOrNull(message.expiresAt),
    radius: message.radius,
    visibility: message.visibility,
    reactions: reactions.counts,
    my_reactions: reactions.mine,
    mine,
  };
  if (viewerAt !== null) {
    const point = mine ? { lat: message.lat, lng: message.lng } : { lat: message.publicLat, lng: message.publicLng };
    view.distance_band = distanceBand(haversineM(viewerAt.lat, viewerAt.lng, point.lat, point.lng));
  }
  if (mine) view.location = { lat: message.lat, lng: message.lng };
  return view;
}
