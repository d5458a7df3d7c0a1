import { Type } from '@sinclair/typebox';
import { GEO_LIMITS, LIMITS } from '@lo/protocol';
import { Id, Lat, Lng, Nullable, strict, Timestamp, UserRef } from './common.js';

const Sharing = Type.Union([Type.Literal('off'), Type.Literal('friends'), Type.Literal('public')]);
const Precision = Type.Union([Type.Literal('exact'), Type.Literal('coarse')]);
export const VisibilityRadius = Type.Integer({ minimum: LIMITS.radiusMinM, maximum: LIMITS.radiusMaxM });
const ProximityRadius = Type.Integer({
  minimum: GEO_LIMITS.proximityMinM,
  maximum: GEO_LIMITS.proximityMaxM,
  description: 'Metres: friends who set one too get a `proximity` event when you come within it; null turns alerts off',
});

export const Me = Type.Object({
  id: Type.String(),
  username: Type.String(),
  display_name: Nullable(Type.String()),
  role: Type.Union([Type.Literal('user'), Type.Literal('admin')]),
  created_at: Timestamp,
  visibility_radius: Type.Integer(),
  location_sharing: Sharing,
  location_precision: Precision,
  ghost_mode: Type.Boolean(),
  ghost_until: Nullable(Timestamp),
  proximity_radius: Nullable(Type.Integer()),
});

export const MePatch = Type.Object(
  {
    display_name: Type.Optional(Nullable(Type.String({ maxLength: LIMITS.displayNameMax }))),
    visibility_radius: Type.Optional(VisibilityRadius),
    location_sharing: Type.Optional(Sharing),
    location_precision: Type.Optional(Precision),
    ghost_mode: Type.Optional(Type.Boolean()),
    ghost_until: Type.Optional(Nullable(Timestamp)),
    proximity_radius: Type.Optional(Nullable(ProximityRadius)),
  },
  { ...strict, minProperties: 1 },
);

export const LocationReport = Type.Object(
  { lat: Lat, lng: Lng, accuracy: Type.Optional(Type.Number({ minimum: 0, maximum: 100_000 })) },
  strict,
);

export const MyLocation = Type.Object({ lat: Type.Number(), lng: Type.Number(), accuracy: Nullable(Type.Number()), at: Timestamp });

export const PublicUser = Type.Object({
  id: Type.String(),
  username: Type.String(),
  display_name: Nullable(Type.String()),
  created_at: Timestamp,
  relation: Type.Union(['self', 'friend', 'request_sent', 'request_received', 'none'].map((r) => Type.Literal(r))),
});

export const UserIdBody = Type.Object({ user_id: Id }, strict);

export const FriendRequest = Type.Object({
  id: Type.String(),
  from: UserRef,
  to: UserRef,
  status: Type.Union([Type.Literal('pending'), Type.Literal('accepted'), Type.Literal('declined')]),
  created_at: Timestamp,
});

export const Friend = Type.Object({ user: UserRef, display_name: Nullable(Type.String()), since: Timestamp });

export const BlockEntry = Type.Object({ user: UserRef, created_at: Timestamp });

export const UserExport = Type.Object(
  { format: Type.Literal('lo.user-export.v1'), exported_at: Timestamp },
  { additionalProperties: true, description: 'Everything Lo holds about you; see docs/API.md for the sections' },
);
