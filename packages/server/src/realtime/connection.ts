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
  readonly authTimeoutMs: number;
  handle(conn: Connection, frame: ClientFrame): Promise<void>;
  /** Reloads hidden users and friends, and ends subscriptions the new relations no longer allow. */
  reload(conn: Connection): Promise<void>;
  revoke(conn: Connection, channel: string, code: 'channel_forbidden'): Promise<void>;
  closed(conn: Connection): void;
  noteClose(reason: string): void;
  onError(err: unknown, conn: Connection): void;
}

export class Connection implements HubClient {
  readonly id = randomBytes(9).toString('base64url');
  readonly out: Outbound;
  claims: AccessClaims | null = null;
  user: UserRef | null = null;
  hidden: Set<string> = new Set();
  friends: Set<string> = new Set();
  /** Channels subscribed (or being subscribed) on this connection. */
  readonly subs = new Set<string>();
  /** Channels where this connection has a presence entry, with its state (re-added on heartbeats). */
  readonly presence = new Map<string, unknown>();
  status: 'online' | 'idle' = 'online';
  /** Cleared by each heartbeat, set by each pong: a connection still clear at the next beat is dead. */
  alive = true;
  isClosed = false;
  private chain: Promise<void> = Promise.resolve();
  private authTimer: NodeJS.Timeout | null;
  private expiryTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly socket: WebSocket,
    readonly ip: string,
    private readonly host: ConnectionHost,
  ) {
    this.out = new Outbound(socket, host.flusher, { maxBytes: host.queueMaxBytes }, () => this.close('slow_consumer'));
    this.authTimer = setTimeout(() => this.close('auth_timeout'), host.authTimeoutMs);
    socket.on('message', (data, isBinary) => this.receive(data, isBinary));
    socket.on('pong', () => (this.alive = true));
    // ws has already sent the close (1009 for an oversized frame, 1002 for a broken one) when it
    // reports an error; cut off a peer that then does not finish the close handshake.
    socket.on('error', () => setTimeout(() => socket.terminate(), 1000).unref());
    socket.on('close', () => this.cleanup());
  }

  get userId(): string {
    return this.user?.id ?? '';
  }

  /** Marks the connection authenticated and arms the close at token expiry. */
  authenticated(claims: AccessClaims, user: UserRef): void {
    if (this.authTimer !== null) clearTimeout(this.authTimer);
    this.authTimer = null;
    this.claims = claims;
    this.user = user;
    if (this.expiryTimer !== null) clearTimeout(this.expiryTimer);
    if (claims.expiresAt !== undefined) {
      // A token that lapses on an open socket ends it with a reconnect code; the client refreshes
      // the token (or re-authenticates on this socket before then with a fresh `auth` frame).
      const ms = Math.max(0, claims.expiresAt - Date.now());
      this.expiryTimer = setTimeout(() => this.close('token_expired'), Math.min(ms, 2 ** 31 - 1));
    }
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
      if (event.sessionId === undefined || event.sessionId === this.claims?.sessionId) this.close(event.reason);
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

  private receive(data: RawData, isBinary: boolean): void {
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
    this.chain = this.chain.then(() => this.dispatch(frame));
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

  private cleanup(): void {
    if (this.authTimer !== null) clearTimeout(this.authTimer);
    if (this.expiryTimer !== null) clearTimeout(this.expiryTimer);
    this.authTimer = this.expiryTimer = null;
    if (this.isClosed) return;
    this.isClosed = true;
    this.out.close();
    this.host.closed(this);
  }
}
