/**
 * Benchmark (issue 5): fan-out across 2 Lo nodes over Redis, beside one node (in-process broker, and
 * Redis) in the same run with the same subscribers: deliveries/s, latency of the subscribers on each
 * node, server CPU per delivery per node. Nodes are separate `lo serve` processes on one PostgreSQL
 * schema; subscribers in client processes split over the nodes; the publisher here, on node A. Writes
 * the "Fan-out across nodes" section of bench/results.md.
 * Run: npm run bench:fanout-nodes -- [--subscribers N] [--seconds S] … (--help lists them)
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startWatchdog } from './lib/children.js';
import { ClientFleet } from './lib/client-fleet.js';
import {
  clusterPerDelivery,
  FANOUT_NODES_TITLE,
  fanoutNodesShortfalls,
  renderFanoutNodes,
  type ClusterResult,
  type FanoutNodesResults,
} from './lib/fanout-nodes-report.js';
import {
  dropSchema,
  layoutOf,
  measureClusterPhase,
  startCluster,
  stopCluster,
  type ClusterPhase,
  type ClusterSpec,
  type LoNode,
} from './lib/lo-cluster.js';
import { currentLoad, describeMachine } from './lib/machine.js';
import { cpuTimeUs } from './lib/procfs.js';
import { publishSteady, publishWindowed, roundRobin } from './lib/publisher.js';
import { commandLine, parseFlags } from './lib/rt-args.js';
import { connect, type Connection } from './lib/rt-client.js';
import { codeVersion, packageVersion, writeGeneratedSection } from './lib/section.js';

const root = path.resolve(import.meta.dirname, '..');
const POSTGRES_URL = process.env.LO_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.LO_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SCHEMA = 'lo_bench_nodes';
/** A channel name of this run only: Redis channels are shared with whatever else uses that Redis. */
const CHANNEL = `public:bench_${randomBytes(4).toString('hex')}`;
const USERS = 5;
const REST_S = 3;
const DISCONNECT_GRACE_MS = 2_000;
const CLUSTERS: ClusterSpec[] = [
  { name: '1 node, in-process broker', nodes: 1, broker: 'memory' },
  { name: '1 node, Redis', nodes: 1, broker: 'redis' },
  { name: '2 nodes, Redis', nodes: 2, broker: 'redis' },
];

const flags = parseFlags(
  process.argv.slice(2),
  `usage: npm run bench:fanout-nodes -- [flags]   (LO_BENCH_POSTGRES_URL, default ${POSTGRES_URL}; LO_BENCH_REDIS_URL, default ${REDIS_URL})`,
  {
    subscribers: { default: 1000, integer: true, doc: 'subscribers of the one channel (split over the nodes)' },
    clients: { default: 2, integer: true, doc: 'client processes (a multiple of 2: each node gets half)' },
    window: { default: 64, integer: true, doc: 'outstanding publishes in the drain phase' },
    'drain-seconds': { default: 10, doc: 'length of the drain phase' },
    'warmup-seconds': { default: 2, doc: 'drain-phase warm-up before it is measured' },
    rate: { default: 50, doc: 'messages per second in the steady phase' },
    seconds: { default: 10, doc: 'length of the steady phase' },
    lag: { default: 256, integer: true, doc: 'most messages the publisher may be ahead of the subscribers' },
    publishers: { default: 1, integer: true, doc: 'publishing connections on node A, one user each, sharing the window in turn' },
    timeout: { default: 900, doc: 'seconds after which the whole run is stopped' },
  },
  { servers: false },
);
const f = flags.values;
if (f.clients % 2 !== 0) {
  console.error('--clients must be a multiple of 2 (each of the two nodes gets the same number of client processes)');
  process.exit(2);
}
startWatchdog(f.timeout);
const machine = describeMachine();
const log = (text: string): void => console.log(text);
// LO_BENCH_CPU_PROF=<dir>: every node writes a V8 CPU profile there when it stops (for profiling, not for figures).
const nodeFlags = process.env.LO_BENCH_CPU_PROF === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${process.env.LO_BENCH_CPU_PROF}`];
const databaseUrl = new URL(POSTGRES_URL);
databaseUrl.searchParams.set('schema', SCHEMA);

function show(name: string, p: ClusterPhase): void {
  const perNode = p.nodes
    .map(
      (n) =>
        `${n.node}: ${n.delivered} deliveries, ${(n.cpuUs / Math.max(n.delivered, 1)).toFixed(2)} µs each, p50 ${n.latencyMs.p50.toFixed(1)} / p99 ${n.latencyMs.p99.toFixed(1)} ms`,
    )
    .join('; ');
  log(
    `  ${name}: ${p.run.acked} messages, ${p.delivered}/${p.expected} deliveries in ${p.wallS.toFixed(2)} s (${Math.round(p.delivered / p.wallS)}/s); ` +
      `${clusterPerDelivery(p).toFixed(2)} µs/delivery (all nodes); ${perNode}` +
      (p.run.failed > 0 ? `; ${p.run.failed} publishes failed: ${p.run.firstError}` : ''),
  );
}

async function benchCluster(spec: ClusterSpec): Promise<ClusterResult> {
  log(`${spec.name}: starting ${spec.nodes} node(s)…`);
  const result: ClusterResult = { spec, subscribers: 0, connectS: 0, restCpuMsPerS: [] };
  let nodes: LoNode[] = [];
  let fleet: ClientFleet | undefined;
  let publisher: Connection | undefined;
  try {
    nodes = await startCluster(spec, {
      root,
      databaseUrl: databaseUrl.toString(),
      redisUrl: REDIS_URL,
      users: Math.max(USERS, f.publishers),
      nodeFlags,
    });
    fleet = ClientFleet.start(root, f.clients);
    const layout = layoutOf(nodes.length, f.clients, f.subscribers);
    const opened = await fleet.open(
      nodes.map((node) => node.server),
      { connections: f.subscribers, channel: CHANNEL, localAddresses: ['127.0.0.1'], concurrency: 50, timeoutMs: 30_000 },
    );
    result.subscribers = opened.opened;
    result.connectS = opened.ms / 1000;
    log(`  ${opened.opened} subscribers (${layout.subscribersOf.join(' + ')}) in ${result.connectS.toFixed(1)} s`);
    if (opened.failed > 0) throw new Error(`${opened.failed} of ${f.subscribers} subscribers could not connect: ${opened.firstError}`);
    const rest0 = nodes.map((node) => cpuTimeUs(node.lo.child.pid));
    await sleep(REST_S * 1000);
    result.restCpuMsPerS = nodes.map((node, i) => (cpuTimeUs(node.lo.child.pid) - (rest0[i] ?? 0)) / 1000 / REST_S);
    const a = nodes[0]!.server;
    // A node handles one connection's frames one at a time, so one publisher's publishes leave it one
    // by one; several publishers let it send Redis publishes together (see "Fan-out across nodes").
    const tokens = Array.from({ length: f.publishers }, (_, i) => a.tokens[i % a.tokens.length] ?? '');
    publisher = roundRobin(await Promise.all(tokens.map((token) => connect(a.endpoint, { token, timeoutMs: 30_000 }))));
    const p = publisher;
    const fl = fleet;
    const windowed = (seconds: number) => (progress: () => number) =>
      publishWindowed(p, CHANNEL, { window: f.window, seconds, lagLimit: f.lag, subscriberProgress: progress });
    show('warm-up', await measureClusterPhase(nodes, fl, layout, windowed(f['warmup-seconds'])));
    result.drain = await measureClusterPhase(nodes, fl, layout, windowed(f['drain-seconds']));
    show('(a) drain', result.drain);
    result.steady = await measureClusterPhase(nodes, fl, layout, () => publishSteady(p, CHANNEL, f.rate, f.seconds));
    show(`(b) steady ${f.rate}/s`, result.steady);
    const lost = (await fleet.stats()).lost;
    if (lost > 0) throw new Error(`${lost} subscribers were disconnected during the run`);
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    log(`  failed: ${result.error}`);
  } finally {
    publisher?.close();
    await fleet?.close();
    // Let the nodes finish handling the disconnects: a node stopped in the middle of 1,000 of them logs an
    // error for each status update its closed Redis client refuses (a shutdown-order issue of lo serve).
    await sleep(DISCONNECT_GRACE_MS);
    await stopCluster(nodes);
  }
  return result;
}

log(`Fan-out across nodes: ${f.subscribers} subscribers of ${CHANNEL}; database schema ${SCHEMA}; broker ${REDIS_URL}`);
log(`machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, load ${machine.loadStart.toFixed(2)}`);
await dropSchema(POSTGRES_URL, SCHEMA);
const clusters: ClusterResult[] = [];
for (const spec of CLUSTERS) clusters.push(await benchCluster(spec));
await dropSchema(POSTGRES_URL, SCHEMA);
machine.loadEnd = currentLoad();

const results: FanoutNodesResults = {
  code: codeVersion(root, ['packages/server/src', 'packages/protocol/src']),
  command: commandLine('bench:fanout-nodes', flags.given),
  machine,
  software: `ws ${packageVersion(root, 'ws')}, redis client ${packageVersion(root, 'redis')}, Redis at ${REDIS_URL}`,
  database: `PostgreSQL, schema \`${SCHEMA}\`, dropped before and after the run`,
  settings: {
    subscribers: f.subscribers,
    clientProcesses: f.clients,
    window: f.window,
    drainSeconds: f['drain-seconds'],
    warmupSeconds: f['warmup-seconds'],
    rate: f.rate,
    seconds: f.seconds,
    lagLimit: f.lag,
    publishers: f.publishers,
    restSeconds: REST_S,
  },
  clusters,
};
const resultsFile = path.join(root, 'bench/results.md');
if (!flags.dryRun) writeGeneratedSection(resultsFile, FANOUT_NODES_TITLE, 'fanout-nodes', renderFanoutNodes(results));

log('\nsummary (server CPU µs per delivery, all nodes):');
for (const c of clusters) {
  const figures =
    c.error === undefined
      ? `drain ${clusterPerDelivery(c.drain).toFixed(2)}, steady ${clusterPerDelivery(c.steady).toFixed(2)}`
      : `not measured: ${c.error}`;
  log(`  ${c.spec.name.padEnd(28)} ${figures}`);
}
const missed = fanoutNodesShortfalls(results);
log(missed.length === 0 ? 'every delivery arrived' : `shortfalls:\n  ${missed.join('\n  ')}`);
log(flags.dryRun ? 'dry run: results not written' : `wrote ${path.relative(root, resultsFile)}`);
process.exit(0);
