import { Type } from '@sinclair/typebox';
import { GEO_LIMITS } from '@lo/protocol';
import { Lat, Lng, Nullable, strict, Timestamp, UserRef } from './common.js';

export const FriendLocation = Type.Object(
  {
    user: UserRef,
    lat: Type.Number(),
    lng: Type.Number(),
    accuracy: Nullable(Type.Number({ description: 'Metres; null when coarse or not given' })),
    precision: Type.Union([Type.Literal('exact'), Type.Literal('coarse')]),
    at: Timestamp,
  },
  { description: "A friend's live beacon, at the precision they chose (coarse: snapped to ~1 km)" },
);

export const FriendLocations = Type.Object({ items: Type.Array(FriendLocation) });

export const AreaCountQuery = Type.Object(
  {
    lat: Lat,
    lng: Lng,
    radius: Type.Number({ minimum: GEO_LIMITS.areaRadiusMinM, maximum: GEO_LIMITS.areaRadiusMaxM, description: 'Metres' }),
  },
  strict,
);

export const AreaCount = Type.Object({
  count: Type.Union([Type.Integer({ minimum: 0 }), Type.Literal('few')], {
    description: 'People sharing a live location in the area (you excluded); "few" below LO_AREA_K',
  }),
});
