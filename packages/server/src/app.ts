import type { Config } from './config/config.js';
import { retentionOf } from './core/channels/namespaces.js';
import type { Store } from './core/store.js';
import type { AuthService } from './core/auth/auth-service.js';
import { buildHttp } from './http/http-server.js';
import type { Http } from './http/http-deps.js';
import { HealthState } from './ops/health.js';
import { Metrics } from './ops/metrics.js';
import { attachGateway } from './realtime/gateway.js';
import { realtimeSettings, RealtimeNode } from './realtime/realtime-node.js';
import { registerRealtimeMetrics } from './realtime/realtime-metrics.js';
import { commonPasswords } from './security/common-passwords.js';
import { jwtCodec } from './security/jwt-codec.js';
import { loadJwtSecret } from './security/jwt-secret.js';
import { buildServices } from './services.js';
import { openShared, type Shared } from './shared.js';
import { openStore } from './store/open-store.js';
import { startHousekeeping } from './util/housekeeping.js';
import { systemClock, type Clock } from './util/time.js';
import { VERSION } from './version.js';

export type { Shared } from './shared.js';

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

/** The composition root: config → store → broker → presence → limiter → services → realtime node → HTTP → gateway. */
export async function createApp(config: Config, clock: Clock = systemClock, shared: Partial<Shared> = {}): Promise<App> {
  const store = await openStore(config);
  const [ipKey, privacyKey] = await Promise.all([store.secret('ip-hash'), store.secret('privacy-grid')]);
  const nodeShared = openShared(config, shared);
  const { broker, presence, limiter } = nodeShared;
  const metrics = new Metrics();
  const health = new HealthState(VERSION, { database: () => store.ping(), broker: () => broker.ping() });
  const tokens = jwtCodec(loadJwtSecret(config.jwtSecret, config.dataDir));
  const services = buildServices({
    config,
    clock,
    store,
    shared: nodeShared,
    tokens,
    keys: { ipKey, privacyKey },
    // Late-bound: the realtime node and the logger are built below.
    undelivered: (channel, err) => realtime.undelivered(channel, err),
    geoFanoutFailed: (err) => http.log.error({ err }, 'geo fan-out'),
  });
  const { auth, channels, messages, beacons } = services;
  const http = await buildHttp({ config, version: VERSION, clock, store, limiter, metrics, health, ...services });
  const realtime = new RealtimeNode({ store, broker, presence, limiter, clock, log: http.log, ...services }, realtimeSettings(config));
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
      // A deeper accept queue than Node's 511 (the kernel caps it at net.core.somaxconn): after a restart
      // or a network blip thousands of clients reconnect within a second (lo bench storm).
      await http.listen({ host: config.host, port: config.port, backlog: 4096 });
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
