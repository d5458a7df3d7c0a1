/**
 * The real-time node: owns this process's connections, the hub and the heartbeat, enforces the
 * connection caps, and connects the broker to the hub. The transport (gateway.ts) hands it sockets;
 * what frames do is in frame-handlers.ts.
 */
import type { ClientFrame } from '@lo/protocol';
import type { Config } from '../config/config.js';
import type { WebSocket } from 'ws';
import type { AuthService } from '../core/auth/auth-service.js';
import type { Broker } from '../core/broker.js';
import type { ChannelService } from '../core/channels/channel-service.js';
import { messageFrame, partsOf } from '../core/channels/message-frame.js';
import type { PresenceTracker } from '../core/presence.js';
import { rateLimited } from '../core/rate-limit-error.js';
import type { RateLimiter, RateRuleName, RateRules } from '../core/rate-rules.js';
import type { Store } from '../core/store.js';
import type { MessageService } from '../core/messages/message-service.js';
import type { LocationService } from '../core/users/location-service.js';
import type { AreaService } from '../core/location/area-service.js';
import type { BeaconService } from '../core/location/beacon-service.js';
import type { Clock } from '../util/time.js';
import { Connection, type ConnectionHost } from './connection.js';
import { handleFrame } from './frame-handlers.js';
import { GeoAreas } from './geo-areas.js';
import { Hub } from './hub.js';
import { Flusher } from './outbound.js';
import { StatusTracker } from './status-tracker.js';

export interface RealtimeSettings {
  maxConnectionsPerUser: number;
  maxConnectionsPerIp: number;
  maxSubscriptions: number;
  queueMaxBytes: number;
  pingIntervalMs: number;
  authTimeoutMs: number;
  /** How long the hub waits for a missing offset before reading it from the store. */
  gapWaitMs: number;
  /** Hold frames this long before writing (0: end of the event-loop turn). */
  writeDelayMs: number;
  rateLimits: RateRules;
}

export function realtimeSettings(config: Config): RealtimeSettings {
  return {
    maxConnectionsPerUser: config.wsMaxConnectionsPerUser,
    maxConnectionsPerIp: config.wsMaxConnectionsPerIp,
    maxSubscriptions: config.wsMaxSubscriptions,
    queueMaxBytes: config.wsQueueMaxBytes,
    pingIntervalMs: config.wsPingIntervalS * 1000,
    authTimeoutMs: config.wsAuthTimeoutS * 1000,
    gapWaitMs: GAP_WAIT_MS,
    writeDelayMs: config.wsWriteDelayMs,
    rateLimits: config.rateLimits,
  };
}

/** Longest a shutdown waits for closed connections' presence and status removals. */
const SHUTDOWN_LEAVE_MS = 2000;

/** How often auth timeouts and token expiries are checked: they take effect within this much. */
const DEADLINE_CHECK_MS = 250;
/** Heartbeat slices: each connection is pinged once per interval, but not all 20,000 in one stalling go. */
const BEAT_SLICES = 8;

/** How long a publication that skipped ahead waits for the missing ones before they are read from the store. */
const GAP_WAIT_MS = 100;

/** Repeated failures of a dependency (broker, presence) are logged once per this period, with a count. */
const LOG_EVERY_MS = 5000;

export interface RealtimeDeps {
  store: Store;
  broker: Broker;
  presence: PresenceTracker;
  limiter: RateLimiter;
  auth: AuthService;
  channels: ChannelService;
  /** Live geo areas: their store reads (MessageService.area) and position reports. */
  messages: MessageService;
  locations: LocationService;
  /** Beacons (`loc`, the last beacon on `sub loc:<id>`) and area counts. */
  beacons: BeaconService;
  areas: AreaService;
  clock: Clock;
  log: { error(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

export class RealtimeNode implements ConnectionHost {
  readonly hub: Hub;
  /** Live geo areas of this node's connections (`geo.sub`; `move` is what the `loc` beacon calls). */
  readonly geo: GeoAreas;
  readonly status: StatusTracker;
  readonly flusher: Flusher;
  private readonly connections = new Set<Connection>();
  private readonly perIp = new Map<string, number>();
  private readonly perUser = new Map<string, number>();
  private heartbeat: NodeJS.Timeout | null = null;
  /** Presence and status removals of closed connections still in flight (awaited on shutdown). */
  private readonly leaving = new Set<Promise<unknown>>();
  private beatSlice = 0;
  private deadlines: NodeJS.Timeout | null = null;
  /** Closes by reason, for the metrics. */
  readonly closeReasons = new Map<string, number>();
  private undeliveredCount = 0;
  private undeliveredLoggedAt = 0;

  constructor(
    readonly deps: RealtimeDeps,
    readonly settings: RealtimeSettings,
  ) {
    const fill = async (channel: string, after: number, limit: number) =>
      (await deps.channels.after(channel, after, limit)).map((m) => ({
        offset: m.offset,
        frame: messageFrame(partsOf(m)),
        from: m.authorId,
      }));
    this.flusher = new Flusher(settings.writeDelayMs);
    this.hub = new Hub(deps.broker, fill, settings.gapWaitMs, (err) => deps.log.error({ err }, 'hub'));
    this.geo = new GeoAreas(deps, this.hub.topics);
    this.hub.routeGeo(this.geo.index.handle);
    this.status = new StatusTracker(deps.presence, deps.broker, deps.store);
  }

  get queueMaxBytes(): number {
    return this.settings.queueMaxBytes;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  async start(): Promise<void> {
    await this.deps.broker.start(this.hub.handle, () => {
      this.deps.log.warn({ channels: this.hub.stats.channels }, 'broker connection back: catching up channels from the store');
      this.hub.resync();
    });
    this.heartbeat = setInterval(() => this.beat(), this.settings.pingIntervalMs / BEAT_SLICES);
    this.heartbeat.unref();
    this.deadlines = setInterval(() => this.enforceDeadlines(), DEADLINE_CHECK_MS);
    this.deadlines.unref();
  }

  /** Whether a new socket from `ip` is within the per-address cap (checked before the upgrade). */
  admitsIp(ip: string): boolean {
    return (this.perIp.get(ip) ?? 0) < this.settings.maxConnectionsPerIp;
  }

  accept(socket: WebSocket, ip: string): void {
    const conn = new Connection(socket, ip, this);
    this.connections.add(conn);
    this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1);
  }

  /** Counts an authenticating connection against its user's cap; false when the user is at the cap. */
  admitUser(conn: Connection, userId: string): boolean {
    const count = this.perUser.get(userId) ?? 0;
    if (count >= this.settings.maxConnectionsPerUser) return false;
    this.perUser.set(userId, count + 1);
    return true;
  }

  handle(conn: Connection, frame: ClientFrame): Promise<void> {
    return handleFrame(this, conn, frame);
  }

  /** (Re)loads who the connection's user hides and who their friends are. */
  async reload(conn: Connection): Promise<void> {
    const [hidden, friends] = await Promise.all([
      this.deps.store.social.blockedEitherWay(conn.userId),
      this.deps.store.social.friendIds(conn.userId),
    ]);
    const changed = conn.hidden.size !== hidden.size || [...hidden].some((id) => !conn.hidden.has(id));
    conn.relations(hidden, friends);
    if (!changed) return;
    // A new block ends DMs between the two at once (other channels just stop showing their messages).
    for (const channel of [...conn.subs]) {
      if (!channel.startsWith('dm:')) continue;
      const allowed = await this.deps.channels.access.check(conn.userId, channel, 'subscribe').then(
        () => true,
        () => false,
      );
      if (!allowed) await this.revoke(conn, channel, 'channel_forbidden');
    }
  }

  /** Ends the connection's subscription to `channel` and tells the client why. */
  async revoke(conn: Connection, channel: string, code: 'channel_forbidden'): Promise<void> {
    if (!conn.subs.delete(channel)) return;
    this.hub.unsubscribe(conn, channel);
    conn.out.push(
      Buffer.from(JSON.stringify({ type: 'unsubscribed', channel, error: { code, message: 'Access to this channel ended.' } })),
    );
    await this.leave(conn, channel);
  }

  /** Charges rule `rule` for `key`; throws `rate_limited` with a retry time when over. */
  async limit(conn: Connection, rule: RateRuleName, key: string): Promise<void> {
    const spec = this.settings.rateLimits[rule];
    const decision = await this.deps.limiter.consume(`ws:${rule}:${key}`, spec);
    if (!decision.allowed) throw rateLimited(spec, decision);
  }

  async leave(conn: Connection, channel: string): Promise<void> {
    if (!conn.dropPresence(channel)) return;
    if (!(await this.deps.presence.remove(channel, conn.id)) || conn.user === null) return;
    const frame = JSON.stringify({ type: 'presence.leave', channel, client: conn.id, user: conn.user });
    await this.deps.broker.publish(channel, { frame, from: conn.user.id, sheddable: true });
  }

  closed(conn: Connection): void {
    this.connections.delete(conn);
    decrement(this.perIp, conn.ip);
    for (const channel of conn.subs) this.hub.unsubscribe(conn, channel);
    this.geo.unsubscribe(conn);
    if (conn.user === null) return;
    decrement(this.perUser, conn.user.id);
    this.hub.detachUser(conn);
    const user = conn.user;
    const work = [...(conn.presence?.keys() ?? [])].map((channel) => this.leave(conn, channel));
    work.push(this.status.remove(user, conn.id));
    const done = Promise.all(work)
      .catch((err: unknown) => this.onError(err, conn))
      .finally(() => this.leaving.delete(done));
    this.leaving.add(done);
  }

  /**
   * The broker did not take a publication stored on `channel` (it is unreachable): this node's
   * subscribers get it from the store now, other nodes' when their broker reconnects. Logged at most
   * every few seconds, with how many there were, as an outage fails every publish.
   */
  undelivered(channel: string, err: unknown): void {
    this.hub.resync([channel]);
    this.undeliveredCount++;
    const now = Date.now();
    if (now - this.undeliveredLoggedAt < LOG_EVERY_MS) return;
    this.deps.log.warn({ err, channel, count: this.undeliveredCount }, 'the broker did not take publications; catching up from the store');
    this.undeliveredLoggedAt = now;
    this.undeliveredCount = 0;
  }

  onError(err: unknown, conn: Connection): void {
    this.deps.log.error({ err, client: conn.id }, 'real-time connection error');
  }

  /** Graceful stop: every socket is closed with the reconnect code `server_shutdown`. */
  async close(): Promise<void> {
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    if (this.deadlines !== null) clearInterval(this.deadlines);
    for (const conn of [...this.connections]) conn.close('server_shutdown');
    // Their presence and status entries are removed through the broker and the presence tracker: let that
    // finish (bounded) before those close, or each would fail with "the client is closed" (seen with Redis).
    await Promise.race([Promise.allSettled([...this.leaving]), new Promise((resolve) => setTimeout(resolve, SHUTDOWN_LEAVE_MS).unref())]);
    await this.deps.broker.close();
    await this.deps.presence.close();
  }

  /**
   * Closes sockets that did not authenticate in time, and sockets whose token expired without a fresh
   * `auth` frame (with a reconnect code: the client refreshes its token and comes back). One sweep for
   * all connections instead of two timers each.
   */
  private enforceDeadlines(): void {
    const now = Date.now();
    for (const conn of this.connections) {
      if (conn.user === null) {
        if (now - conn.openedAt >= this.settings.authTimeoutMs) conn.close('auth_timeout');
      } else if (conn.expiresAt <= now) {
        conn.close('token_expired');
      }
    }
  }

  /** Pings the sockets of one slice; one that has not answered its previous ping is dead. Live presence is refreshed. */
  private beat(): void {
    const slice = this.beatSlice;
    this.beatSlice = (slice + 1) % BEAT_SLICES;
    const touches: Array<Promise<unknown>> = [];
    for (const conn of this.connections) {
      // The id is random base64url: its last character spreads connections evenly over the slices.
      if (conn.id.charCodeAt(conn.id.length - 1) % BEAT_SLICES !== slice) continue;
      if (!conn.alive) {
        conn.socket.terminate();
        continue;
      }
      conn.alive = false;
      conn.socket.ping();
      if (conn.user === null) continue;
      const user = conn.user;
      for (const [channel, state] of conn.presence ?? []) touches.push(this.deps.presence.add(channel, conn.id, { user, state }));
      touches.push(this.status.touch(user, conn.id, conn.status));
    }
    // One line per beat, not one per connection, when presence is unreachable (Redis down): entries
    // then expire, and the first beat after it is back adds them again.
    void Promise.allSettled(touches).then((results) => {
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed.length > 0)
        this.deps.log.warn({ err: failed[0]!.reason as unknown, failed: failed.length }, 'heartbeat could not refresh presence');
    });
  }

  noteClose(reason: string): void {
    this.closeReasons.set(reason, (this.closeReasons.get(reason) ?? 0) + 1);
  }
}

function decrement(counts: Map<string, number>, key: string): void {
  const count = (counts.get(key) ?? 0) - 1;
  if (count > 0) counts.set(key, count);
  else counts.delete(key);
}
