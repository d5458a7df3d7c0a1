import type { PresenceInfo, PresenceStats, PresenceTracker } from '../core/presence.js';

interface Entry {
  info: PresenceInfo;
  expiresAt: number;
}

/** Presence of a single process. Expired entries are dropped when read and by a sweep timer. */
export class MemoryPresence implements PresenceTracker {
  private readonly channels = new Map<string, Map<string, Entry>>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.max(1000, ttlMs));
    this.sweeper.unref();
  }

  add(channel: string, clientId: string, info: PresenceInfo): Promise<boolean> {
    let entries = this.channels.get(channel);
    if (entries === undefined) {
      entries = new Map();
      this.channels.set(channel, entries);
    }
    const before = entries.get(clientId);
    const joined = before === undefined || before.expiresAt <= this.now();
    entries.set(clientId, { info, expiresAt: this.now() + this.ttlMs });
    return Promise.resolve(joined);
  }

  remove(channel: string, clientId: string): Promise<boolean> {
    const entries = this.channels.get(channel);
    const entry = entries?.get(clientId);
    if (entries === undefined || entry === undefined) return Promise.resolve(false);
    entries.delete(clientId);
    if (entries.size === 0) this.channels.delete(channel);
    return Promise.resolve(entry.expiresAt > this.now());
  }

  list(channel: string): Promise<Map<string, PresenceInfo>> {
    return Promise.resolve(new Map([...this.live(channel)].map(([client, entry]) => [client, entry.info])));
  }

  stats(channel: string): Promise<PresenceStats> {
    const users = new Set<string>();
    let clients = 0;
    for (const [, entry] of this.live(channel)) {
      clients++;
      users.add(entry.info.user.id);
    }
    return Promise.resolve({ clients, users: users.size });
  }

  close(): Promise<void> {
    clearInterval(this.sweeper);
    this.channels.clear();
    return Promise.resolve();
  }

  private *live(channel: string): Generator<[string, Entry]> {
    const now = this.now();
    for (const item of this.channels.get(channel) ?? []) if (item[1].expiresAt > now) yield item;
  }

  private sweep(): void {
    const now = this.now();
    for (const [channel, entries] of this.channels) {
      for (const [client, entry] of entries) if (entry.expiresAt <= now) entries.delete(client);
      if (entries.size === 0) this.channels.delete(channel);
    }
  }
}
