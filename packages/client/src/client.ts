import type {
  AreaCount,
  AuthResult,
  BlockEntry,
  CreateGeoMessage,
  Credentials,
  Friend,
  FriendRequest,
  FriendStatus,
  GeoMessage,
  Health,
  LocationReport,
  Me,
  MePatch,
  MyLocation,
  NearbyQuery,
  Page,
  PublicUser,
  ReactionCount,
  SessionInfo,
  UserRef,
} from '@lo/protocol';
import { LoApiError } from './errors.js';
import type { ReconnectOptions } from './realtime/backoff.js';
import type { Channel } from './realtime/channel.js';
import type { ConnectionState } from './realtime/connection.js';
import type { Listener } from './realtime/emitter.js';
import type { GeoArea, NearbyOptions } from './realtime/geo-area.js';
import { Realtime, type ClientEvents, type UserStatusSetting } from './realtime/realtime.js';
import type { WebSocketConstructor } from './realtime/socket.js';
import { locationApi, type AreaQuery, type LocationApi } from './location-api.js';
import type { LocationWatch } from './realtime/location-watch.js';
import { dmsApi, roomsApi } from './rooms-api.js';
import { REFRESH_MARGIN_MS, tokensFrom, type Tokens } from './session.js';
import { send, type Method, type RequestOptions, type TransportOptions } from './transport.js';

export interface ClientOptions {
  /** Base URL of the Lo server, e.g. `https://lo.example` (the API lives under /api). */
  url: string;
  /** A fixed access token (for example one your backend minted). */
  token?: string;
  /** Called before each request for an access token; wins over `token` and the client's own session. */
  getToken?: () => string | null | Promise<string | null>;
  /** Tokens saved from an earlier session (see `onTokens`). */
  tokens?: Tokens;
  /** Called whenever the client's tokens change (after login, refresh or logout: null). */
  onTokens?: (tokens: Tokens | null) => void;
  fetch?: typeof fetch;
  /** Per-request timeout, default 10 s. */
  timeoutMs?: number;
  /** The WebSocket class; default `globalThis.WebSocket`. On Node 20 pass `WebSocket` from the `ws` package. */
  WebSocket?: WebSocketConstructor;
  /** Reconnect delays (exponential backoff with full jitter), default 250 ms to 10 s. */
  reconnect?: ReconnectOptions;
  /** How long a real-time request waits for its reply, default 10 s. */
  requestTimeoutMs?: number;
  /** Most publications held while offline or unacknowledged, default 1000; `publish` rejects past it. */
  outboxMax?: number;
}

export interface PageOptions {
  limit?: number;
  cursor?: string;
}

export interface ReactionResult {
  reactions: ReactionCount[];
  my_reactions: string[];
}

export interface ReportResult {
  id: string;
  message_id: string;
  reason: string;
  created_at: string;
}

/** Creates a Lo client. Works in Node >= 20 and browsers (it needs `fetch`, and a WebSocket for real time). */
export function createClient(options: ClientOptions): LoClient {
  return new LoClient(options);
}

export class LoClient {
  private readonly transport: TransportOptions;
  private tokens: Tokens | null;
  private refreshing: Promise<Tokens> | null = null;
  private readonly realtime: Realtime;
  private signedIn: UserRef | null = null;
  /** Live location: `update` your beacon, `watch` a friend's, `friends()`, `areaCount` (location-api.ts). */
  readonly location: LocationApi;

  constructor(private readonly options: ClientOptions) {
    this.transport = {
      baseUrl: options.url,
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
      timeoutMs: options.timeoutMs ?? 10_000,
    };
    this.tokens = options.tokens ?? null;
    this.realtime = new Realtime({
      url: options.url,
      token: (stale) => this.realtimeToken(stale),
      WebSocket: options.WebSocket,
      reconnect: options.reconnect,
      requestTimeoutMs: options.requestTimeoutMs,
      outboxMax: options.outboxMax,
    });
    this.location = locationApi(this.realtime, (method, path, request) => this.call(method, path, request));
  }

  // ---- real time ----

  /** Connects the WebSocket; resolves once authenticated. Transient failures are retried; terminal ones reject. */
  connect(): Promise<void> {
    return this.realtime.connect();
  }

  /** Closes the socket without reconnecting. Subscriptions and unsent publications stay for a later `connect()`. */
  disconnect(): void {
    this.realtime.disconnect();
  }

  get state(): ConnectionState {
    return this.realtime.state;
  }

  /** The signed-in user: from the real-time authentication, else from signup or login; null before either. */
  get user(): UserRef | null {
    return this.realtime.user ?? this.signedIn;
  }

  /** Listens to `state`, `status`, `error` or `notification`; returns a function that stops listening. */
  on<K extends keyof ClientEvents>(event: K, listener: Listener<ClientEvents[K]>): () => void {
    return this.realtime.on(event, listener);
  }

  off<K extends keyof ClientEvents>(event: K, listener: Listener<ClientEvents[K]>): void {
    this.realtime.off(event, listener);
  }

  /** The channel of this name (the same object every time). Subscribing and publishing connect implicitly. */
  channel(name: string): Channel {
    return this.realtime.channel(name);
  }

  /** This device's status (merged with your other devices for your friends); kept across reconnects. */
  setStatus(status: UserStatusSetting): void {
    this.realtime.setStatus(status);
  }

  /** Your friends' current statuses. */
  friendStatuses(): Promise<FriendStatus[]> {
    return this.realtime.friendStatuses();
  }

  /**
   * Opens a live geo area: the posts around a position as they are made, following you as you `move()` it, across
   * reconnects (see GeoArea and docs/SDK.md). One at a time: `close()` it before opening another.
   */
  nearby(options: NearbyOptions): GeoArea {
    return this.realtime.nearby(options);
  }

  /** Watches a user's live beacon: `.on('location', …)`, `close()`; resubscribed after reconnects. */
  watchLocation(userId: string): LocationWatch {
    return this.location.watch(userId);
  }

  /** People sharing a live location around a point: a number, or `"few"` (see `location.areaCount`). */
  areaCount(query: AreaQuery): Promise<AreaCount> {
    return this.location.areaCount(query);
  }

  // ---- HTTP ----

  readonly rooms = roomsApi((method, path, request) => this.call(method, path, request));
  readonly dms = dmsApi((method, path, request) => this.call(method, path, request));

  /** The current tokens of the client's own session, if it has one. */
  get session(): Tokens | null {
    return this.tokens;
  }

  readonly auth = {
    signup: async (credentials: Credentials) =>
      this.adopt(await this.call<AuthResult>('POST', '/auth/signup', { body: credentials }, false)),
    login: async (credentials: Credentials) => this.adopt(await this.call<AuthResult>('POST', '/auth/login', { body: credentials }, false)),
    /** Rotates the refresh token; the client also does this by itself shortly before the access token expires. */
    refresh: async () => (await this.refreshNow(), this.tokens),
    logout: async () => {
      await this.call<void>('POST', '/auth/logout');
      this.setTokens(null);
    },
    sessions: () => this.call<{ items: SessionInfo[] }>('GET', '/auth/sessions'),
    endSession: (id: string) => this.call<void>('DELETE', `/auth/sessions/${encodeURIComponent(id)}`),
  };

  readonly me = {
    get: () => this.call<Me>('GET', '/me'),
    update: (patch: MePatch) => this.call<Me>('PATCH', '/me', { body: patch }),
    setLocation: (report: LocationReport) => this.call<MyLocation>('PUT', '/me/location', { body: report }),
    delete: async () => {
      await this.call<void>('DELETE', '/me');
      this.setTokens(null);
    },
    export: () => this.call<Record<string, unknown>>('GET', '/me/export'),
  };

  readonly users = {
    get: (id: string) => this.call<PublicUser>('GET', `/users/${encodeURIComponent(id)}`),
  };

  readonly friends = {
    request: (userId: string) => this.call<FriendRequest>('POST', '/friends/requests', { body: { user_id: userId } }),
    requests: (page: PageOptions = {}) => this.call<Page<FriendRequest>>('GET', '/friends/requests', { query: { ...page } }),
    accept: (requestId: string) => this.call<FriendRequest>('POST', `/friends/requests/${encodeURIComponent(requestId)}/accept`),
    decline: (requestId: string) => this.call<FriendRequest>('POST', `/friends/requests/${encodeURIComponent(requestId)}/decline`),
    list: (page: PageOptions = {}) => this.call<Page<Friend>>('GET', '/friends', { query: { ...page } }),
    remove: (userId: string) => this.call<void>('DELETE', `/friends/${encodeURIComponent(userId)}`),
    /** Friends whose live beacon you may see now (the same as `location.friends()`). */
    locations: () => this.location.friends(),
  };

  readonly blocks = {
    add: (userId: string) => this.call<BlockEntry>('POST', '/blocks', { body: { user_id: userId } }),
    remove: (userId: string) => this.call<void>('DELETE', `/blocks/${encodeURIComponent(userId)}`),
    list: (page: PageOptions = {}) => this.call<Page<BlockEntry>>('GET', '/blocks', { query: { ...page } }),
  };

  readonly messages = {
    create: (message: CreateGeoMessage) => this.call<GeoMessage>('POST', '/messages', { body: message }),
    nearby: (query: NearbyQuery) => this.call<Page<GeoMessage>>('GET', '/messages/nearby', { query: { ...query } }),
    /** Every page of a nearby query, in order. */
    nearbyAll: async (query: Omit<NearbyQuery, 'cursor'>): Promise<GeoMessage[]> => {
      const all: GeoMessage[] = [];
      let cursor: string | undefined;
      do {
        const page = await this.messages.nearby({ ...query, ...(cursor !== undefined && { cursor }) });
        all.push(...page.items);
        cursor = page.next_cursor ?? undefined;
      } while (cursor !== undefined);
      return all;
    },
    get: (id: string) => this.call<GeoMessage>('GET', `/messages/${encodeURIComponent(id)}`),
    edit: (id: string, content: string) => this.call<GeoMessage>('PATCH', `/messages/${encodeURIComponent(id)}`, { body: { content } }),
    delete: (id: string) => this.call<void>('DELETE', `/messages/${encodeURIComponent(id)}`),
    react: (id: string, emoji: string) =>
      this.call<ReactionResult>('POST', `/messages/${encodeURIComponent(id)}/reactions`, { body: { emoji } }),
    unreact: (id: string, emoji: string) =>
      this.call<void>('DELETE', `/messages/${encodeURIComponent(id)}/reactions/${encodeURIComponent(emoji)}`),
    report: (id: string, reason: string) =>
      this.call<ReportResult>('POST', `/messages/${encodeURIComponent(id)}/reports`, { body: { reason } }),
  };

  /** Calls a named server function (`POST /api/rpc/<name>`). */
  rpc<T = unknown>(name: string, args: Record<string, unknown> = {}): Promise<T> {
    return this.call<T>('POST', `/rpc/${encodeURIComponent(name)}`, { body: args });
  }

  health(): Promise<Health> {
    return this.call<Health>('GET', '/health', {}, false);
  }

  /** Any API call, for routes without a helper. `path` is below /api. */
  async call<T>(method: Method, path: string, request: RequestOptions = {}, authenticated = true): Promise<T> {
    const token = authenticated ? await this.accessToken() : null;
    return send<T>(this.transport, method, path, { ...request, token: request.token ?? token });
  }

  private async accessToken(): Promise<string | null> {
    if (this.options.getToken) return this.options.getToken();
    if (this.tokens !== null) {
      if (this.tokens.expires_at - Date.now() < REFRESH_MARGIN_MS) return (await this.refreshNow()).access_token;
      return this.tokens.access_token;
    }
    return this.options.token ?? null;
  }

  /**
   * A token for the WebSocket. `stale` is one the server refused as expired or that is about to expire: the own
   * session is refreshed rather than handing it out again. `getToken` and a fixed `token` are asked as they are.
   */
  private async realtimeToken(stale: string | null): Promise<string | null> {
    if (this.options.getToken) return this.options.getToken();
    if (this.tokens !== null) {
      if (this.tokens.access_token === stale || this.tokens.expires_at - Date.now() < REFRESH_MARGIN_MS)
        return (await this.refreshNow()).access_token;
      return this.tokens.access_token;
    }
    return this.options.token ?? null;
  }

  /** One refresh at a time: concurrent callers share it (a second rotation would look like token theft). */
  private refreshNow(): Promise<Tokens> {
    const current = this.tokens;
    if (current === null) return Promise.reject(new LoApiError(401, 'refresh_token_invalid', 'no session to refresh'));
    this.refreshing ??= send<AuthResult>(this.transport, 'POST', '/auth/refresh', { body: { refresh_token: current.refresh_token } })
      .then((result) => this.setTokens(tokensFrom(result)))
      .catch((error: unknown) => {
        if (error instanceof LoApiError && error.status === 401) this.setTokens(null);
        throw error;
      })
      .finally(() => {
        this.refreshing = null;
      });
    return this.refreshing;
  }

  private adopt(result: AuthResult): AuthResult {
    this.signedIn = result.user;
    this.setTokens(tokensFrom(result));
    return result;
  }

  private setTokens<T extends Tokens | null>(tokens: T): T {
    this.tokens = tokens;
    if (tokens === null) this.signedIn = null;
    this.options.onTokens?.(tokens);
    return tokens;
  }
}
