/**
 * The fan-out port (DESIGN section 2). A broker carries "something happened on topic T" to every node
 * that subscribed to T, the publishing node included; durability lives in the store, never here.
 * Implementations: memory (one process; calls the handler directly), Redis and NATS (many nodes). All
 * pass test/contracts/broker-contract.ts.
 *
 * Contract:
 * - `publish` resolves once the broker has taken the publication; the handler of every node subscribed
 *   to the topic is then called with it once (at-most-once: a node that is disconnected misses it, and
 *   the store-backed recovery closes the gap).
 * - Publications of one publisher on one topic reach each node in publish order. Order across
 *   publishers is not promised: the hub restores it from the store's offsets.
 * - Topics are channel names (`room:<id>`, `user:<id>`, …) and geo cells (`geo:<geohash>`); `subscribe` and `unsubscribe` are
 *   idempotent and not reference counted (the hub counts local interest).
 * - Outages: while the broker server is unreachable, `publish` and `subscribe` reject with LoError
 *   `unavailable` (or, NATS, `publish` is buffered by the client and sent on reconnection), `ping`
 *   rejects or does not answer, `unsubscribe` only forgets the topic, and nothing throws elsewhere.
 *   The broker reconnects by itself; once every topic is subscribed again it calls `reconnected`.
 *   What was published in between is lost to the subscribers (at-most-once), so the node reads it
 *   back from the store then (Hub.resync).
 */
import type { CloseReason } from '@lo/protocol';
import type { GeoEvent } from './geo/geo-event.js';

/** Node-level events carried on a user's topic, applied to that user's connections on every node. */
export type ControlEvent =
  /** Close the user's connections (of one session, or all) with `reason`: logout, ban, deletion. */
  | { kind: 'disconnect'; sessionId?: string; reason: CloseReason }
  /** The user's blocks or friendships changed: connections reload who they hide and whose status they see. */
  | { kind: 'relations_changed' }
  /** The user may no longer read `channel` (removed from a room): end their subscriptions to it. */
  | { kind: 'revoked'; channel: string };

export interface Publication {
  /** The encoded server frame, made once by the publishing node and written as is to each subscriber. */
  frame?: string;
  /** Persisted channels: the message's offset, which restores order and removes duplicates. */
  offset?: number;
  /** The user it is from: connections that block them, or are blocked by them, do not get it. */
  from?: string;
  /** A connection that does not get it (the sender of a typing event). */
  skip?: string;
  /**
   * `subscribers` (default): the channel's subscribers. `user`: every connection of the user whose
   * `user:<id>` topic this is, subscribed or not (status changes of friends).
   */
  to?: 'subscribers' | 'user';
  /** Ephemeral (typing, presence, status): dropped first when a subscriber's queue fills. */
  sheddable?: boolean;
  /**
   * A second view for subscribers who are not friends of `from` (nor `from` itself): they get this
   * frame instead of `frame`, or nothing when it is null. Absent: everyone gets `frame`. Beacons use it
   * to send friends the exact point and strangers a coarse one (core/location/beacon-service.ts).
   */
  strangerFrame?: string | null;
  control?: ControlEvent;
  /** On `geo:<cell>` topics: a geo post stored or deleted (core/geo/geo-fanout.ts); the hub hands it to the geo index. */
  geo?: GeoEvent;
}

export type BrokerHandler = (topic: string, publication: Publication) => void;

/** Called after the broker lost its server and has it back, every topic subscribed again. */
export type ReconnectHandler = () => void;

export interface Broker {
  /** Starts delivery to `handler`; called once, before anything else. The memory broker never reconnects. */
  start(handler: BrokerHandler, reconnected?: ReconnectHandler): Promise<void>;
  subscribe(topics: string[]): Promise<void>;
  unsubscribe(topics: string[]): Promise<void>;
  publish(topic: string, publication: Publication): Promise<void>;
  /** Resolves when the broker answers (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
