/**
 * The domain services of one node, built from the store, what nodes share and the node's keys. Kept
 * apart from app.ts so the composition root reads as the order things are wired in.
 */
import type { Config } from './config/config.js';
import { AuthService } from './core/auth/auth-service.js';
import { ChannelAccess } from './core/channels/channel-access.js';
import { ChannelService } from './core/channels/channel-service.js';
import { GeoFanout } from './core/geo/geo-fanout.js';
import { AreaService } from './core/location/area-service.js';
import { BeaconService } from './core/location/beacon-service.js';
import { ProximityService } from './core/location/proximity-service.js';
import { MessageService } from './core/messages/message-service.js';
import type { TokenCodec } from './core/ports.js';
import { RoomService } from './core/rooms/room-service.js';
import { SocialService } from './core/social/social-service.js';
import type { Store } from './core/store.js';
import { LocationService } from './core/users/location-service.js';
import { UserService } from './core/users/user-service.js';
import { argon2Hasher } from './security/argon2-hasher.js';
import { commonPasswords } from './security/common-passwords.js';
import type { Shared } from './shared.js';
import type { Clock } from './util/time.js';

export interface Services {
  auth: AuthService;
  channels: ChannelService;
  locations: LocationService;
  messages: MessageService;
  users: UserService;
  social: SocialService;
  rooms: RoomService;
  beacons: BeaconService;
  areas: AreaService;
}

export interface ServiceInputs {
  config: Config;
  clock: Clock;
  store: Store;
  shared: Shared;
  tokens: TokenCodec;
  /** Keys kept in the database (every node has the same): IP hashing and the privacy grid. */
  keys: { ipKey: Uint8Array; privacyKey: Uint8Array };
  /** A stored chat message the broker did not take: the node delivers it to its own subscribers from the store. */
  undelivered: (channel: string, err: unknown) => void;
  /** A geo post the broker did not take (it is stored; live viewers see it in their feed). */
  geoFanoutFailed: (err: unknown) => void;
}

export function buildServices({ config, clock, store, shared, tokens, keys, undelivered, geoFanoutFailed }: ServiceInputs): Services {
  const { broker, limiter } = shared;
  const channels = new ChannelService(store, broker, new ChannelAccess(store, config.namespaces), clock, limiter, undelivered);
  const auth = new AuthService({
    store,
    hasher: argon2Hasher,
    tokens,
    passwords: commonPasswords,
    limiter,
    clock,
    ipKey: keys.ipKey,
    settings: config,
    events: channels,
  });
  const locations = new LocationService(store, clock, config.maxSpeedMps);
  const messageSettings = { privacyGridM: config.privacyGridM, defaultTtlS: config.messageTtlS, editWindowS: config.messageEditWindowS };
  const fanout = new GeoFanout(broker, geoFanoutFailed);
  const messages = new MessageService(store, locations, clock, keys.privacyKey, messageSettings, fanout);
  const proximity = new ProximityService(store, broker);
  const beaconRule = config.rateLimits.beacon;
  const beacons = new BeaconService({ store, locations, proximity, broker, limiter, clock, privacyKey: keys.privacyKey, rule: beaconRule });
  return {
    auth,
    channels,
    locations,
    messages,
    users: new UserService(store, clock, channels),
    social: new SocialService(store, clock, channels),
    rooms: new RoomService(store, clock, channels),
    beacons,
    areas: new AreaService(store, limiter, clock, { k: config.areaK, rule: config.rateLimits.area }),
  };
}
