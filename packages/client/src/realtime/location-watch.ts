import type { LocEventFrame } from '@lo/protocol';
import type { LoRealtimeError } from '../errors.js';
import type { Channel } from './channel.js';
import { Emitter, type Listener } from './emitter.js';

export interface LocationWatchEvents {
  /** A beacon of the watched user, at the precision they allow you (`precision`, `accuracy` null when coarse). */
  location: [event: LocEventFrame];
  /** The server refused the watch (`not_friends`, `channel_forbidden`…): it is over and not retried. */
  error: [error: LoRealtimeError];
}

/** `loc` pushes by channel name, fed by the client's router. */
export type LocationPushes = Emitter<Record<string, [event: LocEventFrame]>>;

/**
 * A watch on one user's live beacon (`client.watchLocation(userId)`): it subscribes to `loc:<userId>`,
 * resubscribes after every reconnect, and hands on each beacon newer than the last one it gave (the
 * server pushes the last known beacon after each subscribe, which can repeat or trail a live one).
 * Several watches of one user share the subscription; it ends when the last one is closed.
 */
export class LocationWatch {
  private readonly events = new Emitter<LocationWatchEvents>();
  private readonly offs: Array<() => void>;
  private last: LocEventFrame | null;
  private closed = false;
  /** Resolves once the server has confirmed the subscription; rejects when it refuses it. */
  readonly ready: Promise<void>;

  /** @internal Use `client.watchLocation(userId)`. */
  constructor(
    readonly userId: string,
    private readonly channel: Channel,
    pushes: LocationPushes,
    private readonly release: (watch: LocationWatch) => Promise<void>,
    /** The newest beacon another watch of this user has seen (a shared subscription is not pushed it again). */
    initial: LocEventFrame | null,
  ) {
    this.last = initial;
    this.offs = [pushes.on(channel.name, (frame) => this.receive(frame)), channel.on('error', (error) => this.events.emit('error', error))];
    this.ready = channel.subscribe();
    // A refusal reaches `error` listeners (and whoever awaits `ready`); it must not surface as unhandled.
    this.ready.catch(() => {});
  }

  /** The newest beacon seen, or null. */
  get latest(): LocEventFrame | null {
    return this.last;
  }

  on<K extends keyof LocationWatchEvents>(event: K, listener: Listener<LocationWatchEvents[K]>): () => void {
    return this.events.on(event, listener);
  }

  off<K extends keyof LocationWatchEvents>(event: K, listener: Listener<LocationWatchEvents[K]>): void {
    this.events.off(event, listener);
  }

  /** Stops watching; the subscription ends when no other watch of this user remains. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const off of this.offs) off();
    await this.release(this);
  }

  private receive(frame: LocEventFrame): void {
    // ISO 8601 UTC timestamps of one format compare as strings; an equal one is a repeat.
    if (this.closed || (this.last !== null && frame.at <= this.last.at)) return;
    this.last = frame;
    this.events.emit('location', frame);
  }
}
