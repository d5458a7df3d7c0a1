import { Type } from '@sinclair/typebox';
import { LIMITS } from '@lo/protocol';
import { Cursor, DistanceBand, Id, Lat, Limit, Lng, Nullable, strict, Timestamp, UserRef } from './common.js';

const Visibility = Type.Union([Type.Literal('public'), Type.Literal('private')]);
const Role = Type.Union([Type.Literal('owner'), Type.Literal('member')]);
const Geofence = Type.Object(
  {
    lat: Lat,
    lng: Lng,
    radius: Type.Integer({ minimum: LIMITS.radiusMinM, maximum: LIMITS.radiusMaxM }),
    join_inside: Type.Optional(Type.Boolean({ description: 'Joining needs a current location inside too (default false)' })),
  },
  { ...strict, description: 'Only people whose current location is inside may post' },
);

export const CreateRoom = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 64 }), visibility: Visibility, geofence: Type.Optional(Geofence) },
  strict,
);

export const Room = Type.Object({
  id: Type.String(),
  name: Type.String(),
  visibility: Visibility,
  channel: Type.String(),
  owner: UserRef,
  geofence: Nullable(Type.Object({ lat: Type.Number(), lng: Type.Number(), radius: Type.Integer(), join_inside: Type.Boolean() })),
  member_count: Type.Integer(),
  created_at: Timestamp,
  my_role: Nullable(Role),
});

export const NearbyRoom = Type.Object({ ...Room.properties, distance_band: DistanceBand, inside: Type.Boolean() });

export const NearbyRoomsQuery = Type.Object(
  {
    lat: Lat,
    lng: Lng,
    radius: Type.Optional(Type.Integer({ minimum: LIMITS.queryRadiusMinM, maximum: LIMITS.radiusMaxM })),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  strict,
);

export const RoomMember = Type.Object({ user: UserRef, role: Role, joined_at: Timestamp });

export const RoomMemberParams = Type.Object({ id: Id, userId: Id }, strict);

// The byte bound is checked by the service (content_too_long), like geo posts.
export const PostChatMessage = Type.Object(
  {
    text: Type.String({ minLength: 1, description: `At most ${LIMITS.contentMaxBytes} bytes of UTF-8` }),
    client_msg_id: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.clientMsgIdMax, pattern: '^[\\x21-\\x7e]+$' })),
  },
  strict,
);

export const ChannelMessage = Type.Object({
  channel: Type.String(),
  offset: Type.Integer(),
  id: Type.String(),
  author: UserRef,
  data: Type.Unknown(),
  created_at: Timestamp,
});

const Offset = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

export const HistoryQuery = Type.Object(
  { after_offset: Type.Optional(Offset), before_offset: Type.Optional(Offset), cursor: Type.Optional(Cursor), limit: Type.Optional(Limit) },
  strict,
);
