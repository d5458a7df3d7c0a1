import type { Broker } from '../core/broker.js';

/**
 * Local interest in broker topics, reference-counted: the node subscribes to a topic when the first
 * channel subscriber, attached user connection or geo area needs it, and unsubscribes when the last one
 * goes, so a node hears only the topics its own connections need.
 */
export class TopicInterest {
  private readonly interest = new Map<string, number>();
  private readonly subscribing = new Map<string, Promise<void>>();

  constructor(
    private readonly broker: Broker,
    private readonly onError: (err: unknown) => void,
  ) {}

  /**
   * Counts one more local interest in `topic`: the node subscribes to it on the first and resolves once
   * the broker delivers it here (a second caller waits for the first's subscribe). Each call is undone
   * by one `release`.
   */
  async retain(topic: string): Promise<void> {
    const count = (this.interest.get(topic) ?? 0) + 1;
    this.interest.set(topic, count);
    let subscribing = this.subscribing.get(topic);
    if (subscribing === undefined) {
      // A failed subscribe (broker unreachable) is forgotten, so the next caller tries again.
      const attempt = this.broker.subscribe([topic]);
      subscribing = attempt;
      this.subscribing.set(topic, attempt);
      attempt.catch(() => {
        if (this.subscribing.get(topic) === attempt) this.subscribing.delete(topic);
      });
    }
    await subscribing;
  }

  /** Counts one interest less in `topic`: the node unsubscribes from it when none is left. */
  release(topic: string): void {
    const count = (this.interest.get(topic) ?? 0) - 1;
    if (count > 0) {
      this.interest.set(topic, count);
      return;
    }
    this.interest.delete(topic);
    this.subscribing.delete(topic);
    this.broker.unsubscribe([topic]).catch(this.onError);
  }
}
