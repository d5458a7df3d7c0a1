import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { Broker, BrokerHandler, Publication, ReconnectHandler } from '../core/broker.js';
import { unavailable } from '../errors/unavailable.js';

/**
 * Fan-out between nodes over NATS core pub/sub, the second broker of DESIGN section 1. Channel names
 * may hold characters NATS gives meaning to (`.`, `*`, `>`), so each topic becomes the subject
 * `lo.<base64url of the topic>`.
 *
 * Outages (see the Broker contract): the client reconnects by itself, subscribes again and sends what
 * was published meanwhile from its reconnect buffer, then reports `reconnect`, which this broker
 * passes on as `reconnected`. A subscribe while disconnected is refused at once instead of waiting
 * for the server (its flush would hang until then).
 */
export class NatsBroker implements Broker {
  private nc: NatsConnection | null = null;
  private handler: BrokerHandler | null = null;
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();
  private disconnected = false;

  constructor(private readonly url: string) {}

  async start(handler: BrokerHandler, reconnected?: ReconnectHandler): Promise<void> {
    this.handler = handler;
    const server = new URL(this.url);
    const nc = await connect({ servers: `${server.hostname}:${server.port || '4222'}`, timeout: 5000, maxReconnectAttempts: -1 });
    this.nc = nc;
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type === 'disconnect') this.disconnected = true;
        if (status.type !== 'reconnect') continue;
        this.disconnected = false;
        reconnected?.();
      }
    })().catch(() => undefined);
  }

  subscribe(topics: string[]): Promise<void> {
    const nc = this.connection();
    if (this.disconnected) return Promise.reject(unavailable('broker', new Error('NATS connection is down')));
    for (const topic of topics) {
      if (this.subscriptions.has(topic)) continue;
      // The client calls this as it parses each socket read, so a burst reaches the hub within the turn
      // it was read in and goes out in one write per socket (test/contracts/broker-burst-contract.ts).
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
    // Offline, the client forgets them locally and will not subscribe them again: nothing to wait for.
    return this.disconnected ? Promise.resolve() : this.connection().flush();
  }

  publish(topic: string, publication: Publication): Promise<void> {
    try {
      // While reconnecting this goes to the client's reconnect buffer (sent on reconnection); it throws
      // when that buffer is full or the connection is closed.
      this.connection().publish(subjectOf(topic), this.encoder.encode(JSON.stringify(publication)));
    } catch (err) {
      return Promise.reject(unavailable('broker', err));
    }
    return Promise.resolve();
  }

  async ping(): Promise<void> {
    if (this.disconnected) throw unavailable('broker', new Error('NATS connection is down'));
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
