import type { Broker, BrokerHandler, Publication } from '../core/broker.js';

/**
 * Connects memory brokers in one process, as a Redis server connects nodes: every broker on the bus
 * hears what any of them publishes on the topics it subscribed to. A lone memory broker has a bus of
 * its own; tests run several nodes in one process on a shared one.
 */
export class MemoryBus {
  readonly brokers = new Set<MemoryBroker>();

  deliver(topic: string, publication: Publication): void {
    for (const broker of this.brokers) broker.receive(topic, publication);
  }
}

/**
 * The broker of a single process. It calls the node's handler directly, so one node runs the same
 * delivery path as many (publish → broker → handler → hub). Like Redis, it delivers only topics this
 * node subscribed to.
 */
export class MemoryBroker implements Broker {
  private handler: BrokerHandler | null = null;
  private readonly topics = new Set<string>();

  constructor(private readonly bus: MemoryBus = new MemoryBus()) {}

  /** Topics this node listens to (a node subscribes only to what its connections need). */
  get subscribed(): ReadonlySet<string> {
    return this.topics;
  }

  start(handler: BrokerHandler): Promise<void> {
    this.handler = handler;
    this.bus.brokers.add(this);
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
    this.bus.deliver(topic, publication);
    return Promise.resolve();
  }

  receive(topic: string, publication: Publication): void {
    if (this.handler !== null && this.topics.has(topic)) this.handler(topic, publication);
  }

  ping(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.handler = null;
    this.topics.clear();
    this.bus.brokers.delete(this);
    return Promise.resolve();
  }
}
