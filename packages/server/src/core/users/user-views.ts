import type { Me, UserRef } from '@lo/protocol';
import { isoOrNull, iso } from '../../util/time.js';
import type { UserRecord } from '../store.js';

/** Ghost mode is on until `ghostUntil` passes, if it has an end. */
export function ghostActive(user: UserRecord, now: number): boolean {
  return user.ghostMode && (user.ghostUntil === null || user.ghostUntil > now);
}

export function userRef(user: Pick<UserRecord, 'id' | 'username'>): UserRef {
  return { id: user.id, username: user.username };
}

export function meView(user: UserRecord, now: number): Me {
  const ghost = ghostActive(user, now);
  return {
    id: user.id,
    username: user.username,
    display_name: user.displayName,
    role: user.role,
    created_at: iso(user.createdAt),
    visibility_radius: user.visibilityRadius,
    location_sharing: user.locationSharing,
    location_precision: user.locationPrecision,
    ghost_mode: ghost,
    ghost_until: ghost ? isoOrNull(user.ghostUntil) : null,
    proximity_radius: user.proximityRadius,
  };
}
