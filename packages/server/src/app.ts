import { openBroker } from './broker/open-broker.js';
import type { Config } from './config/config.js';
import { AuthService } from './core/auth/auth-service.js';
import { ChannelAccess } from './core/channels/channel-access.js';
import { ChannelService } from './core/channels/channel-service.js';
import { retentionOf } from './core/channels/namespaces.js';
import { GeoFanout } from './core/geo/geo-fanout.js';
import { MessageService } from './core/messages/message-service.js';
import { RoomService } from './core/rooms/room-service.js';
import { SocialService } from './core/social/social-service.js';
import type { Store } from './core/store.js';
import { LocationService } from './core/users/location-service.js';
import { AreaService } from './core/location/area-service.js';
import { BeaconService } from './core/location/beacon-service.js';
import { ProximityService } from './core/location/proximity-service.js';
import { UserService } from './core/users/user-service.js';
import { buildHttp } from './http/http-server.js';
import type { Http } from './http/http-deps.js';
import { HealthState } from './ops/health.js';
import { Metrics } from './ops/metrics.js';
import type { Broker } from './core/broker.js';
import type { PresenceTracker } from './core/presence.js';
import type { RateLimiter } from './core/rate-rules.js';
import { MemoryPresence } from './presence/memory-presence.js';
import { RedisPresence } from './presence/redis-presence.js';
import { MemoryRateLimiter } from './ratelimit/memory-rate-limiter.js';
import { RedisRateLimiter } from './ratelimit/redis-rate-limiter.js';
import { attachGateway } from './realtime/gateway.js';
import { realtimeSettings, RealtimeNode } from './realtime/realtime-node.js';
import { registerRealtimeMetrics } from './realtime/realtime-metrics.js';
import { argon2Hasher } from './security/argon2-hasher.js';
import { commonPasswords } from './security/common-passwords.js';
import { jwtCodec } from './security/jwt-codec.js';
import { loadJwtSecret } from './security/jwt-secret.js';
import { openStore } from './store/open-store.js';
import { startHousekeeping } from './util/housekeeping.js';
import { systemClock, type Clock } from './util/time.js';
import { VERSION } from './version.js';

export interface App {
  readonly config: Config;
  readonly store: Store;
  readonly http: Http;
  readonly auth: AuthService;
  readonly realtime: RealtimeNode;
  /** Starts listening; resolves with the base URL. */
  listen(): Promise<string>;
  /** Graceful stop: readiness fails first, sockets close with a reconnect code, requests finish, then the store closes. */
  close(): Promise<void>;
}

const HOUSEKEEPING_MS = 60_000;

/** What nodes share: fan-out, presence and rate limits (in this process, or in Redis for every node). */
export interface Shared {
  broker: Broker;
  presence: PresenceTracker;
  limiter: RateLimiter;
}

/** What `given` does not provide (tests share an in-process bus), built from LO_BROKER_URL. */
function openShared(config: Config, given: Partial<Shared>): Shared {
  const presenceTtlMs = config.wsPingIntervalS * 2500;
  const redis = /^rediss?:\/\//.test(config.brokerUrl) ? config.brokerUrl : null;
  return {
    broker: given.broker ?? openBroker(config),
    presence: given.presence ?? (redis === null ? new MemoryPresence(presenceTtlMs) : new RedisPresence(redis, presenceTtlMs)),
    limiter: given.limiter ?? (redis === null ? new MemoryRateLimiter() : new RedisRateLimiter(redis)),
  };
}

/** The composition root: config → store → broker → presence → limiter → services → realtime node → HTTP → gateway. */
export async function createApp(config: Config, clock: Clock = systemClock, shared: Partial<Shared> = {}): Promise<App> {
  const store = await openStore(config);
  const [ipKey, privacyKey] = await Promise.all([store.secret('ip-hash'), store.secret('privacy-grid')]);
  const { broker, presence, limiter } = openShared(config, shared);
  const metrics = new Metrics();
  const health = new HealthState(VERSION, { database: () => store.ping(), broker: () => broker.ping() });
  const tokens = jwtCodec(loadJwtSecret(config.jwtSecret, config.dataDir));
  // A stored message the broker did not take goes to this node's subscribers from the store (realtime is built below).
  const undelivered = (channel: string, err: unknown): void => realtime.undelivered(channel, err);
  const channels = new ChannelService(store, broker, new ChannelAccess(store, config.namespaces), clock, limiter, undelivered);
  const auth = new AuthService({
    store,
    hasher: argon2Hasher,
    tokens,
    passwords: commonPasswords,
    limiter,
    clock,
    ipKey,
    settings: config,
    events: channels,
  });
  const locations = new LocationService(store, clock, config.maxSpeedMps);
  const messages = new MessageService(
    store,
    locations,
    clock,
    privacyKey,
    {
      privacyGridM: config.privacyGridM,
      defaultTtlS: config.messageTtlS,
      editWindowS: config.messageEditWindowS,
    },
    new GeoFanout(broker, (err) => http.log.error({ err }, 'geo fan-out')),
  );
  const users = new UserService(store, clock, channels);
  const social = new SocialService(store, clock, channels);
  const rooms = new RoomService(store, clock, channels);
  const proximity = new ProximityService(store, broker);
  const beacons = new BeaconService({ store, locations, proximity, broker, limiter, clock, privacyKey, rule: config.rateLimits.beacon });
  const areas = new AreaService(store, limiter, clock, { k: config.areaK, rule: config.rateLimits.area });
  const deps = {
    config,
    version: VERSION,
    clock,
    store,
    limiter,
    metrics,
    health,
    auth,
    users,
    locations,
    social,
    messages,
    rooms,
    channels,
    beacons,
    areas,
  };
  const http = await buildHttp(deps);
  const realtime = new RealtimeNode(
    { store, broker, presence, limiter, auth, channels, messages, locations, beacons, areas, clock, log: http.log },
    realtimeSettings(config),
  );
  await realtime.start();
  registerRealtimeMetrics(metrics, realtime);
  const gateway = attachGateway(http.server, realtime, config);
  const housekeeping = startHousekeeping(HOUSEKEEPING_MS, http.log, [
    () => messages.purgeExpired(),
    () => channels.trim(retentionOf(config.namespaces)),
    () => beacons.purgeExpired(),
  ]);

  return {
    config,
    store,
    http,
    auth,
    realtime,
    async listen() {
      await http.listen({ host: config.host, port: config.port });
      health.setReady(true);
      // Warm the common-password list soon, not on the first signup, and not while the first readiness
      // probes arrive (a failure here is retried by the first signup).
      setTimeout(
        () => void commonPasswords().catch((err: unknown) => http.log.warn({ err }, 'common-password list not loaded yet')),
        1000,
      ).unref();
      const address = http.server.address();
      const port = typeof address === 'object' && address !== null ? address.port : config.port;
      return `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    },
    async close() {
      health.setReady(false);
      clearInterval(housekeeping);
      gateway.close();
      await realtime.close();
      await limiter.close();
      // Keep-alive connections whose requests finish after the close began go idle only then; Fastify closed
      // the idle ones at the start, so these would linger until keepAliveTimeout (65 s) without a sweep.
      const sweep = setInterval(() => http.server.closeIdleConnections(), 100);
      await http.close().finally(() => clearInterval(sweep));
      await store.close();
    },
  };
}
