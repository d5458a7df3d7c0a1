/**
 * Real-time protocol v1 (DESIGN section 5, docs/PROTOCOL.md): WebSocket at `/ws`, subprotocol `lo.v1`,
 * JSON text frames. Field names are snake_case and part of the contract.
 *
 * Client → server: one JSON frame per WebSocket message. Server → client: one or more JSON frames per
 * WebSocket message, separated by "\n" (the server coalesces what it has for a socket in one write;
 * JSON text never contains a raw newline, so splitting on "\n" is exact).
 */
import type { ErrorCode } from './errors.js';
import type { Timestamp, UserRef } from './api.js';
import type { LiveLocationFrame, LiveLocationPush } from './live-location.js';

export const SUBPROTOCOL = 'lo.v1';
export const WS_PATH = '/ws';

/** Bounds of the real-time protocol that clients can rely on (deployments may lower the caps). */
export const WS_LIMITS = {
  /** Largest client frame in bytes; a larger one closes the socket with 1009. */
  frameMaxBytes: 16 * 1024,
  /** Channel names: `<namespace>:<rest>`, printable ASCII without spaces. */
  channelMaxLength: 128,
  /** Request ids: a string of at most this many characters, or an integer. */
  requestIdMaxLength: 64,
  /** Encoded `data` of a publication on non-chat channels (`content_too_long` above), and encoded presence `state`, in bytes. */
  dataMaxBytes: 4096,
  presenceStateMaxBytes: 512,
  /** Seconds a new socket has to send its `auth` frame (the default; LO_WS_AUTH_TIMEOUT). */
  authTimeoutS: 10,
  /** Messages replayed in one `sub` reply; past this the reply says `recovered: false`. */
  recoveryMax: 1000,
} as const;

/** A position in a channel's stream. `epoch` changes when the channel's history is reset (restore, wipe):
 * offsets from another epoch mean nothing, so recovery from them is refused with `recovered: false`. */
export interface StreamPosition {
  offset: number;
  epoch: string;
}

export type RequestId = string | number;
export type UserStatus = 'online' | 'idle' | 'offline';

// ---- client → server ----

export interface AuthFrame {
  type: 'auth';
  id?: RequestId;
  token: string;
}
export interface SubFrame {
  type: 'sub';
  id: RequestId;
  channel: string;
  /** Where the client left off: what came after is replayed before live delivery starts. */
  since?: StreamPosition;
}
export interface UnsubFrame {
  type: 'unsub';
  id: RequestId;
  channel: string;
}
export interface PubFrame {
  type: 'pub';
  id: RequestId;
  channel: string;
  /** Chat channels (room:, dm:) take `{text}`; `public:` channels any JSON value. */
  data: unknown;
  /** Idempotency key: a retry with the same id from the same author returns the original message. */
  client_msg_id?: string;
}
export interface PresenceFrame {
  type: 'presence';
  id?: RequestId;
  channel: string;
  /** Custom state shown to the channel's other subscribers (e.g. `{"mood":"🙂"}`); null clears it. */
  state: unknown;
}
export interface PresenceGetFrame {
  type: 'presence.get';
  id: RequestId;
  channel: string;
}
export interface TypingFrame {
  type: 'typing';
  id?: RequestId;
  channel: string;
}
export interface StatusFrame {
  type: 'status';
  id?: RequestId;
  /** This device's status; the user's status merges all their devices. */
  status: 'online' | 'idle';
}
export interface StatusGetFrame {
  type: 'status.get';
  id: RequestId;
}
export interface PingFrame {
  type: 'ping';
  id?: RequestId;
}

export type ClientFrame =
  | AuthFrame
  | SubFrame
  | UnsubFrame
  | PubFrame
  | PresenceFrame
  | PresenceGetFrame
  | TypingFrame
  | StatusFrame
  | StatusGetFrame
  | PingFrame
  | LiveLocationFrame;
export type ClientFrameType = ClientFrame['type'];

// ---- replies ----

export interface WsError {
  code: ErrorCode;
  message: string;
  /** Seconds to wait before retrying (rate limits). */
  retry_after?: number;
}
export interface ReplyOk<T = Record<string, unknown>> {
  re: RequestId;
  ok: true;
  result: T;
}
export interface ReplyError {
  re: RequestId;
  ok: false;
  error: WsError;
}
export type Reply = ReplyOk | ReplyError;

export interface AuthResultFrame {
  user: UserRef;
  /** Seconds until this token expires: send a fresh `auth` frame before then. */
  expires_in: number;
  /** Id of this connection, as it appears in presence entries. */
  client: string;
}
export interface SubResult extends StreamPosition {
  /** False when `since` could not be honoured (other epoch, or older than the channel keeps): refetch. */
  recovered: boolean;
  /** Messages after `since`, oldest first; live delivery continues after the last of them. */
  missed: MessageFrame[];
}
export interface PubResult {
  /** Absent on ephemeral channels. */
  offset?: number;
  id: string;
  created_at: Timestamp;
}
export interface PresenceEntry {
  client: string;
  user: UserRef;
  state: unknown;
}
export interface PresenceResult {
  items: PresenceEntry[];
}
export interface FriendStatus {
  user: UserRef;
  status: UserStatus;
}
export interface StatusResult {
  items: FriendStatus[];
}

// ---- server pushes ----

export interface MessageFrame {
  type: 'msg';
  channel: string;
  /** Absent on ephemeral channels. */
  offset?: number;
  id: string;
  author: UserRef;
  data: unknown;
  created_at: Timestamp;
}
export interface PresenceEventFrame {
  type: 'presence.join' | 'presence.leave' | 'presence.state';
  channel: string;
  client: string;
  user: UserRef;
  state?: unknown;
}
export interface TypingEventFrame {
  type: 'typing';
  channel: string;
  user: UserRef;
}
export interface StatusEventFrame {
  type: 'status';
  user: UserRef;
  status: UserStatus;
}
export interface ErrorEventFrame {
  type: 'error';
  error: WsError;
}
/** The server ended a subscription: access was lost (removed from a room, a block). */
export interface UnsubscribedFrame {
  type: 'unsubscribed';
  channel: string;
  error: WsError;
}
export interface PongFrame {
  type: 'pong';
}

export type ServerPush =
  | MessageFrame
  | PresenceEventFrame
  | TypingEventFrame
  | StatusEventFrame
  | UnsubscribedFrame
  | ErrorEventFrame
  | PongFrame
  | LiveLocationPush;
export type ServerFrame = ServerPush | Reply;

/**
 * WebSocket close codes. 4000-4499: the client should reconnect (with backoff); 4500-4999: it should
 * not, until something changes (a new token, a fixed client). 1009 (frame too big) is terminal too.
 */
export const CLOSE_CODES = {
  /** The server is shutting down or restarting; reconnect (to another node). */
  server_shutdown: 4000,
  /** The access token expired; get a fresh one and reconnect. */
  token_expired: 4001,
  /** The socket did not read fast enough and its send queue overflowed; reconnect and recover. */
  slow_consumer: 4002,
  /** Too many connections for this user or address; retry later. */
  connection_limit: 4003,
  /** The server is shedding load; retry later. */
  overloaded: 4004,
  /** No `auth` frame in time. */
  auth_timeout: 4500,
  /** The token is invalid (bad signature, audience, type). */
  auth_failed: 4501,
  /** The session was logged out or revoked, or the account deleted or banned. */
  session_ended: 4502,
  /** Frames that are not the protocol (binary, not JSON, not an object). */
  protocol_error: 4503,
} as const;
export type CloseReason = keyof typeof CLOSE_CODES;

export function shouldReconnect(code: number): boolean {
  if (code >= 4000 && code < 4500) return true;
  if (code >= 4500 && code < 5000) return false;
  // Standard codes: 1000 normal, 1001 going away, 1006 abnormal, 1011 server error, 1012 restart: retry;
  // 1008 policy, 1009 too big, 1002/1003/1007 protocol: do not.
  return ![1002, 1003, 1007, 1008, 1009].includes(code);
}

/** Channel namespaces (DESIGN section 5); the server's namespace settings are keyed by these. */
export const NAMESPACES = ['room', 'dm', 'user', 'public', 'loc'] as const;
export type Namespace = (typeof NAMESPACES)[number];

// The whole name is bounded by WS_LIMITS.channelMaxLength below.
const CHANNEL_RE = /^(room|dm|user|public|loc):[\x21-\x7e]+$/;

/** Whether `name` is a syntactically valid channel name (the namespace's rules are checked by the server). */
export function isChannelName(name: unknown): name is string {
  return typeof name === 'string' && name.length <= WS_LIMITS.channelMaxLength && CHANNEL_RE.test(name);
}

export function namespaceOf(channel: string): Namespace {
  return channel.slice(0, channel.indexOf(':')) as Namespace;
}

/** The DM channel of two users: ids sorted, so both sides name it the same way. */
export function dmChannel(a: string, b: string): string {
  return a < b ? `dm:${a}:${b}` : `dm:${b}:${a}`;
}
