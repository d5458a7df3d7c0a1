import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { Broker, BrokerHandler, Publication } from '../core/broker.js';

/**
 * Fan-out between nodes over NATS core pub/sub, the second broker of DESIGN section 1. Channel names
 * may hold characters NATS gives meaning to (`.`, `*`, `>`), so each topic becomes the subject
 * `lo.<base64url of the topic>`.
 */
export class NatsBroker implements Broker {
  private nc: NatsConnection | null = null;
  private handler: BrokerHandler | null = null;
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();

  constructor(private readonly url: string) {}

  async start(handler: BrokerHandler): Promise<void> {
    this.handler = handler;
    const server = new URL(this.url);
    this.nc = await connect({ servers: `${server.hostname}:${server.port || '4222'}`, timeout: 5000, maxReconnectAttempts: -1 });
  }

  subscribe(topics: string[]): Promise<void> {
    const nc = this.connection();
    for (const topic of topics) {
      if (this.subscriptions.has(topic)) continue;
      const subscription = nc.subscribe(subjectOf(topic), {
        callback: (err, msg) => {
          if (err === null && this.handler !== null) this.handler(topic, JSON.parse(this.decoder.decode(msg.data)) as Publication);
        },
      });
      this.subscriptions.set(topic, subscription);
    }
    // Resolves once the server has the subscriptions, so publications after this reach them.
    return nc.flush();
  }

  unsubscribe(topics: string[]): Promise<void> {
    for (const topic of topics) {
      this.subscriptions.get(topic)?.unsubscribe();
      this.subscriptions.delete(topic);
    }
    return this.connection().flush();
  }

  publish(topic: string, publication: Publication): Promise<void> {
    this.connection().publish(subjectOf(topic), this.encoder.encode(JSON.stringify(publication)));
    return Promise.resolve();
  }

  async ping(): Promise<void> {
    await this.connection().flush();
  }

  async close(): Promise<void> {
    this.handler = null;
    this.subscriptions.clear();
    await this.nc?.close();
    this.nc = null;
  }

  private connection(): NatsConnection {
    if (this.nc === null) throw new Error('NATS broker not started');
    return this.nc;
  }
}

function subjectOf(topic: string): string {
  return `lo.${Buffer.from(topic).toString('base64url')}`;
}
