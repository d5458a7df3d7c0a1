import type { BenchResult } from './bench-runner.js';
import { HTTP_ROUTES, METRICS, REQUEST_METRICS, type MetricName, type MetricStats } from './latency-recorder.js';
import { describeStages, stagesOf } from './scenarios.js';
import type { StageResult } from './stage-judge.js';

/** Exit codes of `lo bench` (as k6: 99 when thresholds fail). */
export const EXIT = { ok: 0, failed: 1, thresholds: 99, interrupted: 130 } as const;

export function exitCodeOf(result: BenchResult): number {
  if (result.endedBy === 'failure') return EXIT.failed;
  if (result.endedBy === 'interrupted') return EXIT.interrupted;
  // Breakpoint: finding the step that breaks is the point; only a first step that broke already fails.
  if (result.options.scenario === 'breakpoint') return result.lastGood === null ? EXIT.thresholds : EXIT.ok;
  return result.thresholds.some((t) => !t.ok) ? EXIT.thresholds : EXIT.ok;
}

const LABELS: Record<MetricName, string> = {
  connect: 'ws connect + auth',
  subscribe: 'ws subscribe',
  publish: 'ws publish (ack)',
  delivery: 'ws delivery',
  reconnect: 'ws reconnect + recovery',
  beacon: 'ws beacon (loc)',
  geo_post: `http ${HTTP_ROUTES.geo_post}`,
  nearby: `http ${HTTP_ROUTES.nearby}`,
};

/** Metrics counted per second of load (connects and subscribes happen before it). */
const RATED = new Set<MetricName>(['publish', 'delivery', 'reconnect', 'beacon', 'geo_post', 'nearby']);

export function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)}s`;
  if (ms >= 100) return `${ms.toFixed(0)}ms`;
  return `${ms.toFixed(2)}ms`;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const mb = (bytes: number | null) => (bytes === null ? '?' : `${(bytes / 1024 / 1024).toFixed(1)} MB`);

/** Errors of every kind over the requests made, in percent (null when nothing was asked). */
export function errorPercent(result: BenchResult): number | null {
  const r = result.recorder;
  const errors = METRICS.reduce((n, m) => n + r.errorTotal(m), 0);
  const attempts = REQUEST_METRICS.reduce((n, m) => n + r.successes(m), 0) + errors;
  return attempts === 0 ? null : (errors / attempts) * 100;
}

function metricRows(result: BenchResult): string[] {
  const head = ['', 'count', 'rate/s', 'p50', 'p90', 'p95', 'p99', 'max', 'errors'];
  const rows: string[][] = [head];
  for (const metric of METRICS) {
    const s = result.recorder.stats([metric]);
    if (s.count + s.errors === 0) continue;
    const rate = RATED.has(metric) && result.loadElapsedS > 0 ? (s.count / result.loadElapsedS).toFixed(1) : '-';
    const latencies = s.count === 0 ? ['-', '-', '-', '-', '-'] : [s.p50, s.p90, s.p95, s.p99, s.max].map(formatMs);
    rows.push([LABELS[metric], int(s.count), rate, ...latencies, int(s.errors)]);
  }
  const widths = head.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => '  ' + r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
}

function errorLines(result: BenchResult): string[] {
  const byType = new Map<string, { n: number; metrics: Set<string> }>();
  for (const metric of METRICS) {
    for (const [type, n] of Object.entries(result.recorder.errorsOf(metric))) {
      const entry = byType.get(type) ?? { n: 0, metrics: new Set<string>() };
      entry.n += n;
      entry.metrics.add(metric);
      byType.set(type, entry);
    }
  }
  const pct = errorPercent(result);
  const total = [...byType.values()].reduce((n, e) => n + e.n, 0);
  const lines = [`  errors       ${int(total)}${pct === null ? '' : ` (${pct.toFixed(2)}% of requests)`}`];
  for (const [type, e] of [...byType].sort((a, b) => b[1].n - a[1].n)) {
    lines.push(`    ${type.padEnd(32)} ${int(e.n).padStart(9)}  ${[...e.metrics].join(', ')}`);
  }
  return lines;
}

function serverLines(result: BenchResult): string[] {
  const s = result.server;
  if (s.unavailable !== null && s.cpuSeconds === null) return [`  server       not read: ${s.unavailable}`];
  const lines = ['  server       (GET /api/metrics, over the load)'];
  if (s.cpuCores !== null) lines.push(`    cpu          ${(s.cpuCores * 100).toFixed(0)}% of one core (${s.cpuSeconds!.toFixed(2)} s)`);
  lines.push(`    memory       rss ${mb(s.rssBeforeBytes)} before, ${mb(s.rssPeakBytes)} peak, ${mb(s.rssAfterBytes)} after`);
  if (s.wsConnectionsAtStart !== null) lines.push(`    connections  ${int(s.wsConnectionsAtStart)} open when the load began`);
  if (s.deliveries !== null) lines.push(`    deliveries   ${int(s.deliveries)} frames to subscribers (lo_ws_deliveries)`);
  if (s.geoPosts !== null) lines.push(`    geo posts    ${int(s.geoPosts)}`);
  if (s.httpRequests !== null) lines.push(`    http         ${int(s.httpRequests)} requests`);
  if (s.rateLimited !== null) lines.push(`    rate limited ${int(s.rateLimited)}`);
  const closes = Object.entries(s.wsCloses).map(([reason, n]) => `${reason} ${int(n)}`);
  if (closes.length > 0) lines.push(`    ws closes    ${closes.join(', ')}`);
  if (s.unavailable !== null) lines.push(`    (partly: ${s.unavailable})`);
  return lines;
}

function stageLine(stage: StageResult, mark: string): string {
  const p99s = METRICS.filter((m) => RATED.has(m) && (stage.stats[m]?.count ?? 0) > 0).map((m) => `${m} ${formatMs(stage.stats[m]!.p99)}`);
  return (
    `    ${mark} ${stage.name.padEnd(8)} ×${String(stage.multiplier).padEnd(5)} ${stage.elapsedS.toFixed(1).padStart(6)}s  ` +
    `errors ${stage.errorsPercent.toFixed(2).padStart(6)}%  p99: ${p99s.join(', ') || '-'}`
  );
}

export function renderText(result: BenchResult): string {
  const o = result.options;
  const r = result.recorder;
  const lines: string[] = [];
  lines.push(`lo bench ${o.scenario} → ${o.url.href}   run ${result.runId}`);
  lines.push('');
  lines.push(`  scenario     ${describeStages(stagesOf(o.scenario, o.durationS, o))}`);
  lines.push(
    `  setup        ${int(result.users)} users, ${int(result.rooms)} rooms, ${int(o.connections)} connections × ${o.subscriptions} subscriptions, ` +
      `${o.workers === 0 ? 'in process' : `${o.workers} worker process${o.workers === 1 ? '' : 'es'}`}`,
  );
  const ended = {
    duration: 'its duration',
    'max-ops': '--max-ops',
    interrupted: 'ctrl-C',
    breakpoint: 'a broken step',
    failure: 'a failure',
  };
  lines.push(`  load         ${result.loadElapsedS.toFixed(1)} s, ${int(result.arrivals)} operations, ended by ${ended[result.endedBy]}`);
  const requests = REQUEST_METRICS.filter((m) => RATED.has(m)).reduce((n, m) => n + r.successes(m), 0);
  if (result.loadElapsedS > 0) {
    lines.push(
      `  throughput   ${(requests / result.loadElapsedS).toFixed(1)} requests/s, ${(r.successes('delivery') / result.loadElapsedS).toFixed(1)} deliveries/s`,
    );
  }
  lines.push(`  connections  ${int(result.openAtStart)} of ${int(o.connections)} open when the load began`);
  lines.push('');
  lines.push(...metricRows(result));
  const http = r.stats(Object.keys(HTTP_ROUTES) as MetricName[]);
  if (http.count > 0) lines.push(`  http (all routes): p95 ${formatMs(http.p95)}, p99 ${formatMs(http.p99)}`);
  const extra = ['storm_dropped', 'recovered_messages', 'connections_lost', 'foreign_messages'].filter((c) => r.counter(c) > 0);
  if (extra.length > 0) lines.push(`  also         ${extra.map((c) => `${c.replace(/_/g, ' ')} ${int(r.counter(c))}`).join(', ')}`);
  lines.push('', ...errorLines(result), '', ...serverLines(result));
  if (result.stages.length > 1 || o.scenario === 'breakpoint') {
    lines.push('', '  stages');
    for (const stage of result.stages) lines.push(stageLine(stage, stage.ok ? '✓' : '✗'));
  }
  if (o.scenario === 'breakpoint') {
    lines.push('');
    if (result.lastGood === null) lines.push('  breakpoint   even the first step broke');
    else lines.push(`  breakpoint   last good step ×${result.lastGood.multiplier}: ${ratesAt(result, result.lastGood.multiplier)}`);
    if (result.brokeAt !== null) {
      const why = result.brokeAt.checks.filter((c) => !c.ok).map((c) => c.threshold);
      lines.push(`               broke at ×${result.brokeAt.multiplier} (${why.join(', ')})`);
    } else if (result.endedBy === 'duration') lines.push('               no step broke: raise --factor');
  }
  if (result.thresholds.length > 0) {
    lines.push(
      '',
      o.scenario === 'breakpoint' ? `  thresholds   (at ${result.lastGood === null ? 'the first' : 'the last good'} step)` : '  thresholds',
    );
    for (const t of result.thresholds) {
      const actual = t.actual === null ? 'nothing measured' : `${t.unit === 'ms' ? formatMs(t.actual) : `${t.actual.toFixed(2)}${t.unit}`}`;
      lines.push(`    ${t.ok ? '✓' : '✗'} ${t.threshold.padEnd(24)} ${actual}`);
    }
  }
  if (result.maxLagMs > 50)
    lines.push('', `  note         the load generator's event loop lagged up to ${result.maxLagMs.toFixed(0)} ms: add --workers`);
  if (result.failure !== null) lines.push('', `  failed       ${result.failure}`);
  if (result.leftoverUsers.length > 0) lines.push('', `  NOT DELETED  ${result.leftoverUsers.join(', ')}`);
  return lines.join('\n') + '\n';
}

function ratesAt(result: BenchResult, multiplier: number): string {
  const r = result.options.rates;
  const parts = Object.entries(r)
    .filter(([, rate]) => rate > 0)
    .map(([name, rate]) => `${name} ${+(rate * multiplier).toFixed(2)}/s`);
  return parts.length === 0 ? 'no rates configured' : parts.join(', ');
}

const statsJson = (s: MetricStats) => ({ ...s });

/** `geoPost` → `geo_post`, one level deep: the JSON summary is snake_case like the API. */
function snakeKeys(object: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).map(([key, value]) => [key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), value]));
}

/** The summary as JSON (`--json`): snake_case, milliseconds, like the API. */
export function renderJson(result: BenchResult): string {
  const o = result.options;
  const metrics: Record<string, unknown> = {};
  for (const metric of METRICS) {
    const s = result.recorder.stats([metric]);
    if (s.count + s.errors === 0) continue;
    const rate = RATED.has(metric) && result.loadElapsedS > 0 ? s.count / result.loadElapsedS : null;
    metrics[metric] = { ...statsJson(s), rate, errors_by_type: result.recorder.errorsOf(metric) };
  }
  const stage = (s: StageResult | null) =>
    s === null
      ? null
      : {
          name: s.name,
          multiplier: s.multiplier,
          elapsed_s: s.elapsedS,
          errors_percent: s.errorsPercent,
          ok: s.ok,
          stats: s.stats,
          checks: s.checks,
        };
  const json = {
    run_id: result.runId,
    scenario: o.scenario,
    url: o.url.href,
    ended_by: result.endedBy,
    exit_code: exitCodeOf(result),
    load_s: result.loadElapsedS,
    arrivals: result.arrivals,
    max_ops: o.maxOps,
    users: result.users,
    rooms: result.rooms,
    connections: o.connections,
    subscriptions: o.subscriptions,
    workers: o.workers,
    rates: snakeKeys(o.rates),
    open_at_start: result.openAtStart,
    subscribers_per_room: result.subscribers,
    metrics,
    http: statsJson(result.recorder.stats(Object.keys(HTTP_ROUTES) as MetricName[])),
    counters: {
      storm_dropped: result.recorder.counter('storm_dropped'),
      recovered_messages: result.recorder.counter('recovered_messages'),
      connections_lost: result.recorder.counter('connections_lost'),
      foreign_messages: result.recorder.counter('foreign_messages'),
    },
    errors_percent: errorPercent(result),
    server: snakeKeys(result.server),
    stages: result.stages.map(stage),
    breakpoint: o.scenario === 'breakpoint' ? { last_good: stage(result.lastGood), broke_at: stage(result.brokeAt) } : null,
    thresholds: result.thresholds,
    generator_lag_ms: result.maxLagMs,
    failure: result.failure,
    leftover_users: result.leftoverUsers,
  };
  return JSON.stringify(json, null, 2) + '\n';
}
