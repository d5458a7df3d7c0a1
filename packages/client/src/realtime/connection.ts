import {
  CLOSE_CODES,
  ERRORS,
  shouldReconnect,
  SUBPROTOCOL,
  WS_PATH,
  type AuthResultFrame,
  type ClientFrame,
  type ServerPush,
} from '@lo/protocol';
import { LoApiError, LoRealtimeError } from '../errors.js';
import { Backoff, type ReconnectOptions } from './backoff.js';
import { Emitter } from './emitter.js';
import { Link, type RequestFrame } from './link.js';
import { resolveWebSocket, socketUrl, type WebSocketConstructor } from './socket.js';
import { deferred, unref, type Deferred } from './util.js';

export type { RequestFrame } from './link.js';

/**
 * `disconnected`: not started, or stopped by `disconnect()`. `connecting`: first attempt. `connected`:
 * authenticated. `reconnecting`: lost, waiting or retrying with backoff. `closed`: stopped by a terminal close
 * code or an authentication failure; `connect()` starts again.
 */
export type ConnectionState = 'disconnected' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** Errors the real-time side reports: its own, or the REST client's when getting a token failed. */
export type LoError = LoRealtimeError | LoApiError;

/** Details of a state change. */
export interface StateInfo {
  /** Close code of the socket that just closed, when a close caused the change. */
  code?: number;
  reason?: string;
  /** Why the connection went down or stopped. */
  error?: LoError;
  /** In `reconnecting`: milliseconds until the next attempt. */
  delayMs?: number;
}

/**
 * Supplies access tokens. `stale` is the token the server refused as expired or that is about to expire (null
 * on a plain connect): return a different one if at all possible. Null means "not signed in".
 */
export type TokenSource = (stale: string | null) => Promise<string | null>;

export interface ConnectionOptions {
  url: string;
  WebSocket?: WebSocketConstructor | undefined;
  token: TokenSource;
  reconnect?: ReconnectOptions | undefined;
  requestTimeoutMs: number;
}

/** What a request's timeout does besides rejecting: `reconnect` also drops the socket as unhealthy. */
export type TimeoutPolicy = 'reject' | 'reconnect';

interface ConnectionEvents {
  state: [state: ConnectionState, info: StateInfo];
  /** Authenticated on a new socket: resubscribe, then flush. */
  open: [auth: AuthResultFrame];
  /** The authenticated socket is gone: requests were rejected with `connection_closed`. */
  down: [];
  /** Stopped for good (terminal close, or `disconnect()`). */
  stop: [error: LoError];
  push: [frame: ServerPush];
  error: [error: LoError];
}

const NO_WEBSOCKET =
  'no WebSocket implementation: on Node 20, `npm install ws` and pass it: createClient({ url, WebSocket }) with `import WebSocket from "ws"`';
/** Refresh a token this long before it expires (or at half its lifetime when that is shorter). */
const REFRESH_BEFORE_MS = 30_000;

/** The socket's life: token, open, auth, requests and replies, token refresh, reconnect with backoff. */
export class Connection {
  readonly events = new Emitter<ConnectionEvents>();
  private current: ConnectionState = 'disconnected';
  private link: Link | null = null;
  /** Bumped by every attempt and stop, so async work that outlived its attempt does nothing. */
  private generation = 0;
  private readonly backoff: Backoff;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private waiter: Deferred<void> | null = null;
  /** The token the server refused as expired: reconnecting with it again would loop. */
  private expiredToken: string | null = null;
  private auth: AuthResultFrame | null = null;

  constructor(private readonly options: ConnectionOptions) {
    this.backoff = new Backoff(options.reconnect);
  }

  get state(): ConnectionState {
    return this.current;
  }

  /** The reply to the last successful `auth` (user, connection id), kept after the socket closes. */
  get authResult(): AuthResultFrame | null {
    return this.auth;
  }

  /** Resolves once authenticated; rejects on a terminal failure or `disconnect()`. Transient failures retry. */
  connect(): Promise<void> {
    if (this.current === 'connected') return Promise.resolve();
    const waiter = (this.waiter ??= deferred<void>());
    if (this.current === 'disconnected' || this.current === 'closed') {
      this.setState('connecting', {});
      void this.attempt();
    }
    return waiter.promise;
  }

  /** Closes the socket and stops reconnecting. */
  disconnect(): void {
    if (this.current === 'disconnected') return;
    this.stop(new LoRealtimeError('disconnected', 'disconnect() was called'), 'disconnected', {});
  }

  /** Sends a request and waits for its reply (`result`), rejecting with the reply's error or a local one. */
  request<T>(frame: RequestFrame, onTimeout: TimeoutPolicy = 'reject'): Promise<T> {
    const link = this.link;
    if (link === null || !link.authenticated) return Promise.reject(new LoRealtimeError('not_connected', `${frame.type}: not connected`));
    const reply = link.request<T>(frame, () => {
      if (onTimeout === 'reconnect') this.lost(link, { error: new LoRealtimeError('timeout', `no reply to ${frame.type} in time`) });
    });
    if (reply !== null) return reply;
    const error = new LoRealtimeError('connection_closed', `${frame.type}: send failed`);
    this.lost(link, { error });
    return Promise.reject(error);
  }

  /** Sends a frame that needs no reply; false when not connected (the frame is dropped). */
  send(frame: ClientFrame): boolean {
    const link = this.link;
    return link !== null && link.authenticated && link.send(frame);
  }

  private async attempt(): Promise<void> {
    const generation = ++this.generation;
    const WebSocketClass = resolveWebSocket(this.options.WebSocket);
    if (WebSocketClass === null) return this.fail(new LoRealtimeError('no_websocket', NO_WEBSOCKET));
    const stale = this.expiredToken;
    let token: string | null;
    try {
      token = await this.options.token(stale);
    } catch (error) {
      if (generation !== this.generation) return;
      // A refused session is final until the user signs in again; a network failure is worth retrying.
      if (error instanceof LoApiError && (error.status === 401 || error.status === 403)) return this.fail(error);
      return this.retry({ error: error instanceof LoApiError ? error : new LoRealtimeError('connection_closed', messageOf(error)) });
    }
    if (generation !== this.generation) return;
    if (token === null) return this.fail(new LoRealtimeError('unauthenticated', 'no access token: sign in, or pass token or getToken'));
    if (token === stale) return this.fail(new LoRealtimeError('token_expired', 'the access token expired and no fresh one is available'));
    let link: Link;
    try {
      const ws = new WebSocketClass(socketUrl(this.options.url, WS_PATH), SUBPROTOCOL);
      link = new Link(ws, token, this.options.requestTimeoutMs, {
        open: () => this.authenticate(link),
        push: (frame) => this.events.emit('push', frame),
        close: (code, reason) => this.closed(link, code, reason),
        garbage: (error) => this.events.emit('error', error),
      });
    } catch (error) {
      return this.fail(new LoRealtimeError('socket_error', `cannot open a WebSocket: ${messageOf(error)}`));
    }
    this.link = link;
    const opening = new LoRealtimeError('timeout', 'the WebSocket did not open in time');
    link.timer = setTimeout(() => this.lost(link, { error: opening }), this.options.requestTimeoutMs);
  }

  private authenticate(link: Link): void {
    if (link !== this.link) return;
    clearTimeout(link.timer);
    const timeout = new LoRealtimeError('timeout', 'no reply to auth in time');
    const reply = link.request<AuthResultFrame>({ type: 'auth', token: link.token }, () => this.lost(link, { error: timeout }));
    if (reply === null) return this.lost(link, { error: new LoRealtimeError('connection_closed', 'auth: send failed') });
    reply.then(
      (result) => this.authenticated(link, result),
      (error: LoRealtimeError) => this.refused(link, error),
    );
  }

  private authenticated(link: Link, result: AuthResultFrame): void {
    if (link !== this.link) return;
    link.authenticated = true;
    this.auth = result;
    this.expiredToken = null;
    this.backoff.reset();
    this.scheduleRefresh(link, result.expires_in);
    this.setState('connected', {});
    this.waiter?.resolve();
    this.waiter = null;
    if (link === this.link) this.events.emit('open', result);
  }

  /** An error reply to the first `auth`: an invalid token or ended session is final; an expired one is refreshed. */
  private refused(link: Link, error: LoRealtimeError): void {
    if (link !== this.link) return;
    if (error.code === 'token_expired') this.expiredToken = link.token;
    const status = error.code in ERRORS ? ERRORS[error.code as keyof typeof ERRORS].status : 0;
    if ((status === 401 && error.code !== 'token_expired') || status === 403) return this.fail(error);
    this.lost(link, { error });
  }

  private closed(link: Link, code: number, reason: string): void {
    if (link !== this.link) return;
    const error = LoRealtimeError.fromClose(code, reason);
    if (!shouldReconnect(code)) return this.fail(error, { code, reason });
    if (code === CLOSE_CODES.token_expired) this.expiredToken = link.token;
    this.lost(link, { code, reason, error });
  }

  /** A transient loss: drop the socket and try again after a backoff delay. */
  private lost(link: Link, info: StateInfo): void {
    if (link !== this.link) return;
    this.drop(info.error);
    this.retry(info);
  }

  private retry(info: StateInfo): void {
    let delayMs = this.backoff.next();
    // A server that sheds load or refuses more connections is not helped by a quick return.
    if (info.code === CLOSE_CODES.overloaded || info.code === CLOSE_CODES.connection_limit) {
      delayMs = Math.max(delayMs, this.backoff.max / 2);
    }
    this.setState('reconnecting', { ...info, delayMs });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.attempt();
    }, delayMs);
  }

  private fail(error: LoError, info: StateInfo = {}): void {
    this.stop(error, 'closed', { ...info, error });
    this.events.emit('error', error);
  }

  private stop(error: LoError, state: 'closed' | 'disconnected', info: StateInfo): void {
    this.generation++;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.drop(error);
    this.setState(state, info);
    this.waiter?.reject(error);
    this.waiter = null;
    this.events.emit('stop', error);
  }

  /** Closes the current socket (if any) and rejects its waiting requests. */
  private drop(cause?: LoError): void {
    const link = this.link;
    if (link === null) return;
    this.link = null;
    link.close(cause?.message ?? 'closed');
    if (link.authenticated) this.events.emit('down');
  }

  private scheduleRefresh(link: Link, expiresIn: number): void {
    clearTimeout(link.timer);
    const lifetime = Math.max(0, expiresIn * 1000);
    const delay = lifetime > 2 * REFRESH_BEFORE_MS ? lifetime - REFRESH_BEFORE_MS : lifetime / 2;
    link.timer = setTimeout(() => void this.refresh(link), delay);
    unref(link.timer);
  }

  /** Sends a fresh token on the open socket. Failing that, the server closes with 4001 and the reconnect gets one. */
  private async refresh(link: Link): Promise<void> {
    try {
      const token = await this.options.token(link.token);
      if (link !== this.link || token === null || token === link.token) return;
      const result = await this.request<AuthResultFrame>({ type: 'auth', token });
      if (link !== this.link) return;
      link.token = token;
      this.auth = result;
      this.scheduleRefresh(link, result.expires_in);
    } catch (error) {
      if (link !== this.link) return;
      this.events.emit(
        'error',
        error instanceof LoApiError || error instanceof LoRealtimeError ? error : new LoRealtimeError('timeout', messageOf(error)),
      );
    }
  }

  private setState(state: ConnectionState, info: StateInfo): void {
    if (state === this.current && state !== 'reconnecting') return;
    this.current = state;
    this.events.emit('state', state, info);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
