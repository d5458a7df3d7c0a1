import { createClient, type RedisClientType } from 'redis';
import type { Broker, BrokerHandler, Publication } from '../core/broker.js';

/** Redis channels carry publications as JSON, under a prefix so one Redis can serve other apps too. */
const PREFIX = 'lo:';

/**
 * Fan-out between nodes over Redis pub/sub (DESIGN section 1). One connection publishes, a duplicate
 * subscribes (a subscribed Redis connection can do nothing else). Every node subscribed to a topic gets
 * each publication, the publishing node included, in the order its publisher sent it.
 */
export class RedisBroker implements Broker {
  private readonly pub: RedisClientType;
  private readonly sub: RedisClientType;
  private handler: BrokerHandler | null = null;

  constructor(url: string) {
    this.pub = createClient({ url, socket: { connectTimeout: 5000 } });
    this.sub = this.pub.duplicate();
    // Connection errors surface through ping (readiness) and failing publishes; the client reconnects.
    for (const client of [this.pub, this.sub]) client.on('error', () => undefined);
  }

  async start(handler: BrokerHandler): Promise<void> {
    this.handler = handler;
    await Promise.all([this.pub.connect(), this.sub.connect()]);
  }

  async subscribe(topics: string[]): Promise<void> {
    if (topics.length === 0) return;
    await this.sub.subscribe(
      topics.map((t) => PREFIX + t),
      this.deliver,
    );
  }

  async unsubscribe(topics: string[]): Promise<void> {
    if (topics.length === 0) return;
    await this.sub.unsubscribe(topics.map((t) => PREFIX + t));
  }

  async publish(topic: string, publication: Publication): Promise<void> {
    await this.pub.publish(PREFIX + topic, JSON.stringify(publication));
  }

  async ping(): Promise<void> {
    await this.pub.ping();
  }

  async close(): Promise<void> {
    this.handler = null;
    await Promise.allSettled([this.sub.close(), this.pub.close()]);
  }

  private readonly deliver = (message: string, channel: string): void => {
    if (this.handler === null || !channel.startsWith(PREFIX)) return;
    this.handler(channel.slice(PREFIX.length), JSON.parse(message) as Publication);
  };
}
