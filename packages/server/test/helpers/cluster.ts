/**
 * Several nodes in one process over one database (DESIGN section 2: one delivery path for one node and
 * many), sharing the JWT secret and a bus: an in-process MemoryBus, or what LO_BROKER_URL names (real
 * Redis, NATS). Each node is a whole server on its own port. Suites that run on every store and bus loop
 * over STORES × BUSES; the unavailable ones are skipped with a reason.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createApp, type App, type Shared } from '../../src/app.js';
import { MemoryBroker, MemoryBus } from '../../src/broker/memory-broker.js';
import { loadConfig } from '../../src/config/config.js';
import { MemoryPresence } from '../../src/presence/memory-presence.js';
import { MemoryRateLimiter } from '../../src/ratelimit/memory-rate-limiter.js';
import { freshPostgresSchema, POSTGRES_SKIP, POSTGRES_URL } from './postgres.js';
import { tempDir, TEST_ENV } from './test-server.js';

export interface ClusterNode {
  app: App;
  url: string;
}

export interface Cluster {
  nodes: ClusterNode[];
  close(): Promise<void>;
}

/** Where the nodes keep their data: a fresh SQLite file in `dir`, or a fresh PostgreSQL schema. */
export interface StoreKind {
  name: string;
  skip?: string;
  open(dir: string): { url: string; drop(): Promise<void> };
}

/** What the nodes share: env for every node, and what each node is given instead of building it. */
export interface BusKind {
  name: string;
  skip?: string;
  env: Record<string, string>;
  shared(): (i: number) => Partial<Shared>;
}

export const STORES: StoreKind[] = [
  { name: 'SQLite', open: (dir) => ({ url: 'sqlite:' + path.join(dir, 'shared.db'), drop: () => Promise.resolve() }) },
  {
    name: 'PostgreSQL',
    ...(POSTGRES_URL === undefined && { skip: POSTGRES_SKIP }),
    // A small pool per node: three nodes and the other suites share one server's connections.
    open: () => freshPostgresSchema(POSTGRES_URL!, 5),
  },
];

/** Memory brokers on one bus, with shared presence and rate limits: what Redis gives real nodes. */
export function inProcessShared(): (i: number) => Partial<Shared> {
  const bus = new MemoryBus();
  const presence = new MemoryPresence(60_000);
  const limiter = new MemoryRateLimiter();
  return () => ({ broker: new MemoryBroker(bus), presence, limiter });
}

export const BUSES: BusKind[] = [
  { name: 'in-process bus', env: {}, shared: inProcessShared },
  {
    name: 'Redis',
    ...(process.env.LO_TEST_REDIS_URL === undefined && { skip: 'no Redis server (set LO_TEST_REDIS_URL)' }),
    env: { LO_BROKER_URL: process.env.LO_TEST_REDIS_URL ?? '' },
    shared: () => () => ({}),
  },
];

export interface NodesOptions {
  store: StoreKind;
  /** Environment of every node (LO_BROKER_URL, …) on top of the test defaults. */
  env?: Record<string, string>;
  /** What node i shares with the others (default: nothing given, all built from the env). */
  shared?: (i: number) => Partial<Shared>;
  /** LO_DATABASE_URL of node i, when it differs (a node behind a proxy). */
  databaseUrl?: (i: number, url: string) => string;
  nodes?: number;
}

/** Starts the nodes one after the other (the first migrates the database). */
export async function startNodes(options: NodesOptions): Promise<Cluster> {
  const dir = tempDir('lo-cluster-');
  const database = options.store.open(dir);
  const common = { ...TEST_ENV, LO_JWT_SECRET: 'x'.repeat(40), ...options.env };
  const nodes: ClusterNode[] = [];
  const close = async () => {
    for (const node of nodes) await node.app.close();
    await database.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < (options.nodes ?? 3); i++) {
      const env = {
        ...common,
        LO_DATA_DIR: path.join(dir, `node${i}`),
        LO_DATABASE_URL: options.databaseUrl?.(i, database.url) ?? database.url,
      };
      const app = await createApp(loadConfig(env), undefined, options.shared?.(i) ?? {});
      nodes.push({ app, url: await app.listen() });
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { nodes, close };
}

/** Starts `size` nodes over one SQLite file; `shared(i)` gives node i what it shares with the others (or nothing: from LO_BROKER_URL). */
export function startCluster(env: Record<string, string>, shared: (i: number) => Partial<Shared>, size = 3): Promise<Cluster> {
  return startNodes({ store: STORES[0]!, env, shared, nodes: size });
}
