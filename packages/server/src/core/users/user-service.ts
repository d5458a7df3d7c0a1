import { GEO_LIMITS, type Me, type MePatch, type PublicUser, type Relation, type UserRef } from '@lo/protocol';
import { LoError } from '../../errors/lo-error.js';
import { newId } from '../../util/ids.js';
import { iso, type Clock } from '../../util/time.js';
import { NO_REALTIME_EVENTS, type RealtimeEvents } from '../realtime-events.js';
import type { RelationState, Store, UserPatch } from '../store.js';
import { forgetHiddenLocation } from '../location/beacon-visibility.js';
import { meView } from './user-views.js';

export class UserService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly events: RealtimeEvents = NO_REALTIME_EVENTS,
  ) {}

  async me(userId: string): Promise<Me> {
    const user = await this.store.users.byId(userId);
    if (user === null) throw new LoError('session_ended');
    return meView(user, this.clock.now());
  }

  async updateMe(userId: string, patch: MePatch): Promise<Me> {
    const changes: UserPatch = {};
    if (patch.display_name !== undefined) changes.displayName = patch.display_name?.trim() || null;
    if (patch.visibility_radius !== undefined) changes.visibilityRadius = patch.visibility_radius;
    if (patch.location_sharing !== undefined) changes.locationSharing = patch.location_sharing;
    if (patch.location_precision !== undefined) changes.locationPrecision = patch.location_precision;
    if (patch.ghost_mode !== undefined) {
      changes.ghostMode = patch.ghost_mode;
      // Turning ghost mode off also drops its end time; turning it on without one means "until I turn it off".
      if (!patch.ghost_mode || patch.ghost_until === undefined) changes.ghostUntil = null;
    }
    if (patch.ghost_until !== undefined && patch.ghost_mode !== false) {
      const until = patch.ghost_until === null ? null : Date.parse(patch.ghost_until);
      if (until !== null && !(until > this.clock.now())) {
        throw new LoError('validation_failed', 'ghost_until must be in the future.', {
          errors: [{ path: '/ghost_until', message: 'must be in the future' }],
        });
      }
      changes.ghostUntil = until;
      if (until !== null) changes.ghostMode = true;
    }
    if (patch.proximity_radius !== undefined) changes.proximityRadius = proximityRadius(patch.proximity_radius);
    const user = await this.store.users.update(userId, changes);
    if (user === null) throw new LoError('session_ended');
    // Hidden now (ghost, sharing off) or opted out of alerts: the live beacon and proximity state go.
    await forgetHiddenLocation(this.store, user, this.clock.now());
    return meView(user, this.clock.now());
  }

  /** Deletes the account and all its data; its sessions end with it. */
  async deleteMe(userId: string): Promise<void> {
    await this.store.users.delete(userId);
    const now = this.clock.now();
    await this.store.audit.record({ id: newId(now), at: now, actorId: null, action: 'account.deleted', target: userId, data: null });
    await this.events.sessionEnded(userId, null, 'session_ended');
  }

  /** The user's id and username, for authoring; a deleted account has no live session. */
  async ref(userId: string): Promise<UserRef> {
    const user = await this.store.users.byId(userId);
    if (user === null) throw new LoError('session_ended');
    return { id: user.id, username: user.username };
  }

  /** Another user's public profile; blocks either way hide it (404). */
  async profile(viewerId: string, userId: string): Promise<PublicUser> {
    const user = await this.store.users.byId(userId);
    if (user === null) throw new LoError('user_not_found');
    let relation: Relation = 'self';
    if (userId !== viewerId) {
      const state = await this.store.social.relation(viewerId, userId);
      if (state.blocks || state.blockedBy) throw new LoError('user_not_found');
      relation = relationOf(state);
    }
    return { id: user.id, username: user.username, display_name: user.displayName, created_at: iso(user.createdAt), relation };
  }
}

/** The HTTP schema bounds it too; checked here for every other caller. */
function proximityRadius(value: number | null): number | null {
  if (value === null || (Number.isInteger(value) && value >= GEO_LIMITS.proximityMinM && value <= GEO_LIMITS.proximityMaxM)) return value;
  throw new LoError(
    'validation_failed',
    `proximity_radius must be null or ${GEO_LIMITS.proximityMinM}-${GEO_LIMITS.proximityMaxM} metres.`,
    {
      errors: [{ path: '/proximity_radius', message: 'out of bounds' }],
    },
  );
}

export function relationOf(state: RelationState): Relation {
  if (state.friendsSince !== null) return 'friend';
  if (state.sentRequest !== null) return 'request_sent';
  if (state.receivedRequest !== null) return 'request_received';
  return 'none';
}
