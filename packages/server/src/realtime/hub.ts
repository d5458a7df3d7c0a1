/**
 * The hub indexes this node's subscribers by channel and its connections by user, and turns broker
 * publications into queued frames. It keeps per-channel order: persisted publications carry the
 * offset the store gave them, and publishers on different nodes (or racing on one) can reach the
 * broker out of order, so a publication that skips ahead waits briefly for the ones before it and,
 * if they do not come, the hub reads them from the store (they committed before it, so they are there).
 */
import type { Broker, BrokerHandler, ControlEvent, Publication } from '../core/broker.js';
import type { Outbound } from './outbound.js';
import { TopicInterest } from './topic-interest.js';

/** What the hub needs of a connection. */
export interface HubClient {
  readonly id: string;
  readonly userId: string;
  /** Users this connection's user blocks or is blocked by: their publications are not delivered. */
  readonly hidden: ReadonlySet<string>;
  /** This connection's user's friends: publications with a `strangerFrame` give them `frame`. */
  readonly friends: ReadonlySet<string>;
  readonly out: Outbound;
  control(event: ControlEvent): void;
}

/** A stored publication read back to fill a gap. */
export interface FilledPublication {
  offset: number;
  frame: string;
  from: string;
}

export type GapFiller = (channel: string, afterOffset: number, limit: number) => Promise<FilledPublication[]>;

/** Most publications read back from the store for one gap. */
const MAX_FILL = 10_000;

/** Channels read back at once by a resync. */
const RESYNC_CONCURRENCY = 8;

interface Subscriber {
  client: HubClient;
  /** Highest offset delivered (or replayed) to this subscriber. */
  offset: number;
  /** While the subscriber's recovery is read: publications held back until its reply is sent. */
  held: Array<{ frame: Buffer; offset: number | undefined; sheddable: boolean }> | null;
}

interface ChannelEntry {
  subscribers: Map<string, Subscriber>;
  /** Highest offset delivered in order; null until the first subscriber read the channel's position. */
  offset: number | null;
  pending: Map<number, Publication>;
  gapTimer: NodeJS.Timeout | null;
  /** A resync is reading the store; `again`: another was asked for meanwhile, so it reads once more. */
  resync: { again: boolean } | null;
}

export interface HubStats {
  channels: number;
  subscriptions: number;
  deliveries: number;
  gapFills: number;
  resyncs: number;
}

export class Hub {
  private readonly channels = new Map<string, ChannelEntry>();
  private readonly users = new Map<string, Map<string, HubClient>>();
  /** Local interest per broker topic: channel subscribers, attached connections of the topic's user, geo cells. */
  readonly topics: TopicInterest;
  /** Where `geo:<cell>` publications go (the geo index); they have no channel subscribers. */
  private geo: BrokerHandler | null = null;
  readonly stats: HubStats = { channels: 0, subscriptions: 0, deliveries: 0, gapFills: 0, resyncs: 0 };

  constructor(
    broker: Broker,
    private readonly fill: GapFiller,
    private readonly gapWaitMs: number,
    private readonly onError: (err: unknown) => void,
  ) {
    this.topics = new TopicInterest(broker, onError);
  }

  /** Hands every `geo:` topic publication to `handler`, which counts its interest with retain/release. */
  routeGeo(handler: BrokerHandler): void {
    this.geo = handler;
  }

  subscriberCount(channel: string): number {
    return this.channels.get(channel)?.subscribers.size ?? 0;
  }

  /**
   * Registers a subscriber in holding mode, before its recovery is read: whatever is published from
   * now on is held for it, so nothing falls between the store read and live delivery.
   */
  async subscribe(client: HubClient, channel: string): Promise<void> {
    let entry = this.channels.get(channel);
    if (entry === undefined) {
      entry = { subscribers: new Map(), offset: null, pending: new Map(), gapTimer: null, resync: null };
      this.channels.set(channel, entry);
      this.stats.channels++;
    }
    entry.subscribers.set(client.id, { client, offset: 0, held: [] });
    this.stats.subscriptions++;
    await this.topics.retain(channel);
  }

  /**
   * Ends holding: `position` is the channel offset the subscriber's read saw and `replayed` the last
   * offset it was sent. Held publications after that go out now, in order; live delivery follows.
   */
  async activate(client: HubClient, channel: string, position: number, replayed: number): Promise<void> {
    const entry = this.channels.get(channel);
    const sub = entry?.subscribers.get(client.id);
    if (entry === undefined || sub === undefined || sub.held === null) return;
    sub.offset = Math.max(position, replayed);
    if (entry.offset !== null && entry.offset > sub.offset) await this.catchUp(channel, entry, sub);
    const held = sub.held ?? [];
    sub.held = null;
    for (const item of held) this.write(sub, item.frame, item.offset, item.sheddable);
    if (entry.offset === null) {
      entry.offset = position;
      this.drain(channel, entry);
    }
  }

  /**
   * Two subscribers of a channel new to this node can read the store in either order: if the other
   * one's (later) position became the channel's, what lies between this one's and it was dropped as
   * already delivered. Read it back and merge it into what is held, in offset order.
   */
  private async catchUp(channel: string, entry: ChannelEntry, sub: Subscriber): Promise<void> {
    const have = new Set(sub.held?.map((item) => item.offset));
    try {
      const rows = await this.fill(channel, sub.offset, Math.min(entry.offset! - sub.offset, MAX_FILL));
      const missing = rows.filter((row) => !have.has(row.offset) && !(row.from !== undefined && sub.client.hidden.has(row.from)));
      const held = [
        ...missing.map((row) => ({ frame: Buffer.from(row.frame), offset: row.offset, sheddable: false })),
        ...(sub.held ?? []),
      ];
      // Messages in offset order; ephemeral events (presence, typing) after them.
      const ordered = held.filter((item) => item.offset !== undefined).sort((a, b) => a.offset! - b.offset!);
      sub.held = [...ordered, ...held.filter((item) => item.offset === undefined)];
    } catch (err) {
      this.onError(err);
    }
  }

  unsubscribe(client: HubClient, channel: string): void {
    const entry = this.channels.get(channel);
    if (entry === undefined || !entry.subscribers.delete(client.id)) return;
    this.stats.subscriptions--;
    if (entry.subscribers.size === 0) {
      if (entry.gapTimer !== null) clearTimeout(entry.gapTimer);
      this.channels.delete(channel);
      this.stats.channels--;
    }
    this.topics.release(channel);
  }

  /** Every authenticated connection listens on its user's topic (control events, friends' status). */
  async attachUser(client: HubClient): Promise<void> {
    let clients = this.users.get(client.userId);
    if (clients === undefined) {
      clients = new Map();
      this.users.set(client.userId, clients);
    }
    clients.set(client.id, client);
    await this.topics.retain(`user:${client.userId}`);
  }

  detachUser(client: HubClient): void {
    const clients = this.users.get(client.userId);
    if (clients === undefined || !clients.delete(client.id)) return;
    if (clients.size === 0) this.users.delete(client.userId);
    this.topics.release(`user:${client.userId}`);
  }

  /** The broker handler: every publication this node hears comes through here. */
  readonly handle = (topic: string, pub: Publication): void => {
    if (topic.startsWith('geo:')) return this.geo?.(topic, pub);
    if (pub.control !== undefined || pub.to === 'user') {
      const clients = topic.startsWith('user:') ? this.users.get(topic.slice(5)) : undefined;
      if (clients === undefined) return;
      const frame = pub.frame === undefined ? null : Buffer.from(pub.frame);
      for (const client of [...clients.values()]) {
        if (pub.control !== undefined) client.control(pub.control);
        else if (frame !== null && !(pub.from !== undefined && client.hidden.has(pub.from))) client.out.push(frame, pub.sheddable);
      }
      return;
    }
    const entry = this.channels.get(topic);
    if (entry === undefined || pub.frame === undefined) return;
    if (pub.offset === undefined) return this.fanOut(entry, pub);
    if (entry.offset !== null && pub.offset <= entry.offset) return;
    entry.pending.set(pub.offset, pub);
    this.drain(topic, entry);
  };

  /** Delivers pending publications that are next in order; waits for (then fetches) missing ones. */
  private drain(channel: string, entry: ChannelEntry): void {
    if (entry.offset === null) return;
    let next: Publication | undefined;
    while ((next = entry.pending.get(entry.offset + 1)) !== undefined) {
      entry.pending.delete(entry.offset + 1);
      entry.offset++;
      this.fanOut(entry, next);
    }
    for (const offset of entry.pending.keys()) if (offset <= entry.offset) entry.pending.delete(offset);
    if (entry.pending.size === 0) {
      if (entry.gapTimer !== null) clearTimeout(entry.gapTimer);
      entry.gapTimer = null;
    } else if (entry.gapTimer === null) {
      entry.gapTimer = setTimeout(() => void this.fillGap(channel, entry), this.gapWaitMs);
    }
  }

  private async fillGap(channel: string, entry: ChannelEntry): Promise<void> {
    entry.gapTimer = null;
    if (entry.offset === null || this.channels.get(channel) !== entry || entry.pending.size === 0) return;
    const highest = Math.max(...entry.pending.keys());
    this.stats.gapFills++;
    try {
      const rows = await this.fill(channel, entry.offset, Math.min(highest - entry.offset, MAX_FILL));
      // Every offset up to the highest pending one committed before it, so what the store did not
      // return was deleted (a deleted account's messages).
      this.stepThrough(entry, rows, Math.min(highest, entry.offset + MAX_FILL));
    } catch (err) {
      this.onError(err);
    }
    this.drain(channel, entry);
  }

  /**
   * Catches up channels with subscribers here (all by default) from the store: what the broker lost
   * while it was away (it reconnected), or a publication it could not take after its commit. One read
   * per channel at a time; a call while one runs makes it read once more after.
   */
  resync(channels: Iterable<string> = [...this.channels.keys()]): void {
    const queue = [...channels];
    // A few reads at a time: after a reconnection every channel of the node wants one, and a burst
    // of thousands would queue on the database pool past its connect timeout.
    const worker = async () => {
      for (let channel = queue.shift(); channel !== undefined; channel = queue.shift()) await this.resyncChannel(channel);
    };
    const workers = Math.min(RESYNC_CONCURRENCY, queue.length);
    for (let i = 0; i < workers; i++) void worker();
  }

  private async resyncChannel(channel: string): Promise<void> {
    const entry = this.channels.get(channel);
    if (entry === undefined || entry.offset === null) return;
    if (entry.resync !== null) {
      entry.resync.again = true;
      return;
    }
    const state = { again: true };
    entry.resync = state;
    this.stats.resyncs++;
    try {
      while (state.again && entry.offset !== null && this.channels.get(channel) === entry) {
        state.again = false;
        const rows = await this.fill(channel, entry.offset, MAX_FILL);
        const last = rows.at(-1)?.offset;
        // The store returns committed messages in offset order: what lies before the last one and
        // was not returned was deleted.
        if (last !== undefined) this.stepThrough(entry, rows, last);
        if (rows.length === MAX_FILL) state.again = true;
        this.drain(channel, entry);
      }
    } catch (err) {
      this.onError(err);
    } finally {
      entry.resync = null;
    }
  }

  /** Delivers `rows` and what is pending, in offset order, up to `last`; steps over offsets with neither for good. */
  private stepThrough(entry: ChannelEntry, rows: FilledPublication[], last: number): void {
    if (entry.offset === null) return;
    for (const row of rows) {
      if (row.offset > entry.offset && !entry.pending.has(row.offset)) entry.pending.set(row.offset, { ...row });
    }
    for (let offset = entry.offset + 1; offset <= last; offset++) {
      const pub = entry.pending.get(offset);
      entry.pending.delete(offset);
      entry.offset = offset;
      if (pub !== undefined) this.fanOut(entry, pub);
    }
  }

  private fanOut(entry: ChannelEntry, pub: Publication): void {
    const own = Buffer.from(pub.frame!);
    // Two views (beacons): encoded once each, chosen per subscriber by friendship with the author.
    const stranger = typeof pub.strangerFrame === 'string' ? Buffer.from(pub.strangerFrame) : null;
    const sheddable = pub.sheddable === true;
    for (const sub of entry.subscribers.values()) {
      const client = sub.client;
      if (pub.from !== undefined && client.hidden.has(pub.from)) continue;
      if (pub.skip === client.id) continue;
      let frame = own;
      if (pub.strangerFrame !== undefined && client.userId !== pub.from && !client.friends.has(pub.from ?? '')) {
        if (stranger === null) continue;
        frame = stranger;
      }
      if (sub.held !== null) sub.held.push({ frame, offset: pub.offset, sheddable });
      else this.write(sub, frame, pub.offset, sheddable);
    }
  }

  private write(sub: Subscriber, frame: Buffer, offset: number | undefined, sheddable: boolean): void {
    if (offset !== undefined) {
      if (offset <= sub.offset) return;
      sub.offset = offset;
    }
    this.stats.deliveries++;
    sub.client.out.push(frame, sheddable);
  }
}
