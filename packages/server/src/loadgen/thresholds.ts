import { OperatorError } from '../errors/operator-error.js';
import { HTTP_ROUTES, METRICS, REQUEST_METRICS, type LatencyRecorder, type MetricName } from './latency-recorder.js';

/**
 * Pass/fail criteria, k6 style: `delivery.p99<50ms`, `http.p95<=200ms`, `connect.max<1s`,
 * `errors<1%`, `publish.errors<10`, `publish.rate>=100/s`, `delivery.count>0`. `http` is every HTTP
 * route together; `errors` alone is every error over every request made.
 */
export interface Threshold {
  source: string;
  metric: MetricName | 'http' | 'errors';
  stat: string;
  op: '<' | '<=' | '>' | '>=' | '==';
  /** Milliseconds for latencies, percent with `percent`, else a plain number. */
  value: number;
  percent: boolean;
}

export interface ThresholdResult {
  threshold: string;
  ok: boolean;
  /** The measured value in the threshold's unit (null: nothing was measured, which fails). */
  actual: number | null;
  unit: string;
}

const PATTERN = /^\s*([a-z_]+)(?:\.([a-z0-9_.]+))?\s*(<=|>=|==|<|>)\s*([0-9]+(?:\.[0-9]+)?)\s*(us|µs|ms|s|%|\/s)?\s*$/;
const UNIT_MS: Record<string, number> = { us: 0.001, µs: 0.001, ms: 1, s: 1000 };
const LATENCY_STAT = /^(p\d{1,2}(\.\d+)?|max|avg|mean|med)$/;

export function parseThreshold(source: string): Threshold {
  const match = PATTERN.exec(source);
  const bad = (why: string) =>
    new OperatorError(`--threshold ${JSON.stringify(source)}: ${why} (examples: 'delivery.p99<50ms', 'http.p95<200ms', 'errors<1%')`);
  if (match === null) return throwIt(bad('not <metric>.<stat><op><value>'));
  const name = match[1]!;
  const stat = match[2] ?? (name === 'errors' ? 'errors' : '');
  const op = match[3] as Threshold['op'];
  const unit = match[5];
  const metric = name as Threshold['metric'];
  if (metric !== 'errors' && metric !== 'http' && !METRICS.includes(metric)) {
    return throwIt(bad(`unknown metric "${name}"; one of ${[...METRICS, 'http', 'errors'].join(', ')}`));
  }
  if (metric === 'errors' && stat !== 'errors') return throwIt(bad('"errors" takes no stat'));
  let value = Number(match[4]);
  if (LATENCY_STAT.test(stat)) {
    if (unit === '%' || unit === '/s') return throwIt(bad('a latency takes us, ms or s'));
    value *= UNIT_MS[unit ?? 'ms']!;
  } else if (stat === 'errors') {
    if (unit !== undefined && unit !== '%') return throwIt(bad('errors take a count or a percentage'));
  } else if (stat === 'count' || stat === 'rate') {
    if (unit !== undefined && !(stat === 'rate' && unit === '/s')) return throwIt(bad(`${stat} takes a plain number`));
  } else {
    return throwIt(bad(`unknown stat "${stat}"; p50, p90, p95, p99, p99.9, max, avg, count, rate or errors`));
  }
  return { source, metric, stat, op, value, percent: unit === '%' };
}

function throwIt(error: Error): never {
  throw error;
}

function metricsOf(metric: Threshold['metric']): MetricName[] {
  if (metric === 'errors') return [...METRICS];
  if (metric === 'http') return Object.keys(HTTP_ROUTES) as MetricName[];
  return [metric];
}

/** The measured value a threshold speaks of, in its unit (null when nothing was measured). */
function measure(t: Threshold, recorder: LatencyRecorder, elapsedS: number): { actual: number | null; unit: string } {
  const metrics = metricsOf(t.metric);
  if (t.stat === 'errors') {
    const errors = metrics.reduce((sum, m) => sum + recorder.errorTotal(m), 0);
    if (!t.percent) return { actual: errors, unit: '' };
    // Deliveries are not requests: their errors (gaps, duplicates) count, their successes do not dilute.
    const requests = metrics.filter((m) => REQUEST_METRICS.includes(m)).reduce((sum, m) => sum + recorder.successes(m), 0);
    const attempts = requests + errors;
    return { actual: attempts === 0 ? null : (errors / attempts) * 100, unit: '%' };
  }
  const histogram = recorder.merged(metrics);
  try {
    if (t.stat === 'count') return { actual: histogram.totalCount, unit: '' };
    if (t.stat === 'rate') return { actual: elapsedS > 0 ? histogram.totalCount / elapsedS : null, unit: '/s' };
    if (histogram.totalCount === 0) return { actual: null, unit: 'ms' };
    const us =
      t.stat === 'max'
        ? histogram.maxValue
        : t.stat === 'avg' || t.stat === 'mean'
          ? histogram.mean
          : histogram.getValueAtPercentile(t.stat === 'med' ? 50 : Number(t.stat.slice(1)));
    return { actual: us / 1000, unit: 'ms' };
  } finally {
    histogram.destroy();
  }
}

function holds(actual: number, op: Threshold['op'], value: number): boolean {
  switch (op) {
    case '<':
      return actual < value;
    case '<=':
      return actual <= value;
    case '>':
      return actual > value;
    case '>=':
      return actual >= value;
    case '==':
      return actual === value;
  }
}

/** Judges every threshold; one with nothing measured fails (a p99 of no deliveries proves nothing). */
export function evaluateThresholds(thresholds: readonly Threshold[], recorder: LatencyRecorder, elapsedS: number): ThresholdResult[] {
  return thresholds.map((t) => {
    const { actual, unit } = measure(t, recorder, elapsedS);
    return { threshold: t.source, ok: actual !== null && holds(actual, t.op, t.value), actual, unit };
  });
}
