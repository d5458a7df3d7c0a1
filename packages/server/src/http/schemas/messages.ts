import { Type } from '@sinclair/typebox';
import { LIMITS } from '@lo/protocol';
import { Cursor, DistanceBand, Lat, Limit, Lng, Nullable, strict, Timestamp, UserRef } from './common.js';

// The 4096-byte UTF-8 bound is checked by the service, so every over-long content answers
// content_too_long; a schema maxLength (code points) would turn 4097 ASCII bytes into validation_failed.
const Content = Type.String({ minLength: 1, description: `At most ${LIMITS.contentMaxBytes} bytes of UTF-8 (content_too_long)` });
const Visibility = Type.Union([Type.Literal('public'), Type.Literal('friends')]);
const Sort = Type.Union([Type.Literal('recent'), Type.Literal('distance')], { default: 'recent' });

export const CreateGeoMessage = Type.Object(
  {
    content: Content,
    lat: Lat,
    lng: Lng,
    radius: Type.Optional(
      Type.Integer({ minimum: LIMITS.radiusMinM, maximum: LIMITS.radiusMaxM, default: LIMITS.defaultVisibilityRadiusM }),
    ),
    expires_in: Type.Optional(Type.Integer({ minimum: LIMITS.expiresInMin, maximum: LIMITS.expiresInMax })),
    visibility: Type.Optional(Visibility),
    client_msg_id: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.clientMsgIdMax, pattern: '^[\\x21-\\x7e]+$' })),
  },
  strict,
);

export const EditMessage = Type.Object({ content: Content }, strict);

export const NearbyQuery = Type.Object(
  {
    lat: Lat,
    lng: Lng,
    radius: Type.Optional(Type.Integer({ minimum: LIMITS.queryRadiusMinM, maximum: LIMITS.radiusMaxM })),
    sort: Type.Optional(Sort),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  strict,
);

export const NearbyRpc = Type.Object(
  {
    lat: Lat,
    lng: Lng,
    radius_meters: Type.Optional(Type.Integer({ minimum: LIMITS.queryRadiusMinM, maximum: LIMITS.radiusMaxM })),
    sort: Type.Optional(Sort),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  strict,
);

const ReactionCount = Type.Object({ emoji: Type.String(), count: Type.Integer() });

export const GeoMessage = Type.Object({
  id: Type.String(),
  kind: Type.Literal('geo'),
  content: Type.String(),
  author: UserRef,
  created_at: Timestamp,
  edited_at: Nullable(Timestamp),
  expires_at: Nullable(Timestamp),
  radius: Type.Integer(),
  visibility: Visibility,
  distance_band: Type.Optional(DistanceBand),
  location: Type.Optional(Type.Object({ lat: Type.Number(), lng: Type.Number() }, { description: "Only in the author's own view" })),
  reactions: Type.Array(ReactionCount),
  my_reactions: Type.Array(Type.String()),
  mine: Type.Boolean(),
});

export const Emoji = Type.String({ minLength: 1, maxLength: 16, pattern: '^[^\\s\\p{C}]+$' });
export const ReactionBody = Type.Object({ emoji: Emoji }, strict);
export const ReactionParams = Type.Object({ id: Type.String({ pattern: '^[0-9A-HJKMNP-TV-Z]{26}$' }), emoji: Emoji }, strict);
export const ReactionResult = Type.Object({ reactions: Type.Array(ReactionCount), my_reactions: Type.Array(Type.String()) });

export const ReportBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: LIMITS.reportReasonMax }) }, strict);
export const ReportView = Type.Object({ id: Type.String(), message_id: Type.String(), reason: Type.String(), created_at: Timestamp });
