import type { Target } from './target.js';

/** What the summary reads from the target's `GET /api/metrics` (Prometheus text). */
export interface ServerSample {
  /** performance.now() of the scrape, to turn CPU seconds into a share of the time between two. */
  at: number;
  cpuSeconds: number | null;
  rssBytes: number | null;
  wsConnections: number | null;
  wsSubscriptions: number | null;
  wsDeliveries: number | null;
  geoPosts: number | null;
  rateLimited: number | null;
  httpRequests: number | null;
  /** WebSocket closes by reason (slow_consumer, …) since the server started. */
  wsCloses: Record<string, number>;
}

export type Scrape = { ok: true; sample: ServerSample } | { ok: false; reason: string };

interface Series {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text exposition (samples only; comments and timestamps ignored). */
export function parsePrometheus(text: string): Series[] {
  const out: Series[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (match === null) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    const value = Number(match[4]);
    if (!Number.isNaN(value)) out.push({ name: match[1]!, labels, value });
  }
  return out;
}

/** Sum over all series of the first of `names` that is present (Lo prefixes the process metrics with `lo_`). */
function total(series: readonly Series[], ...names: string[]): number | null {
  for (const name of names) {
    const matching = series.filter((s) => s.name === name);
    if (matching.length > 0) return matching.reduce((sum, s) => sum + s.value, 0);
  }
  return null;
}

export function sampleOf(text: string, at: number): ServerSample {
  const series = parsePrometheus(text);
  const wsCloses: Record<string, number> = {};
  for (const s of series) if (s.name === 'lo_ws_closes' && s.labels.reason !== undefined) wsCloses[s.labels.reason] = s.value;
  return {
    at,
    cpuSeconds: total(series, 'lo_process_cpu_seconds_total', 'process_cpu_seconds_total'),
    rssBytes: total(series, 'lo_process_resident_memory_bytes', 'process_resident_memory_bytes'),
    wsConnections: total(series, 'lo_ws_connections'),
    wsSubscriptions: total(series, 'lo_ws_subscriptions'),
    wsDeliveries: total(series, 'lo_ws_deliveries'),
    geoPosts: total(series, 'lo_messages_posted_total'),
    rateLimited: total(series, 'lo_rate_limited_total'),
    httpRequests: total(series, 'lo_http_request_duration_seconds_count'),
    wsCloses,
  };
}

/**
 * Reads the target's metrics. Never fails the run: without them (a token is needed, or the
 * endpoint is not exposed) the summary says why and shows the client side only.
 */
export async function scrapeMetrics(target: Target, token: string | null): Promise<Scrape> {
  try {
    const answer = await target.request('GET', '/api/metrics', {
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
      timeoutMs: 10_000,
    });
    if (answer.status === 401 || answer.status === 403) {
      return { ok: false, reason: `${answer.status}: the target's metrics need LO_METRICS_TOKEN (pass --metrics-token or set it)` };
    }
    if (answer.status !== 200) return { ok: false, reason: `GET /api/metrics answered ${answer.status}` };
    return { ok: true, sample: sampleOf(answer.text, performance.now()) };
  } catch (error) {
    return { ok: false, reason: `GET /api/metrics failed: ${(error as Error).message}` };
  }
}

/** The server side of a run: CPU used, memory, and what the server counted, between two scrapes. */
export interface ServerReport {
  /** Share of one core the server used over the load (1 = one core busy). */
  cpuCores: number | null;
  cpuSeconds: number | null;
  rssBeforeBytes: number | null;
  rssAfterBytes: number | null;
  rssPeakBytes: number | null;
  /** Open sockets when the load began (all the run's connections, plus any others). */
  wsConnectionsAtStart: number | null;
  deliveries: number | null;
  geoPosts: number | null;
  rateLimited: number | null;
  httpRequests: number | null;
  wsCloses: Record<string, number>;
  unavailable: string | null;
}

/** `during`: samples taken while the load ran (for the peak memory). */
export function serverReport(before: Scrape, atStart: Scrape, after: Scrape, during: readonly ServerSample[] = []): ServerReport {
  const reason = [before, atStart, after].find((s): s is { ok: false; reason: string } => !s.ok)?.reason ?? null;
  const b = before.ok ? before.sample : null;
  const s = atStart.ok ? atStart.sample : null;
  const a = after.ok ? after.sample : null;
  const delta = (pick: (x: ServerSample) => number | null, from: ServerSample | null): number | null => {
    const [x, y] = [from === null ? null : pick(from), a === null ? null : pick(a)];
    return x === null || y === null ? null : y - x;
  };
  const cpuSeconds = delta((x) => x.cpuSeconds, s);
  const wsCloses: Record<string, number> = {};
  for (const [reason_, n] of Object.entries(a?.wsCloses ?? {})) {
    const d = n - (s?.wsCloses[reason_] ?? 0);
    if (d > 0) wsCloses[reason_] = d;
  }
  const rss = [b, s, ...during, a].map((x) => x?.rssBytes ?? null).filter((x): x is number => x !== null);
  return {
    cpuSeconds,
    cpuCores: cpuSeconds === null || s === null || a === null ? null : cpuSeconds / ((a.at - s.at) / 1000),
    rssBeforeBytes: b?.rssBytes ?? null,
    rssAfterBytes: a?.rssBytes ?? null,
    rssPeakBytes: rss.length === 0 ? null : Math.max(...rss),
    wsConnectionsAtStart: s?.wsConnections ?? null,
    deliveries: delta((x) => x.wsDeliveries, s),
    geoPosts: delta((x) => x.geoPosts, s),
    rateLimited: delta((x) => x.rateLimited, s),
    httpRequests: delta((x) => x.httpRequests, s),
    wsCloses,
    unavailable: reason,
  };
}
