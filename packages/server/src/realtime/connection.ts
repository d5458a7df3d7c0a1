/**
 * One WebSocket connection's state machine: waiting for `auth` (10 s), then authenticated until the
 * socket closes. Frames are decoded and checked by the protocol codec, then handled one at a time in
 * arrival order (a client's publishes are stored in the order it sent them). Nothing a peer sends can
 * throw out of here: bad frames get an error reply, or a close with a code when they are not the
 * protocol at all.
 */
import { randomBytes } from 'node:crypto';
import { CLOSE_CODES, decodeClientFrame, ERRORS, type ClientFrame, type CloseReason, type RequestId, type UserRef } from '@lo/protocol';
import type { RawData, WebSocket } from 'ws';
import type { ControlEvent } from '../core/broker.js';
import type { AccessClaims } from '../core/ports.js';
import { isLoError, type LoError } from '../errors/lo-error.js';
import type { HubClient } from './hub.js';
import { Outbound, type Flusher } from './outbound.js';

export interface ConnectionHost {
  readonly flusher: Flusher;
  readonly queueMaxBytes: number;
  handle(conn: Connection, frame: ClientFrame): Promise<void>;
  /** Reloads hidden users and friends, and ends subscriptions the new relations no longer allow. */
  reload(conn: Connection): Promise<void>;
  revoke(conn: Connection, channel: string, code: 'channel_forbidden'): Promise<void>;
  closed(conn: Connection): void;
  noteClose(reason: string): void;
  onError(err: unknown, conn: Connection): void;
}

/** Shared by every connection that hides nobody / has no friends, instead of two empty sets each. */
const NOBODY: ReadonlySet<string> = new Set();
/** Frames of one connection waiting while an earlier one is handled; more are refused (rate_limited). */
const MAX_PENDING_FRAMES = 256;
const OWNER = Symbol('lo.connection');

/*
 * Socket listeners shared by every connection (the connection hangs off its socket), rather than four
 * closures each: an idle connection's memory is the figure DESIGN section 10 bounds.
 */
type OwnedSocket = WebSocket & { [OWNER]: Connection };
const ownerOf = (socket: WebSocket): Connection => (socket as OwnedSocket)[OWNER];
function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  ownerOf(this).receive(data, isBinary);
}
function onPong(this: WebSocket): void {
  ownerOf(this).alive = true;
}
function onError(this: WebSocket): void {
  // ws has already sent the close (1009 for an oversized frame, 1002 for a broken one) when it
  // reports an error; cut off a peer that then does not finish the close handshake.
  setTimeout(() => this.terminate(), 1000).unref();
}
function onClose(this: WebSocket): void {
  ownerOf(this).cleanup();
}

export class Connection implements HubClient {
  readonly id = randomBytes(9).toString('base64url');
  readonly out: Outbound;
  readonly openedAt = Date.now();
  user: UserRef | null = null;
  sessionId: string | null = null;
  /** When the access token expires (the node closes the socket then, unless a fresh `auth` came). */
  expiresAt = Infinity;
  hidden: ReadonlySet<string> = NOBODY;
  friends: ReadonlySet<string> = NOBODY;
  /** Channels subscribed (or being subscribed) on this connection. */
  readonly subs = new Set<string>();
  /** Channels where this connection has a presence entry, with its state (re-added on heartbeats). */
  presence: Map<string, unknown> | null = null;
  status: 'online' | 'idle' = 'online';
  /** Cleared by each heartbeat, set by each pong: a connection still clear at the next beat is dead. */
  alive = true;
  isClosed = false;
  private pending: ClientFrame[] | null = null;
  private handling = false;

  constructor(
    readonly socket: WebSocket,
    readonly ip: string,
    private readonly host: ConnectionHost,
  ) {
    this.out = new Outbound(socket, host.flusher, host.queueMaxBytes, this);
    (socket as OwnedSocket)[OWNER] = this;
    socket.on('message', onMessage);
    socket.on('pong', onPong);
    socket.on('error', onError);
    socket.on('close', onClose);
  }

  get userId(): string {
    return this.user?.id ?? '';
  }

  /** Marks the connection authenticated (again, with a fresh token) until `claims.expiresAt`. */
  authenticated(claims: AccessClaims, user: UserRef): void {
    this.sessionId = claims.sessionId;
    this.user = user;
    this.expiresAt = claims.expiresAt ?? Infinity;
  }

  /** Replaces who this connection hides and whose status it sees. */
  relations(hidden: Set<string>, friends: Set<string>): void {
    this.hidden = hidden.size === 0 ? NOBODY : hidden;
    this.friends = friends.size === 0 ? NOBODY : friends;
  }

  setPresence(channel: string, state: unknown): void {
    (this.presence ??= new Map()).set(channel, state);
  }

  dropPresence(channel: string): boolean {
    return this.presence?.delete(channel) ?? false;
  }

  /** The outbound queue overflowed: the peer does not read fast enough. */
  overflowed(): void {
    this.close('slow_consumer');
  }

  reply(re: RequestId | undefined, resultJson = '{}'): void {
    if (re === undefined) return;
    this.out.push(Buffer.from(`{"re":${JSON.stringify(re)},"ok":true,"result":${resultJson}}`));
  }

  fail(re: RequestId | undefined, error: LoError | { code: LoError['code']; message: string }): void {
    const retry = 'retryAfter' in error && error.retryAfter !== undefined ? { retry_after: error.retryAfter } : {};
    const body = { code: error.code, message: error.message, ...retry };
    this.out.push(Buffer.from(JSON.stringify(re === undefined ? { type: 'error', error: body } : { re, ok: false, error: body })));
  }

  control(event: ControlEvent): void {
    if (event.kind === 'disconnect') {
      if (event.sessionId === undefined || event.sessionId === this.sessionId) this.close(event.reason);
      return;
    }
    const work = event.kind === 'revoked' ? this.host.revoke(this, event.channel, 'channel_forbidden') : this.host.reload(this);
    work.catch((err: unknown) => this.host.onError(err, this));
  }

  /** Closes with a protocol close code; the queue is dropped (the peer is told why, not sent the rest). */
  close(reason: CloseReason | 1009): void {
    if (this.isClosed) return;
    this.out.close();
    const code = reason === 1009 ? 1009 : CLOSE_CODES[reason];
    this.host.noteClose(String(reason));
    this.socket.close(code, reason === 1009 ? 'frame too big' : reason);
    // A peer that does not answer the close handshake is cut off.
    setTimeout(() => this.socket.terminate(), 5000).unref();
    this.cleanup();
  }

  receive(data: RawData, isBinary: boolean): void {
    try {
      this.take(data, isBinary);
    } catch (err) {
      // Nothing a peer sends may throw out of a socket listener (that would end the process).
      this.host.onError(err, this);
      this.close('protocol_error');
    }
  }

  private take(data: RawData, isBinary: boolean): void {
    if (this.isClosed) return;
    if (isBinary) return this.close('protocol_error');
    // binaryType is the default "nodebuffer": a message is one Buffer.
    const decoded = decodeClientFrame((data as Buffer).toString());
    if (!decoded.ok) {
      if (decoded.fatal) return this.close('protocol_error');
      return this.fail(decoded.re, { code: 'invalid_frame', message: decoded.message });
    }
    const frame = decoded.frame;
    if (this.user === null && frame.type !== 'auth' && frame.type !== 'ping') {
      return this.fail(frame.id, { code: 'not_authenticated', message: ERRORS.not_authenticated.title });
    }
    if (!this.handling) {
      void this.run(frame);
    } else if ((this.pending ??= []).length < MAX_PENDING_FRAMES) {
      this.pending.push(frame);
    } else {
      this.fail(frame.id, { code: 'rate_limited', message: 'Too many frames waiting on this connection.' });
    }
  }

  /** Handles frames one at a time, in arrival order (a client's publishes are stored in its order). */
  private async run(first: ClientFrame): Promise<void> {
    this.handling = true;
    for (let frame: ClientFrame | undefined = first; frame !== undefined; frame = this.pending?.shift()) {
      await this.dispatch(frame);
    }
    this.pending = null;
    this.handling = false;
  }

  private async dispatch(frame: ClientFrame): Promise<void> {
    if (this.isClosed) return;
    try {
      await this.host.handle(this, frame);
    } catch (err) {
      if (isLoError(err)) return this.fail(frame.id, err);
      this.host.onError(err, this);
      this.fail(frame.id, { code: 'internal', message: ERRORS.internal.title });
    }
  }

  cleanup(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.out.close();
    this.host.closed(this);
  }
}
