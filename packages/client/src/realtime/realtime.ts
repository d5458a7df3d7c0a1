import {
  isChannelName,
  type AuthResultFrame,
  type ClientFrame,
  type FriendStatus,
  type LocEventFrame,
  type MessageFrame,
  type ProximityFrame,
  type PubResult,
  type ServerPush,
  type StatusResult,
  type UserRef,
} from '@lo/protocol';
import { LoRealtimeError } from '../errors.js';
import type { ReconnectOptions } from './backoff.js';
import { Channel, type ChannelHost } from './channel.js';
import {
  Connection,
  type ConnectionState,
  type LoError,
  type RequestFrame,
  type StateInfo,
  type TimeoutPolicy,
  type TokenSource,
} from './connection.js';
import { Emitter, type Listener } from './emitter.js';
import { GeoArea, type NearbyOptions } from './geo-area.js';
import { Outbox } from './outbox.js';
import type { WebSocketConstructor } from './socket.js';

export interface RealtimeOptions {
  url: string;
  token: TokenSource;
  WebSocket?: WebSocketConstructor | undefined;
  reconnect?: ReconnectOptions | undefined;
  requestTimeoutMs?: number | undefined;
  outboxMax?: number | undefined;
}

/** Events of the client as a whole. */
export interface ClientEvents {
  /** Every change of `client.state`, with the close code, error and next delay when there is one. */
  state: [state: ConnectionState, info: StateInfo];
  /** A friend's merged status changed. */
  status: [status: FriendStatus];
  /** Terminal closes, `error` pushes, failed token refreshes, refused resubscriptions nobody else hears of. */
  error: [error: LoError];
  /** A message on your own `user:<id>` channel (subscribed automatically, with recovery). */
  notification: [message: MessageFrame];
  /** A friend came within (`near`) or went beyond (`far`) the proximity distance you both set (`proximity_radius`). */
  proximity: [event: ProximityFrame];
}

export type UserStatusSetting = 'online' | 'idle';

/** The real-time half of the client: channels, the outbox and the connection, wired together. */
export class Realtime implements ChannelHost {
  readonly events = new Emitter<ClientEvents>();
  /** `loc` pushes by channel, for location watches (location-watch.ts). */
  readonly locations = new Emitter<Record<string, [event: LocEventFrame]>>();
  private readonly connection: Connection;
  private readonly outbox: Outbox;
  private readonly channels = new Map<string, Channel>();
  /** The live geo area (one per connection, as the protocol has it). */
  private geo: GeoArea | null = null;
  private readonly requestTimeoutMs: number;
  private status: UserStatusSetting | null = null;
  private userChannel: { channel: Channel; off: () => void } | null = null;
  /** Counts authentications, so a resubscribe round that outlived its socket does not open the outbox. */
  private round = 0;

  constructor(options: RealtimeOptions) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.connection = new Connection({
      url: options.url,
      token: options.token,
      WebSocket: options.WebSocket,
      reconnect: options.reconnect,
      requestTimeoutMs: this.requestTimeoutMs,
    });
    this.outbox = new Outbox(this.connection, options.outboxMax ?? 1000);
    const events = this.connection.events;
    events.on('state', (state, info) => this.events.emit('state', state, info));
    events.on('open', (auth) => void this.opened(auth));
    events.on('down', () => {
      this.geo?.handleDown();
      this.outbox.down();
      for (const channel of this.channels.values()) channel.handleDown();
    });
    events.on('stop', (error) => {
      this.geo?.handleStop(error);
      for (const channel of this.channels.values()) channel.handleStop(error);
      // disconnect() keeps the outbox for a later connect(); a terminal close (session over) empties it.
      if (!(error instanceof LoRealtimeError && error.code === 'disconnected')) this.outbox.fail(error);
    });
    events.on('push', (frame) => this.route(frame));
    events.on('error', (error) => this.events.emit('error', error));
  }

  get state(): ConnectionState {
    return this.connection.state;
  }

  get connected(): boolean {
    return this.connection.state === 'connected';
  }

  get user(): UserRef | null {
    return this.connection.authResult?.user ?? null;
  }

  /** This connection's id, as it appears in presence entries. */
  get clientId(): string | null {
    return this.connection.authResult?.client ?? null;
  }

  /** Publications waiting for the server's acknowledgement. */
  get outboxSize(): number {
    return this.outbox.size;
  }

  connect(): Promise<void> {
    return this.connection.connect();
  }

  disconnect(): void {
    this.connection.disconnect();
  }

  on<K extends keyof ClientEvents>(event: K, listener: Listener<ClientEvents[K]>): () => void {
    return this.events.on(event, listener);
  }

  off<K extends keyof ClientEvents>(event: K, listener: Listener<ClientEvents[K]>): void {
    this.events.off(event, listener);
  }

  /** Opens the live geo area around a position (see GeoArea); one at a time: close() it before opening another. */
  nearby(options: NearbyOptions): GeoArea {
    if (this.geo !== null) throw new LoRealtimeError('already_subscribed', 'this client already has a nearby area: close() it first');
    const area = new GeoArea(options, this);
    this.geo = area;
    area.start();
    return area;
  }

  channel(name: string): Channel {
    let channel = this.channels.get(name);
    if (channel === undefined) {
      if (!isChannelName(name))
        throw new TypeError(`invalid channel name ${JSON.stringify(name)}: expected room:<id>, dm:<a>:<b>, user:<id> or public:<name>`);
      channel = new Channel(name, this);
      this.channels.set(name, channel);
    }
    return channel;
  }

  setStatus(status: UserStatusSetting): void {
    this.status = status;
    this.connection.send({ type: 'status', status });
  }

  async friendStatuses(): Promise<FriendStatus[]> {
    return (await this.query<StatusResult>({ type: 'status.get' })).items;
  }

  // ---- ChannelHost ----

  request<T>(frame: RequestFrame, onTimeout: TimeoutPolicy = 'reject'): Promise<T> {
    return this.connection.request<T>(frame, onTimeout);
  }

  async query<T>(frame: RequestFrame): Promise<T> {
    const state = this.connection.state;
    if (state === 'disconnected' || state === 'closed')
      throw new LoRealtimeError('not_connected', `${frame.type}: not connected (call connect())`);
    if (state !== 'connected') await within(this.connection.connect(), this.requestTimeoutMs, `${frame.type}: not connected in time`);
    return this.connection.request<T>(frame);
  }

  send(frame: ClientFrame): boolean {
    return this.connection.send(frame);
  }

  ensureConnecting(): void {
    const state = this.connection.state;
    // The promise's failure reaches the caller through its own subscribe() or publish() promise.
    if (state === 'disconnected' || state === 'closed') void this.connection.connect().catch(() => {});
  }

  publish(channel: string, data: unknown, clientMsgId: string): Promise<PubResult> {
    return this.outbox.add(channel, data, clientMsgId);
  }

  reportError(error: LoRealtimeError): void {
    this.events.emit('error', error);
  }

  /** @internal The area was closed (by the app or by a refusal): another may be opened. */
  forgetArea(area: GeoArea): void {
    if (this.geo === area) this.geo = null;
  }

  /** After every authentication: own user channel, status, resubscribe everything, then send the outbox. */
  private async opened(auth: AuthResultFrame): Promise<void> {
    const round = ++this.round;
    this.adoptUser(auth.user);
    if (this.status !== null) this.connection.send({ type: 'status', status: this.status });
    await Promise.all([...[...this.channels.values()].map((channel) => channel.sync()), this.geo?.sync()]);
    if (round === this.round && this.connected) this.outbox.open();
  }

  private adoptUser(user: UserRef): void {
    const name = `user:${user.id}`;
    if (this.userChannel?.channel.name === name) return;
    if (this.userChannel !== null) {
      // Another account on this client: the previous user's notifications are not ours any more.
      this.userChannel.off();
      this.userChannel.channel.want(false);
    }
    const channel = this.channel(name);
    channel.want(true);
    this.userChannel = { channel, off: channel.on('message', (message) => this.events.emit('notification', message)) };
  }

  private route(frame: ServerPush): void {
    switch (frame.type) {
      case 'msg':
      case 'typing':
      case 'presence.join':
      case 'presence.leave':
      case 'presence.state':
      case 'unsubscribed':
        this.channels.get(frame.channel)?.handlePush(frame);
        return;
      case 'status':
        this.events.emit('status', { user: frame.user, status: frame.status });
        return;
      case 'loc':
        this.locations.emit(frame.channel, frame);
        return;
      case 'geo.msg':
      case 'geo.enter':
      case 'geo.exit':
        this.geo?.handlePush(frame);
        return;
      case 'proximity':
        this.events.emit('proximity', frame);
        return;
      case 'error':
        this.events.emit('error', LoRealtimeError.from(frame.error));
        return;
      case 'pong':
        return;
    }
  }
}

/** `promise`, or a `timeout` error after `ms`. */
function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LoRealtimeError('timeout', message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
