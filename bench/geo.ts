/**
 * Benchmark (issue 4): live geo fan-out. N geo subscribers spread over a city (each `geo.sub` at its own
 * point), posts arriving over HTTP at a constant rate at random points of the same city; every post goes
 * to the subscribers whose area holds its public point. Reports delivery latency (publisher's send time
 * to the subscriber's receipt) p50/p99, throughput and server CPU per delivery. Writes the "Live geo
 * fan-out" section of bench/results.md. Run: npm run bench:geo -- [--subscribers N] [--rate R] … (--help)
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startWatchdog } from './lib/children.js';
import { ClientFleet } from './lib/client-fleet.js';
import { renderGeo, GEO_TITLE, type GeoResults } from './lib/geo-report.js';
import { postSteady } from './lib/geo-publisher.js';
import { startLo } from './lib/lo-server.js';
import { currentLoad, describeMachine } from './lib/machine.js';
import { cpuTimeUs } from './lib/procfs.js';
import { Rng } from './lib/random.js';
import { commandLine, parseFlags } from './lib/rt-args.js';
import { codeVersion, writeGeneratedSection } from './lib/section.js';

const root = path.resolve(import.meta.dirname, '..');
/** Berlin's centre: the city the subscribers and posts are spread over. */
const CITY = { lat: 52.52, lng: 13.405 };
/** The run is over when no delivery arrived for this long after the last post was acknowledged. */
const QUIET_MS = 3_000;

const flags = parseFlags(process.argv.slice(2), 'usage: npm run bench:geo -- [flags]', {
  subscribers: { default: 10_000, integer: true, doc: 'geo subscribers (one connection each)' },
  clients: { default: 2, integer: true, doc: 'client processes the subscribers are spread over' },
  'city-km': { default: 34, doc: 'diameter of the disc the subscribers and posts are spread over (34 km: about Berlin)' },
  radius: { default: 500, integer: true, doc: 'radius of each geo subscription and of each post, metres' },
  rate: { default: 1000, doc: 'posts per second' },
  seconds: { default: 10, doc: 'length of the measured phase' },
  'warmup-seconds': { default: 3, doc: 'posting at the same rate before the measured phase' },
  authors: { default: 200, integer: true, doc: 'distinct users the posts come from' },
  timeout: { default: 900, doc: 'seconds after which the whole run is stopped' },
});
const f = flags.values;
startWatchdog(f.timeout);
const machine = describeMachine();
const log = (text: string): void => console.log(text);

/** Uniform points in the city's disc (deterministic, so reruns place everyone alike). */
function cityPoints(n: number, seed: number): Array<[number, number]> {
  const random = new Rng(seed);
  const radiusM = (f['city-km'] * 1000) / 2;
  return Array.from({ length: n }, () => {
    const r = radiusM * Math.sqrt(random.next());
    const bearing = random.next() * 2 * Math.PI;
    const lat = CITY.lat + (r * Math.cos(bearing)) / 111_320;
    const lng = CITY.lng + (r * Math.sin(bearing)) / (111_320 * Math.cos((CITY.lat * Math.PI) / 180));
    return [lat, lng];
  });
}

log(`Live geo fan-out: ${f.subscribers} geo subscribers over a ${f['city-km']} km city, ${f.rate} posts/s, radius ${f.radius} m`);
log(`machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, load ${machine.loadStart.toFixed(2)}`);
const probe = path.join(root, 'bench/lib/server-probe.ts');
// Subscribers share a few users and every geo.sub is a position report: lift the speed check, which
// would (rightly) refuse one user being at ten places of a city within a second.
const nodeFlags = process.env.LO_BENCH_CPU_PROF === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${process.env.LO_BENCH_CPU_PROF}`];
const lo = await startLo(root, probe, f.authors, nodeFlags, { LO_LOCATION_MAX_SPEED: '1000000000' });
const fleet = ClientFleet.start(root, f.clients);
const results: GeoResults = {
  code: codeVersion(root, ['packages/server/src', 'packages/protocol/src']),
  command: commandLine('bench:geo', flags.given),
  machine,
  settings: { ...f },
};
try {
  const opened = await fleet.open(
    { kind: 'lo', child: lo.child, endpoint: { kind: 'lo', url: `ws://127.0.0.1:${lo.port}/ws` }, tokens: lo.tokens },
    {
      connections: f.subscribers,
      channel: '',
      geo: { points: cityPoints(f.subscribers, 1), radius: f.radius },
      localAddresses: ['127.0.0.1'],
      concurrency: 50,
      timeoutMs: 60_000,
    },
  );
  log(
    `  ${opened.opened} geo subscribers in ${(opened.ms / 1000).toFixed(1)} s${opened.failed > 0 ? `, ${opened.failed} failed: ${opened.firstError}` : ''}`,
  );
  if (opened.failed > 0) throw new Error(`${opened.failed} subscribers could not connect: ${opened.firstError}`);
  results.connectS = opened.ms / 1000;

  const posts = (n: number, seed: number) => cityPoints(n, seed);
  log(`  warm-up: ${f['warmup-seconds']} s`);
  await postSteady(lo.base, lo.tokens, posts(Math.ceil(f.rate * f['warmup-seconds']), 2), f.rate, f.radius);
  await sleep(QUIET_MS);
  await fleet.reset();

  const cpu0 = cpuTimeUs(lo.child.pid);
  const run = await postSteady(lo.base, lo.tokens, posts(Math.round(f.rate * f.seconds), 3), f.rate, f.radius);
  // Server CPU is read when the last delivery arrived, not after the quiet wait that follows it.
  let last = -1;
  let lastChange = performance.now();
  let cpuAtLast = cpuTimeUs(lo.child.pid);
  for (;;) {
    const delivered = await fleet.delivered();
    if (delivered !== last) [last, lastChange, cpuAtLast] = [delivered, performance.now(), cpuTimeUs(lo.child.pid)];
    else if (performance.now() - lastChange > QUIET_MS) break;
    await sleep(25);
  }
  const serverCpuUs = cpuAtLast - cpu0;
  const stats = await fleet.stats();
  if (stats.lost > 0) throw new Error(`${stats.lost} subscribers were disconnected (first: ${stats.firstLost})`);
  const h = stats.latencyUs;
  results.run = {
    posts: run,
    delivered: stats.delivered,
    wallS: (stats.lastAt - stats.firstAt) / 1000,
    serverCpuUs,
    latencyMs: { p50: h.percentile(50) / 1000, p90: h.percentile(90) / 1000, p99: h.percentile(99) / 1000, max: h.percentile(100) / 1000 },
  };
  const r = results.run;
  log(
    `  ${r.posts.acked}/${r.posts.sent} posts acknowledged (${r.posts.failed} failed${r.posts.firstError ? `: ${r.posts.firstError}` : ''}), ` +
      `HTTP p50 ${r.posts.latencyMs.p50.toFixed(2)} ms p99 ${r.posts.latencyMs.p99.toFixed(2)} ms`,
  );
  log(
    `  ${r.delivered} deliveries (${(r.delivered / Math.max(r.posts.acked, 1)).toFixed(1)} per post, ${Math.round(r.delivered / Math.max(r.wallS, 0.001))}/s); ` +
      `latency p50 ${r.latencyMs.p50.toFixed(2)} ms, p90 ${r.latencyMs.p90.toFixed(2)}, p99 ${r.latencyMs.p99.toFixed(2)}, max ${r.latencyMs.max.toFixed(2)}; ` +
      `server CPU ${(serverCpuUs / 1e6).toFixed(2)} s = ${(serverCpuUs / Math.max(r.delivered, 1)).toFixed(2)} µs/delivery`,
  );
} catch (error) {
  results.error = error instanceof Error ? error.message : String(error);
  log(`  failed: ${results.error}`);
} finally {
  await fleet.close();
  await lo.child.stop();
}
machine.loadEnd = currentLoad();
const resultsFile = path.join(root, 'bench/results.md');
if (!flags.dryRun) writeGeneratedSection(resultsFile, GEO_TITLE, 'geo', renderGeo(results));
log(flags.dryRun ? 'dry run: results not written' : `wrote ${path.relative(root, resultsFile)}`);
process.exit(results.error === undefined ? 0 : 1);
