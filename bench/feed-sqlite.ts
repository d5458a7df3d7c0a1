/**
 * Benchmark: the local feed (newest 50 posts within 1 km) on SQLite with 1,000,000 posts, against a
 * plain SQLite R*Tree query and the targets of DESIGN section 10. Writes the "Local feed on SQLite"
 * section of bench/results.md. Run: npm run bench:feed -- [--posts N] [--queries N] [--dir PATH] [--reuse]
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseBenchArgs } from './lib/args.js';
import { Baseline, compareWithLo } from './lib/baseline.js';
import { citySigmas, describeDistribution, queryPoints } from './lib/distribution.js';
import { startBenchApp, timeHttpFeed } from './lib/http-feed.js';
import { currentLoad, describeMachine } from './lib/machine.js';
import { Rng } from './lib/random.js';
import { timeReady } from './lib/ready.js';
import { renderSection, shortfalls, writeSection, type FeedResults } from './lib/results.js';
import { databaseFile, prepareDatabase } from './lib/seed.js';
import { formatSummary } from './lib/stats.js';
import { timeQueries, timeStoreFeed, type FeedRun } from './lib/store-feed.js';

const root = path.resolve(import.meta.dirname, '..');
const args = parseBenchArgs(process.argv.slice(2), root);
const machine = describeMachine();
const HTTP_REQUESTS = Math.min(args.queries, 500);
const AGREEMENT_POINTS = Math.min(args.queries, 200);
const READY_RUNS = 5;

const log = (text: string): void => console.log(text);
const show = (name: string, run: FeedRun): void =>
  log(`  ${name}: ${formatSummary(run.latency)}; ${run.meanItems.toFixed(1)} items/query, ${Math.round(run.fullPages * 100)} % full pages`);

log(`Lo local feed on SQLite: ${args.posts.toLocaleString('en-US')} posts, ${args.queries} queries, data in ${args.dir}`);
log(
  `machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, SQLite ${machine.sqlite}, load ${machine.loadStart.toFixed(2)}`,
);

// Fixed seeds: the same data and query points on every run.
const sigmas = citySigmas(new Rng(7));
const points = queryPoints(args.queries, new Rng(2));
const warmup = queryPoints(Math.min(args.queries, 300), new Rng(3));

log('seeding…');
const { store, seed } = await prepareDatabase(args.dir, args.posts, args.reuse, new Rng(1), sigmas);
log(`  ${Math.round(seed.postsPerS).toLocaleString('en-US')} posts/s through importGeo; seeding took ${seed.totalS.toFixed(1)} s in all`);

log('building the baseline R*Tree (once per database)…');
const baseline = new Baseline(databaseFile(args.dir));
log(`  ${baseline.buildS > 0 ? `built in ${baseline.buildS.toFixed(1)} s` : 'already there'}`);
baseline.db.pragma('wal_checkpoint(TRUNCATE)');

log('timing the store…');
const recent = await timeStoreFeed(store, points, warmup, 'recent');
show('recent (local feed)', recent);
const distance = await timeStoreFeed(store, points, warmup, 'distance');
show('distance', distance);

log('timing the plain R*Tree baseline…');
const baselineRun = await timeQueries(points, warmup, (point) => baseline.query(point).length);
show('baseline', baselineRun);
const agreement = await compareWithLo(store, baseline, points.slice(0, AGREEMENT_POINTS));
log(`  same ids as Lo at ${agreement.checked - agreement.mismatches} of ${agreement.checked} points (mismatches: ${agreement.mismatches})`);
for (const example of agreement.examples) log(`    ${example}`);
const baselinePlan = baseline.plan();
baseline.close();
await store.close();

log('timing the feed over HTTP…');
const { app, url } = await startBenchApp(args.dir);
let http: FeedRun;
try {
  http = await timeHttpFeed(url, points.slice(0, HTTP_REQUESTS), warmup.slice(0, 50));
} finally {
  await app.close();
}
show('HTTP', http);

log('timing `lo serve` until ready (npm run build first)…');
const ready = await timeReady(root, args.dir, READY_RUNS);
for (const run of ready) {
  const figures = `median ${run.medianMs.toFixed(0)} ms, max ${run.maxMs.toFixed(0)} ms (${run.samplesMs.map((x) => x.toFixed(0)).join(', ')})`;
  log(`  ${run.name}: ${run.error ?? figures}`);
}

machine.loadEnd = currentLoad();
const dbBytes = ['', '-wal'].reduce(
  (sum, suffix) => sum + (fs.statSync(databaseFile(args.dir) + suffix, { throwIfNoEntry: false })?.size ?? 0),
  0,
);
const results: FeedResults = {
  command: ['npm run bench:feed', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
  machine,
  distribution: describeDistribution(args.posts, sigmas),
  queries: args.queries,
  httpRequests: HTTP_REQUESTS,
  seed,
  dbMiB: dbBytes / 2 ** 20,
  recent,
  distance,
  http,
  baseline: baselineRun,
  baselinePlan,
  agreement,
  ready,
};
const resultsFile = path.join(root, 'bench/results.md');
writeSection(resultsFile, renderSection(results));

log('\nsummary (DESIGN §10 targets):');
log(`  local feed, store : p95 ${recent.latency.p95.toFixed(2)} ms (target ≤ 5 ms)`);
log(`  local feed, HTTP  : p95 ${http.latency.p95.toFixed(2)} ms (target ≤ 5 ms)`);
log(`  sort=distance     : p95 ${distance.latency.p95.toFixed(2)} ms`);
log(`  plain R*Tree      : p95 ${baselineRun.latency.p95.toFixed(2)} ms (plain PostGIS in DESIGN: 41 ms)`);
log(`  ingest            : ${Math.round(seed.postsPerS)} posts/s (target ≥ 20,000/s)`);
const lo = ready[0];
const loReady =
  lo === undefined || lo.error !== undefined ? 'not measured' : `median ${lo.medianMs.toFixed(0)} ms, max ${lo.maxMs.toFixed(0)} ms`;
log(`  lo serve ready    : ${loReady} (target ≤ 500 ms)`);
const missed = shortfalls(results);
log(missed.length === 0 ? 'every target met' : `shortfalls:\n  ${missed.join('\n  ')}`);
log(`wrote ${path.relative(root, resultsFile)}`);
