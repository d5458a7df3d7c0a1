import type { Broker, BrokerHandler, Publication } from '../core/broker.js';

/**
 * The broker of a single process. It calls the node's handler directly, so one node runs the same
 * delivery path as many (publish → broker → handler → hub). Like Redis, it delivers only topics this
 * node subscribed to.
 */
export class MemoryBroker implements Broker {
  private handler: BrokerHandler | null = null;
  private readonly topics = new Set<string>();

  start(handler: BrokerHandler): Promise<void> {
    this.handler = handler;
    return Promise.resolve();
  }

  subscribe(topics: string[]): Promise<void> {
    for (const topic of topics) this.topics.add(topic);
    return Promise.resolve();
  }

  unsubscribe(topics: string[]): Promise<void> {
    for (const topic of topics) this.topics.delete(topic);
    return Promise.resolve();
  }

  publish(topic: string, publication: Publication): Promise<void> {
    if (this.handler !== null && this.topics.has(topic)) this.handler(topic, publication);
    return Promise.resolve();
  }

  ping(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.handler = null;
    this.topics.clear();
    return Promise.resolve();
  }
}
