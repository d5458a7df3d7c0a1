import { createClient, type RedisClientType } from 'redis';
import type { PresenceInfo, PresenceStats, PresenceTracker } from '../core/presence.js';
import { unavailable } from '../errors/unavailable.js';

/**
 * Presence shared by every node, in Redis. Per channel, a sorted set scores each client id by when its
 * entry expires and a hash holds its info; both keys expire with the last entry, so channels nobody is
 * in leave nothing behind. Adds and removes are Lua scripts: "was it there?" and the change are atomic.
 */
const ADD = `
local prev = redis.call('ZSCORE', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
if prev == false or tonumber(prev) <= tonumber(ARGV[1]) then return 1 end
return 0`;

const REMOVE = `
local prev = redis.call('ZSCORE', KEYS[1], ARGV[2])
redis.call('ZREM', KEYS[1], ARGV[2])
redis.call('HDEL', KEYS[2], ARGV[2])
if prev == false or tonumber(prev) <= tonumber(ARGV[1]) then return 0 end
return 1`;

/** Entries read or swept per round trip (bounds the size of one Redis reply). */
const CHUNK = 1000;

export class RedisPresence implements PresenceTracker {
  private readonly client: RedisClientType;
  private ready: Promise<unknown> | null = null;

  constructor(
    url: string,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    // Commands fail at once while Redis is unreachable instead of queueing until it is back: presence
    // is ephemeral, and a caller waiting on it (a `presence` frame, a sign-in) gets a clear error.
    this.client = createClient({ url, disableOfflineQueue: true, socket: { connectTimeout: 5000 } });
    this.client.on('error', () => undefined);
  }

  add(channel: string, clientId: string, info: PresenceInfo): Promise<boolean> {
    return this.call(async () => {
      const now = this.now();
      const args = [String(now), String(now + this.ttlMs), clientId, JSON.stringify(info), String(this.ttlMs)];
      return (await this.client.eval(ADD, { keys: keys(channel), arguments: args })) === 1;
    });
  }

  remove(channel: string, clientId: string): Promise<boolean> {
    return this.call(
      async () => (await this.client.eval(REMOVE, { keys: keys(channel), arguments: [String(this.now()), clientId] })) === 1,
    );
  }

  list(channel: string): Promise<Map<string, PresenceInfo>> {
    return this.call(() => this.read(channel));
  }

  private async read(channel: string): Promise<Map<string, PresenceInfo>> {
    const [scores, infos] = keys(channel);
    const now = this.now();
    await this.sweep(scores, infos, now);
    const ids = await this.client.zRangeByScore(scores, `(${now}`, '+inf');
    const entries = new Map<string, PresenceInfo>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      const values = await this.client.hmGet(infos, chunk);
      chunk.forEach((id, n) => {
        const value = values[n];
        if (typeof value === 'string') entries.set(id, JSON.parse(value) as PresenceInfo);
      });
    }
    return entries;
  }

  async stats(channel: string): Promise<PresenceStats> {
    const entries = await this.list(channel);
    return { clients: entries.size, users: new Set([...entries.values()].map((e) => e.user.id)).size };
  }

  async close(): Promise<void> {
    if (this.ready !== null) await this.client.close().catch(() => undefined);
  }

  /** Deletes entries that expired (of nodes that died, or connections that stopped refreshing them). */
  private async sweep(scores: string, infos: string, now: number): Promise<void> {
    for (;;) {
      const expired = await this.client.zRangeByScore(scores, '-inf', now, { LIMIT: { offset: 0, count: CHUNK } });
      if (expired.length === 0) return;
      await this.client.multi().zRem(scores, expired).hDel(infos, expired).exec();
      if (expired.length < CHUNK) return;
    }
  }

  /** Runs `fn` once connected (the first connection is awaited); a lost connection becomes `unavailable`. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    this.ready ??= this.client.connect();
    await this.ready;
    try {
      return await fn();
    } catch (err) {
      throw this.client.isReady ? err : unavailable('presence', err);
    }
  }
}

function keys(channel: string): [string, string] {
  return [`lo:presence:{${channel}}:expires`, `lo:presence:{${channel}}:info`];
}
