/** The "Local feed and ingest on PostgreSQL" section of bench/results.md, written by bench/feed-postgres.ts. */
import type { Machine } from './machine.js';
import type { PgAgreement } from './pg-baseline.js';
import type { ImportRun, IngestRun } from './pg-ingest.js';
import type { SeedInfo } from './seed.js';
import { fmt, machineLines, verdict } from './section.js';
import { ms, type Summary } from './stats.js';
import type { FeedRun } from './store-feed.js';

export const FEED_PG_TITLE = '## Local feed and ingest on PostgreSQL';

/** DESIGN section 10 and issue 5: feed p95 on both backends; persisted ingest on PostgreSQL. */
const TARGETS = { feedP95Ms: 5, ingestPerS: 10_000, postgisP95Ms: 41 } as const;
/** Plan lines kept per statement (the rest is cut). */
const PLAN_LINES = 24;

export interface Plan {
  title: string;
  lines: string[];
}

export interface FeedPgResults {
  code: string;
  command: string;
  machine: Machine;
  software: { postgres: string; postgis: string; settings: string };
  schema: string;
  pool: number;
  distribution: string[];
  sizes: { tableMiB: number; indexes: Array<{ name: string; mib: number }> };
  seed: SeedInfo;
  queries: number;
  recent: FeedRun;
  distance: FeedRun;
  baseline: FeedRun;
  /** The HTTP run, or why it could not be made. */
  http: FeedRun | string;
  httpRequests: number;
  agreement: PgAgreement;
  plans: Plan[];
  ingest: IngestRun;
  imported: ImportRun;
}

function latencyRow(name: string, run: FeedRun | string, target: string, ok: boolean | null): string {
  if (typeof run === 'string') return `| ${name} | not measured: ${run} | | | | | | ${target} | **not measured** |`;
  const s = run.latency;
  const items = `${run.meanItems.toFixed(1)} (${Math.round(run.fullPages * 100)} % full)`;
  return `| ${name} | ${ms(s.p50)} | ${ms(s.p95)} | ${ms(s.p99)} | ${ms(s.mean)} | ${ms(s.max)} | ${items} | ${target} | ${ok === null ? 'context' : verdict(ok)} |`;
}

function areaRow(name: string, s: Summary): string {
  return `| ${name} | ${ms(s.p50)} | ${ms(s.p95)} | ${ms(s.p99)} | ${ms(s.max)} | ${s.count} |`;
}

const perS = (x: number): string => Math.round(x).toLocaleString('en-US');

export function feedPgShortfalls(r: FeedPgResults): string[] {
  const out: string[] = [];
  const t = TARGETS;
  if (!(r.recent.latency.p95 <= t.feedP95Ms))
    out.push(`Local feed in the store: p95 ${ms(r.recent.latency.p95)} ms, target ≤ ${t.feedP95Ms} ms.`);
  if (typeof r.http === 'string') out.push(`Local feed over HTTP not measured: ${r.http}`);
  else if (!(r.http.latency.p95 <= t.feedP95Ms))
    out.push(`Local feed over HTTP: p95 ${ms(r.http.latency.p95)} ms, target ≤ ${t.feedP95Ms} ms.`);
  if (!(r.ingest.postsPerS >= t.ingestPerS))
    out.push(
      `Persisted ingest (createGeo, ${r.ingest.writers} writers): ${perS(r.ingest.postsPerS)} posts/s, target ≥ ${perS(t.ingestPerS)}/s.`,
    );
  if (r.ingest.failed > 0) out.push(`${r.ingest.failed} createGeo calls failed: ${r.ingest.firstError ?? ''}`);
  if (r.agreement.mismatches > 0)
    out.push(`Lo and the baseline disagreed (beyond the 1 km edge) at ${r.agreement.mismatches} of ${r.agreement.checked} query points.`);
  return out;
}

export function renderFeedPg(r: FeedPgResults): string {
  const t = TARGETS;
  const pgVersion = r.software.postgres.split(' on ')[0] ?? r.software.postgres;
  const a = r.agreement;
  const identical = a.checked - a.mismatches - a.edgeOnly;
  const missed = feedPgShortfalls(r);
  const http = typeof r.http === 'string' ? null : r.http;
  return [
    `Taken ${r.machine.date} by \`bench/feed-postgres.ts\`. Command:`,
    '',
    '```sh',
    r.command,
    '```',
    '',
    ...machineLines(r.machine, `${pgVersion}, PostGIS ${r.software.postgis} (server on the same machine)`),
    `PostgreSQL settings: ${r.software.settings}. Lo's pool: ${r.pool} connections (LO_DATABASE_URL \`?pool=\`, the default), schema \`${r.schema}\`.`,
    `Lo code: ${r.code}.`,
    '',
    '### Data',
    '',
    ...r.distribution.map((line) => `- ${line}`),
    `- The same posts as the SQLite benchmark (same generator and seeds), written by \`store.messages.importGeo\` into Lo's own schema (its migrations and indexes), then \`VACUUM (ANALYZE)\`. Kept between runs (marker row in \`meta\`; \`--reseed\` to rebuild). ` +
      (r.seed.reused
        ? `Seeded ${r.seed.seededAt} (reused by this run).`
        : `Seeded by this run in ${fmt(r.seed.totalS, 1)} s (importGeo ${perS(r.seed.postsPerS)} posts/s).`),
    `- Table \`messages\` ${fmt(r.sizes.tableMiB, 0)} MiB; indexes: ${r.sizes.indexes.map((i) => `\`${i.name}\` ${fmt(i.mib, 0)} MiB`).join(', ')}.`,
    '',
    '### Local feed',
    '',
    `Each latency row: ${r.queries} timed queries (HTTP: ${r.httpRequests} requests) at the query points of the SQLite benchmark, one at a time, after a warm-up.`,
    'Store rows: `store.messages.nearby` (newest 50 within 1 km, the post-radius rule as `accept`): the scan (by grid cell within a few km), then the page read joined to `users`, no transaction unless a post vanished in between.',
    'Baseline: `SELECT <the page columns> FROM messages WHERE ST_DWithin(public_geog, ST_MakePoint(lng, lat)::geography, 1000) AND deleted_at IS NULL',
    'AND (expires_at IS NULL OR expires_at > $now) ORDER BY created_at DESC LIMIT 50` on the same table, GiST index and pool (no transaction, no join).',
    'HTTP: `GET /api/messages/nearby?lat&lng&radius=1000&limit=50` on the real app over this schema, one keep-alive connection, client in the same process.',
    '',
    '| measurement | p50 ms | p95 ms | p99 ms | mean ms | max ms | items/query | target (DESIGN §10) | verdict |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    latencyRow('Lo local feed, store (sort=recent)', r.recent, `p95 ≤ ${t.feedP95Ms} ms`, r.recent.latency.p95 <= t.feedP95Ms),
    latencyRow(
      'Lo local feed, HTTP end to end',
      r.http,
      `p95 ≤ ${t.feedP95Ms} ms`,
      http === null ? false : http.latency.p95 <= t.feedP95Ms,
    ),
    latencyRow('Lo nearby, store (sort=distance)', r.distance, 'none (feed target for reference)', null),
    latencyRow(
      'Plain PostGIS `ST_DWithin … ORDER BY created_at DESC LIMIT 50`',
      r.baseline,
      `none; DESIGN measured p95 ${t.postgisP95Ms} ms`,
      null,
    ),
    '',
    'By area of the query point (latency in ms):',
    '',
    '| query | p50 | p95 | p99 | max | n |',
    '| --- | --- | --- | --- | --- | --- |',
    areaRow('Lo recent, city centres', r.recent.byArea.centre),
    areaRow('Lo recent, outskirts', r.recent.byArea.outskirts),
    areaRow('Lo distance, city centres', r.distance.byArea.centre),
    areaRow('Lo distance, outskirts', r.distance.byArea.outskirts),
    areaRow('plain PostGIS, city centres', r.baseline.byArea.centre),
    areaRow('plain PostGIS, outskirts', r.baseline.byArea.outskirts),
    '',
    `Same answers: at ${a.checked} query points Lo's recent feed (accept = always) and the baseline returned the same ids in the same order at ${identical}; ` +
      `at ${a.edgeOnly} they differed only by posts within 5 m of the 1 km edge (the baseline measures on the spheroid, Lo by haversine on a sphere); ` +
      (a.mismatches === 0 ? 'no other difference.' : `other differences at ${a.mismatches}: ${a.examples.join('; ')}.`),
    '',
    '### Persisted ingest',
    '',
    '| measurement | posts/s | latency per call ms (p50 / p99) | CPU (Node / PostgreSQL, cores) | target | verdict |',
    '| --- | --- | --- | --- | --- | --- |',
    `| \`store.messages.createGeo\`, one post per call, ${r.ingest.writers} calls in flight (group commit), ${fmt(r.ingest.seconds, 1)} s (${perS(r.ingest.posts)} posts) | ` +
      `**${perS(r.ingest.postsPerS)}** | ${ms(r.ingest.latency.p50)} / ${ms(r.ingest.latency.p99)} | ${fmt(r.ingest.nodeCores)} / ${fmt(r.ingest.postgresCores)} | ` +
      `≥ ${perS(t.ingestPerS)}/s | ${verdict(r.ingest.postsPerS >= t.ingestPerS)} |`,
    `| \`store.messages.importGeo\`, ${perS(r.imported.batch)} per call (one transaction each), ${perS(r.imported.posts)} posts | ${perS(r.imported.postsPerS)} | | | context | context |`,
    '',
    'The posts go into the seeded 1,000,000-post table (its GiST and B-tree indexes are part of the cost) and are deleted afterwards. ' +
      'CPU: this process (the store, Kysely, `pg`) from `process.cpuUsage()`; PostgreSQL: every `postgres` process from `/proc` (backends, WAL writer, checkpointer).',
    '',
    '### Query plans',
    '',
    'EXPLAIN (ANALYZE, BUFFERS) of the baseline and of the exact statements the store sent for the same point (captured from its pool), after the timed runs (warm cache).',
    '',
    ...r.plans.flatMap((plan) => [
      `${plan.title}:`,
      '',
      '```text',
      ...plan.lines.slice(0, PLAN_LINES),
      ...(plan.lines.length > PLAN_LINES ? [`… (${plan.lines.length - PLAN_LINES} more lines)`] : []),
      '```',
      '',
    ]),
    '### Shortfalls',
    '',
    ...(missed.length === 0 ? ['None: every target above was met in this run.'] : missed.map((s) => `- ${s}`)),
  ].join('\n');
}
