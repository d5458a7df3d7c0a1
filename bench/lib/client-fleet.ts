/**
 * The parent's side of the client children (client-pool.ts): starts several, spreads connections over
 * them, and adds up what they counted.
 */
import path from 'node:path';
import { spawnTs, type Child } from './children.js';
import type { OpenRequest, OpenResult, PoolStats } from './client-pool.js';
import { LogHistogram } from './histogram.js';
import type { RunningServer } from './servers.js';

export interface FleetStats {
  delivered: number;
  latencyUs: LogHistogram;
  firstAt: number;
  lastAt: number;
  open: number;
  lost: number;
  firstLost?: string;
}

export interface FleetOptions {
  processes: number;
  connections: number;
  channel: string;
  /** Geo subscriptions at these points instead of `channel` (spread over the processes in order). */
  geo?: { points: Array<[number, number]>; radius: number };
  localAddresses: string[];
  concurrency: number;
  timeoutMs: number;
}

export class ClientFleet {
  private constructor(readonly pools: Child[]) {}

  static start(root: string, processes: number): ClientFleet {
    const file = path.join(root, 'bench/lib/client-pool.ts');
    return new ClientFleet(Array.from({ length: processes }, (_, i) => spawnTs(`client process ${i + 1}`, file, [])));
  }

  get pids(): number[] {
    return this.pools.map((pool) => pool.pid);
  }

  /**
   * Opens `connections` (authenticated and subscribed) spread evenly over the processes. Given several
   * servers (the nodes of a cluster), process i connects to server i mod their number.
   */
  async open(servers: RunningServer | readonly RunningServer[], options: Omit<FleetOptions, 'processes'>): Promise<OpenResult> {
    const n = this.pools.length;
    const targets = Array.isArray(servers) ? (servers as readonly RunningServer[]) : [servers as RunningServer];
    let first = 0;
    const results = await Promise.all(
      this.pools.map((pool, i) => {
        const server = targets[i % targets.length]!;
        const count = Math.floor(options.connections / n) + (i < options.connections % n ? 1 : 0);
        const points = options.geo?.points.slice(first, (first += count));
        const request: OpenRequest = {
          endpoint: server.endpoint,
          tokens: server.tokens,
          count,
          channel: options.channel,
          ...(options.geo !== undefined && points !== undefined && { geo: { points, radius: options.geo.radius } }),
          // Each process starts at another address so that small runs use them all too.
          localAddresses: options.localAddresses.map((_, k, all) => all[(k + i) % all.length] ?? '127.0.0.1'),
          concurrency: options.concurrency,
          timeoutMs: options.timeoutMs,
        };
        return pool.call<OpenResult>('open', request, options.timeoutMs * Math.max(1, request.count / options.concurrency) + 60_000);
      }),
    );
    const firstError = results.find((r) => r.firstError !== undefined)?.firstError;
    return {
      opened: results.reduce((s, r) => s + r.opened, 0),
      failed: results.reduce((s, r) => s + r.failed, 0),
      ...(firstError !== undefined && { firstError }),
      ms: Math.max(...results.map((r) => r.ms)),
    };
  }

  async reset(): Promise<void> {
    await Promise.all(this.pools.map((pool) => pool.call('reset')));
  }

  async delivered(): Promise<number> {
    const counts = await Promise.all(this.pools.map((pool) => pool.call<number>('count', {}, 10_000)));
    return counts.reduce((s, c) => s + c, 0);
  }

  /** What the processes counted since the last reset: all of them, or those at the indexes `only`. */
  async stats(only?: readonly number[]): Promise<FleetStats> {
    const pools = only === undefined ? this.pools : this.pools.filter((_, i) => only.includes(i));
    const all = await Promise.all(pools.map((pool) => pool.call<PoolStats>('stats', {}, 30_000)));
    const latencyUs = new LogHistogram();
    for (const s of all) latencyUs.add(s.latencyUs);
    const firstLost = all.find((s) => s.firstLost !== undefined)?.firstLost;
    return {
      delivered: all.reduce((sum, s) => sum + s.delivered, 0),
      latencyUs,
      firstAt: Math.min(...all.map((s) => (s.firstAt === 0 ? Infinity : s.firstAt))),
      lastAt: Math.max(...all.map((s) => s.lastAt)),
      open: all.reduce((sum, s) => sum + s.open, 0),
      lost: all.reduce((sum, s) => sum + s.lost, 0),
      ...(firstLost !== undefined && { firstLost }),
    };
  }

  /** Closes every connection and stops the processes. */
  async close(): Promise<void> {
    await Promise.all(
      this.pools.map(async (pool) => {
        if (pool.running) await pool.call('close', {}, 10_000).catch(() => undefined);
        await pool.stop(5_000);
      }),
    );
  }
}
