/**
 * The one error catalogue of Lo. HTTP answers carry these codes in RFC 9457 problem+json bodies
 * (`code` member, `status` from here); WebSocket replies carry the same codes in `error.code`.
 * docs/ERRORS.md is rendered from this table (`npm run docs:errors`), and CI fails when it is stale.
 *
 * A code, once published, keeps its meaning: clients branch on it. Add codes; never repurpose one.
 */
export interface ErrorSpec {
  /** HTTP status used when the error is answered over HTTP. */
  readonly status: number;
  /** Short, constant summary (RFC 9457 `title`). */
  readonly title: string;
  /** When it happens and what the client should do; rendered into the docs. */
  readonly description: string;
}

function spec(status: number, title: string, description: string): ErrorSpec {
  return { status, title, description };
}

export const ERRORS = {
  // 400: the request itself is wrong; retrying it unchanged fails again.
  validation_failed: spec(
    400,
    'Request validation failed',
    'A body, query or path value is missing, has the wrong type, is out of bounds, or is an unknown field. `errors` lists each problem with its path.',
  ),
  invalid_json: spec(400, 'Malformed JSON body', 'The body could not be parsed as JSON.'),
  invalid_cursor: spec(
    400,
    'Invalid cursor',
    'The `cursor` was not produced by this query (other position, radius or sort). Start again without a cursor.',
  ),
  content_too_long: spec(
    400,
    'Content too long',
    'Message content or chat text is over 4096 bytes of UTF-8, or the JSON `data` of a publication is over 4096 bytes.',
  ),
  password_too_weak: spec(
    400,
    'Password not allowed',
    'The password is shorter than 8 or longer than 128 characters, or is one of the most common passwords. Choose another.',
  ),
  invalid_target: spec(400, 'Invalid target', 'The operation cannot target this user (for example yourself).'),
  invalid_frame: spec(
    400,
    'Invalid frame',
    'A WebSocket frame has an unknown type, a missing or unknown field, or a value out of bounds (see docs/PROTOCOL.md). The connection stays open.',
  ),
  invalid_data: spec(400, 'Invalid message data', 'Chat channels (`room:`, `dm:`) take `{"text": "…"}` with 1-4096 bytes of text.'),
  too_many_subscriptions: spec(
    400,
    'Too many subscriptions',
    'This connection has as many subscriptions as it may (`LO_WS_MAX_SUBSCRIPTIONS`). Unsubscribe from one first.',
  ),
  // 401: who you are is unknown or no longer valid.
  unauthenticated: spec(401, 'Authentication required', 'Send `Authorization: Bearer <access_token>`.'),
  token_invalid: spec(
    401,
    'Invalid token',
    'The access token is malformed, signed with another key or algorithm, or meant for another audience or purpose. Log in again.',
  ),
  token_expired: spec(401, 'Token expired', 'The access token has expired. Refresh it with `POST /api/auth/refresh`.'),
  session_ended: spec(
    401,
    'Session ended',
    'The session behind this token was logged out, revoked or its account deleted or banned. Log in again.',
  ),
  invalid_credentials: spec(401, 'Invalid credentials', 'Unknown username or wrong password (the two are not told apart).'),
  refresh_token_invalid: spec(
    401,
    'Invalid refresh token',
    'The refresh token is unknown, expired or belongs to an ended session. Log in again.',
  ),
  refresh_token_reused: spec(
    401,
    'Refresh token reused',
    'This refresh token was already used. As it may have been stolen, its whole session was ended. Log in again.',
  ),
  // 403: known, but not allowed.
  forbidden: spec(403, 'Forbidden', 'You may not do this to this object (not yours, or an admin role is needed).'),
  account_banned: spec(403, 'Account banned', 'This account is banned.'),
  origin_not_allowed: spec(403, 'Origin not allowed', 'The `Origin` header is not in `LO_ALLOWED_ORIGINS`.'),
  channel_forbidden: spec(
    403,
    'Channel not allowed',
    "You may not subscribe or publish to this channel: a private room you are not a member of, a DM with someone who is not your friend or who blocks you (or whom you block), another user's channel, or a namespace that takes no client publishes.",
  ),
  not_room_member: spec(
    403,
    'Not a member',
    'Join the room first (`POST /api/rooms/:id/join`); private rooms take members added by their owner.',
  ),
  not_friends: spec(403, 'Not friends', 'Direct messages are only between friends.'),
  outside_geofence: spec(
    403,
    'Outside the geofence',
    'This room takes posts only from people inside its geofence; your last reported location is outside it or too old.',
  ),
  // 404: not there, or not visible to you (the two are not told apart).
  route_not_found: spec(404, 'Route not found', 'No route matches this method and path.'),
  user_not_found: spec(404, 'User not found', 'No such user, or one of you blocks the other.'),
  message_not_found: spec(404, 'Message not found', 'No such message, or it is deleted, expired or not visible to you from where you are.'),
  friend_request_not_found: spec(404, 'Friend request not found', 'No pending friend request with this id is addressed to you.'),
  friend_not_found: spec(404, 'Friend not found', 'This user is not your friend.'),
  block_not_found: spec(404, 'Block not found', 'You do not block this user.'),
  session_not_found: spec(404, 'Session not found', 'No active session of yours has this id.'),
  rpc_not_found: spec(404, 'Function not found', 'No server function has this name.'),
  room_not_found: spec(404, 'Room not found', 'No such room, or it is private and you are not a member.'),
  channel_not_found: spec(404, 'Channel not found', 'The channel names something that does not exist (a room, a user).'),
  // 409: conflicts with the current state.
  username_taken: spec(409, 'Username taken', 'Another account has this username (compared case-insensitively).'),
  already_friends: spec(409, 'Already friends', 'You are already friends with this user.'),
  friend_request_exists: spec(409, 'Friend request pending', 'You already sent this user a friend request that is still pending.'),
  user_blocked: spec(409, 'User blocked', 'You block this user; unblock them first.'),
  already_reported: spec(409, 'Already reported', 'You already reported this message.'),
  already_subscribed: spec(409, 'Already subscribed', 'This connection is already subscribed to the channel.'),
  not_subscribed: spec(409, 'Not subscribed', 'Subscribe to the channel first.'),
  not_authenticated: spec(409, 'Not authenticated yet', 'Send the `auth` frame first and wait for its reply.'),
  channel_full: spec(409, 'Channel full', 'The channel has as many subscribers as its namespace allows.'),
  owner_cannot_leave: spec(409, 'Owner cannot leave', 'The owner of a room cannot leave it.'),
  edit_window_closed: spec(
    409,
    'Edit window closed',
    'Messages can be edited only for a while after posting (see `LO_MESSAGE_EDIT_WINDOW`).',
  ),
  location_unknown: spec(
    409,
    'Location unknown',
    'This needs your current location: send `PUT /api/me/location` or query the nearby feed first.',
  ),
  // 422: understood, refused on purpose.
  location_implausible: spec(
    422,
    'Implausible location',
    'The reported position is farther from your last one than anyone could travel in the time between (faster than an airliner). Positions that jump are refused because they are how people are located by trilateration.',
  ),
  // 429 / 5xx
  rate_limited: spec(
    429,
    'Too many requests',
    'A rate limit was reached. Wait `Retry-After` seconds; `RateLimit` and `RateLimit-Policy` say which limit and how much is left.',
  ),
  payload_too_large: spec(413, 'Payload too large', 'The body is larger than the server accepts (`LO_BODY_LIMIT`).'),
  unsupported_media_type: spec(415, 'Unsupported media type', 'Send bodies as `application/json`.'),
  internal: spec(500, 'Internal error', 'Something failed on the server. The problem was logged with the `request_id`; retrying may help.'),
  unavailable: spec(
    503,
    'Service unavailable',
    'The server is starting, shutting down or cannot reach its database or broker. Retry after `Retry-After` seconds.',
  ),
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export const ERROR_TYPE_PREFIX = 'urn:lo:error:';

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERRORS, value);
}

/** One invalid field of a `validation_failed` problem. `path` is a JSON pointer into the body or query. */
export interface FieldError {
  path: string;
  message: string;
}

/** RFC 9457 problem details as Lo sends them. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  request_id?: string;
  errors?: FieldError[];
}
