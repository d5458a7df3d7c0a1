import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  onRequestAsyncHookHandler,
  preHandlerAsyncHookHandler,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { Config } from '../config/config.js';
import type { AuthService } from '../core/auth/auth-service.js';
import type { ChannelService } from '../core/channels/channel-service.js';
import type { MessageService } from '../core/messages/message-service.js';
import type { RoomService } from '../core/rooms/room-service.js';
import type { RateLimiter, RateRuleName } from '../core/rate-rules.js';
import type { SocialService } from '../core/social/social-service.js';
import type { Store } from '../core/store.js';
import type { LocationService } from '../core/users/location-service.js';
import type { AreaService } from '../core/location/area-service.js';
import type { BeaconService } from '../core/location/beacon-service.js';
import type { UserService } from '../core/users/user-service.js';
import type { HealthState } from '../ops/health.js';
import type { Metrics } from '../ops/metrics.js';
import type { Clock } from '../util/time.js';
import type { Limit } from './rate-limit.js';

export type Http = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** What the HTTP layer is built from (assembled by app.ts). */
export interface HttpDeps {
  config: Config;
  version: string;
  clock: Clock;
  store: Store;
  limiter: RateLimiter;
  metrics: Metrics;
  health: HealthState;
  auth: AuthService;
  users: UserService;
  locations: LocationService;
  social: SocialService;
  messages: MessageService;
  rooms: RoomService;
  channels: ChannelService;
  beacons: BeaconService;
  areas: AreaService;
}

/** Route options of an authenticated route: the token is checked first, before the body is even read. */
export interface Secured {
  onRequest: onRequestAsyncHookHandler[];
  preHandler?: preHandlerAsyncHookHandler[];
}

/** What every route group receives: the deps plus the shared hooks. */
export interface RouteDeps extends HttpDeps {
  /** Options for an authenticated route, charged to rate rule `rule` when given: `{ schema, ...secured('write') }`. */
  secured: (rule?: RateRuleName) => Secured;
  limit: Limit;
}
