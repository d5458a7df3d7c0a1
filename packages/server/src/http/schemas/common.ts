import { Type, type TSchema } from '@sinclair/typebox';
import { DISTANCE_BANDS, LIMITS } from '@lo/protocol';

/** Request objects refuse unknown fields (mass assignment, API3:2023). */
export const strict = { additionalProperties: false } as const;

export const Id = Type.String({ pattern: '^[0-9A-HJKMNP-TV-Z]{26}$', description: 'ULID' });
export const Timestamp = Type.String({ format: 'date-time' });
export const Lat = Type.Number({ minimum: -90, maximum: 90 });
export const Lng = Type.Number({ minimum: -180, maximum: 180 });
export const Limit = Type.Integer({ minimum: 1, maximum: LIMITS.pageMax, default: LIMITS.pageDefault });
export const Cursor = Type.String({ minLength: 1, maxLength: 512 });
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const UserRef = Type.Object({ id: Type.String(), username: Type.String() });

export const PageQuery = Type.Object({ limit: Type.Optional(Limit), cursor: Type.Optional(Cursor) }, strict);

export const IdParams = Type.Object({ id: Id }, strict);
export const UserIdParams = Type.Object({ userId: Id }, strict);

export function Page<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), next_cursor: Nullable(Type.String()) });
}

export const FieldError = Type.Object({ path: Type.String(), message: Type.String() });

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String(),
    request_id: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(FieldError)),
  },
  { description: 'RFC 9457 problem details (application/problem+json); `code` is from docs/ERRORS.md' },
);

export const NoContent = Type.Null({ description: 'No content' });

/** Error answers every route may give, for the OpenAPI document. */
export const commonErrors = {
  400: Problem,
  401: Problem,
  429: Problem,
};

/** A distance as shown to anyone but the author: a band, never metres (DESIGN section 7). */
export const DistanceBand = Type.Union(DISTANCE_BANDS.map((b) => Type.Literal(b)));
