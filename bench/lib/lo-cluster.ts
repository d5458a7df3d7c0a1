/**
 * Lo clusters for the multi-node fan-out benchmark: one or more `lo serve` processes (lo-server.ts)
 * sharing one database (a PostgreSQL schema of the benchmark's own) and one JWT secret, so that a token
 * from any node works on every node, with the in-process broker or Redis. And one measured phase over
 * such a cluster: server CPU per node, deliveries and latency of the subscribers of each node.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { PostgresStore } from '../../packages/server/src/store/postgres/postgres-store.js';
import type { ClientFleet } from './client-fleet.js';
import { startLo, type StartedLo } from './lo-server.js';
import { cpuBetween, cpuByPid, cpuTimeUs } from './procfs.js';
import type { PublishRun } from './publisher.js';
import type { RunningServer } from './servers.js';

export interface ClusterSpec {
  name: string;
  nodes: number;
  broker: 'memory' | 'redis';
}

export interface LoNode {
  /** A, B, … */
  name: string;
  lo: StartedLo;
  server: RunningServer;
}

export interface ClusterEnv {
  root: string;
  /** postgres://… with ?schema= (the nodes' shared database). */
  databaseUrl: string;
  redisUrl: string;
  /** Users signed up on each node, whose tokens the clients share. */
  users: number;
  /** Extra Node flags for every node (e.g. --cpu-prof). */
  nodeFlags?: string[];
}

/** Drops the schema the nodes use (each run starts from an empty database; the first node migrates it). */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const store = new PostgresStore({ url, schema, poolSize: 1 });
  try {
    await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(store.db.kysely);
  } finally {
    await store.close();
  }
}

/** Starts the nodes one after the other (the first applies the migrations). */
export async function startCluster(spec: ClusterSpec, env: ClusterEnv): Promise<LoNode[]> {
  const probe = `${env.root}/bench/lib/server-probe.ts`;
  const shared = {
    LO_DATABASE_URL: env.databaseUrl,
    LO_JWT_SECRET: randomBytes(32).toString('base64url'),
    ...(spec.broker === 'redis' && { LO_BROKER_URL: env.redisUrl }),
  };
  const nodes: LoNode[] = [];
  try {
    for (let i = 0; i < spec.nodes; i += 1) {
      const lo = await startLo(env.root, probe, env.users, env.nodeFlags ?? [], shared);
      const name = String.fromCharCode(65 + i);
      nodes.push({
        name,
        lo,
        server: { kind: 'lo', child: lo.child, endpoint: { kind: 'lo', url: `ws://127.0.0.1:${lo.port}/ws` }, tokens: lo.tokens },
      });
    }
  } catch (error) {
    await stopCluster(nodes);
    throw error;
  }
  return nodes;
}

export async function stopCluster(nodes: readonly LoNode[]): Promise<void> {
  await Promise.all(nodes.map((node) => node.lo.child.stop()));
}

export interface NodeShare {
  node: string;
  subscribers: number;
  delivered: number;
  /** CPU time of this node's process over the phase. */
  cpuUs: number;
  /** Latency of the deliveries to this node's subscribers. */
  latencyMs: { p50: number; p99: number; max: number };
}

export interface ClusterPhase {
  run: PublishRun;
  delivered: number;
  expected: number;
  /** From just before the first publish to the last delivery counted. */
  wallS: number;
  nodes: NodeShare[];
  latencyMs: { p50: number; p99: number; max: number };
  /** CPU of redis-server over the phase (0 without Redis, or any other user of it). */
  brokerCpuUs: number;
}

/** A phase's deliveries are complete when all expected arrived, or when none arrived for this long. */
const QUIET_MS = 3_000;

const percentiles = (h: { percentile(p: number): number }): { p50: number; p99: number; max: number } => ({
  p50: h.percentile(50) / 1000,
  p99: h.percentile(99) / 1000,
  max: h.percentile(100) / 1000,
});

/**
 * Runs `publish` and measures until the clients have every delivery. `poolsOf[i]` are the indexes of the
 * client processes connected to node i, holding `subscribersOf[i]` subscribers.
 */
export async function measureClusterPhase(
  nodes: readonly LoNode[],
  fleet: ClientFleet,
  layout: { poolsOf: number[][]; subscribersOf: number[] },
  publish: (progress: () => number) => Promise<PublishRun>,
): Promise<ClusterPhase> {
  const subscribers = layout.subscribersOf.reduce((a, b) => a + b, 0);
  await fleet.reset();
  let perSubscriber = 0;
  let polling = true;
  const poller = (async () => {
    while (polling) {
      perSubscriber = (await fleet.delivered()) / subscribers;
      await sleep(25);
    }
  })();
  const cpu0 = nodes.map((node) => cpuTimeUs(node.lo.child.pid));
  const redis0 = cpuByPid('redis-server');
  const t0 = performance.timeOrigin + performance.now();
  const run = await publish(() => perSubscriber);
  const expected = run.acked * subscribers;
  let last = -1;
  let lastChange = performance.now();
  for (;;) {
    const delivered = await fleet.delivered();
    if (delivered >= expected) break;
    if (delivered !== last) {
      last = delivered;
      lastChange = performance.now();
    } else if (performance.now() - lastChange > QUIET_MS) break;
    await sleep(10);
  }
  const cpu = nodes.map((node, i) => cpuTimeUs(node.lo.child.pid) - (cpu0[i] ?? 0));
  const brokerCpuUs = cpuBetween(redis0, cpuByPid('redis-server'));
  polling = false;
  await poller;
  const all = await fleet.stats();
  const shares: NodeShare[] = [];
  for (const [i, node] of nodes.entries()) {
    const s = await fleet.stats(layout.poolsOf[i] ?? []);
    shares.push({
      node: node.name,
      subscribers: layout.subscribersOf[i] ?? 0,
      delivered: s.delivered,
      cpuUs: cpu[i] ?? NaN,
      latencyMs: percentiles(s.latencyUs),
    });
  }
  return {
    run,
    delivered: all.delivered,
    expected,
    wallS: (Math.max(all.lastAt, t0 + 1) - t0) / 1000,
    nodes: shares,
    latencyMs: percentiles(all.latencyUs),
    brokerCpuUs,
  };
}

/** Which client processes go to which node (process i → node i mod nodes), and how many subscribers each node gets. */
export function layoutOf(nodes: number, processes: number, subscribers: number): { poolsOf: number[][]; subscribersOf: number[] } {
  const poolsOf: number[][] = Array.from({ length: nodes }, () => []);
  const subscribersOf = Array.from({ length: nodes }, () => 0);
  for (let p = 0; p < processes; p += 1) {
    poolsOf[p % nodes]!.push(p);
    subscribersOf[p % nodes]! += Math.floor(subscribers / processes) + (p < subscribers % processes ? 1 : 0);
  }
  return { poolsOf, subscribersOf };
}
