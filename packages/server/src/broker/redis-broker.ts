import { createClient, type RedisClientType } from 'redis';
import type { Broker, BrokerHandler, Publication, ReconnectHandler } from '../core/broker.js';
import { unavailable } from '../errors/unavailable.js';

/** Redis channels carry publications as JSON, under a prefix so one Redis can serve other apps too. */
const PREFIX = 'lo:';

/**
 * Fan-out between nodes over Redis pub/sub (DESIGN section 1). One connection publishes, a duplicate
 * subscribes (a subscribed Redis connection can do nothing else). Every node subscribed to a topic gets
 * each publication, the publishing node included, in the order its publisher sent it.
 *
 * Outages (see the Broker contract): both clients reconnect by themselves with backoff. Commands fail
 * at once while a client is offline (`disableOfflineQueue`): a queue would hold publishes and pings
 * forever, hiding the outage from readiness and from publishers. node-redis subscribes its channels
 * again before it reports 'ready'; this broker then squares them with the topics the hub still wants
 * (an unsubscribe during the outage could not be sent) and calls `reconnected`.
 */
export class RedisBroker implements Broker {
  private readonly pub: RedisClientType;
  private readonly sub: RedisClientType;
  private handler: BrokerHandler | null = null;
  private reconnected: ReconnectHandler = () => undefined;
  /** The topics this node wants, whatever Redis was last told. */
  private readonly topics = new Set<string>();

  constructor(url: string) {
    this.pub = createClient({ url, disableOfflineQueue: true, socket: { connectTimeout: 5000 } });
    this.sub = this.pub.duplicate();
    // Connection errors surface through ping (readiness) and failing publishes; the client reconnects.
    for (const client of [this.pub, this.sub]) client.on('error', () => undefined);
  }

  async start(handler: BrokerHandler, reconnected?: ReconnectHandler): Promise<void> {
    this.handler = handler;
    if (reconnected !== undefined) this.reconnected = reconnected;
    await Promise.all([this.pub.connect(), this.sub.connect()]);
    // From now on 'ready' means a connection came back. Publishes that failed while the publishing
    // connection was down are caught up as well as those the subscribing one missed.
    this.pub.on('ready', () => this.reconnected());
    this.sub.on('ready', () => void this.resubscribed());
  }

  async subscribe(topics: string[]): Promise<void> {
    if (topics.length === 0) return;
    for (const topic of topics) this.topics.add(topic);
    // Not queued while offline: the caller learns of the outage now (the hub rolls the subscriber back).
    if (!this.sub.isReady) throw unavailable('broker', new Error('Redis subscriber connection is down'));
    try {
      await this.sub.subscribe(
        topics.map((t) => PREFIX + t),
        this.deliver,
      );
    } catch (err) {
      throw unavailable('broker', err);
    }
  }

  async unsubscribe(topics: string[]): Promise<void> {
    if (topics.length === 0) return;
    for (const topic of topics) this.topics.delete(topic);
    // Offline, Redis forgets every subscription anyway; resubscribed() drops these after reconnecting.
    if (!this.sub.isReady) return;
    await this.sub.unsubscribe(topics.map((t) => PREFIX + t));
  }

  async publish(topic: string, publication: Publication): Promise<void> {
    try {
      await this.pub.publish(PREFIX + topic, JSON.stringify(publication));
    } catch (err) {
      throw unavailable('broker', err);
    }
  }

  async ping(): Promise<void> {
    await this.pub.ping();
  }

  async close(): Promise<void> {
    this.handler = null;
    this.reconnected = () => undefined;
    await Promise.allSettled([this.sub.close(), this.pub.close()]);
  }

  /** After a reconnection: Redis listens to exactly the wanted topics, then the node catches up. */
  private async resubscribed(): Promise<void> {
    const listening = new Set(this.sub.getPubSubListeners('CHANNELS').keys());
    const extra = [...listening].filter((channel) => !this.topics.has(channel.slice(PREFIX.length)));
    const missing = [...this.topics].filter((topic) => !listening.has(PREFIX + topic));
    try {
      if (extra.length > 0) await this.sub.unsubscribe(extra);
      if (missing.length > 0)
        await this.sub.subscribe(
          missing.map((t) => PREFIX + t),
          this.deliver,
        );
    } catch {
      // Lost again: the next 'ready' squares them and catches up.
      return;
    }
    this.reconnected();
  }

  /**
   * node-redis calls this for each publication as it parses a socket read, all of one read's before the
   * turn ends, so a burst from Redis reaches the hub in one turn and each subscriber socket gets it in one
   * write (realtime/outbound.ts). Handing publications over later one by one (a queue drained per
   * setImmediate) would cost a write per delivery; test/contracts/broker-burst-contract.ts checks this.
   */
  private readonly deliver = (message: string, channel: string): void => {
    if (this.handler === null || !channel.startsWith(PREFIX)) return;
    this.handler(channel.slice(PREFIX.length), JSON.parse(message) as Publication);
  };
}
