import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';

/**
 * What a run measures. Latencies are in microseconds. `delivery` is publish-to-receive of a room
 * message (the sender's clock is in the message, so it holds across worker processes on one machine);
 * `reconnect` is drop to every subscription recovered; the others are request to reply.
 */
export const METRICS = ['connect', 'subscribe', 'publish', 'delivery', 'reconnect', 'beacon', 'geo_post', 'nearby'] as const;
export type MetricName = (typeof METRICS)[number];

/** The metrics that are HTTP requests, by the route the summary names them with. */
export const HTTP_ROUTES: Partial<Record<MetricName, string>> = {
  geo_post: 'POST /api/messages',
  nearby: 'GET /api/messages/nearby',
};

/** Metrics that are requests the tool made (deliveries are not: they are what the server sent). */
export const REQUEST_METRICS: readonly MetricName[] = METRICS.filter((m) => m !== 'delivery');

/** 1 µs to one hour at 3 significant digits: ~100 KB per histogram, exact enough for a p99.9. */
const HIGHEST_US = 3_600_000_000;

export function newHistogram(): Histogram {
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3 });
}

/** A recorder's content in a form that crosses process boundaries (IPC is JSON). */
export interface EncodedSnapshot {
  histograms: Partial<Record<MetricName, string>>;
  errors: Partial<Record<MetricName, Record<string, number>>>;
  counters: Record<string, number>;
}

export interface MetricStats {
  count: number;
  errors: number;
  /** Milliseconds. */
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

/**
 * HDR histograms and error counts per metric, plus named counters. Workers record into one, send
 * its encoded delta every second and reset it; the coordinator merges the deltas into the run's
 * totals and the current step's (which is how breakpoint judges each step on its own).
 */
export class LatencyRecorder {
  private readonly histograms = new Map<MetricName, Histogram>();
  private readonly errorCounts = new Map<MetricName, Map<string, number>>();
  private readonly counterValues = new Map<string, number>();

  record(metric: MetricName, micros: number): void {
    this.histogram(metric).recordValue(Math.min(HIGHEST_US, Math.max(1, Math.round(micros))));
  }

  error(metric: MetricName, type: string, count = 1): void {
    let byType = this.errorCounts.get(metric);
    if (byType === undefined) this.errorCounts.set(metric, (byType = new Map<string, number>()));
    byType.set(type, (byType.get(type) ?? 0) + count);
  }

  count(counter: string, n = 1): void {
    this.counterValues.set(counter, (this.counterValues.get(counter) ?? 0) + n);
  }

  counter(name: string): number {
    return this.counterValues.get(name) ?? 0;
  }

  /** Successful operations of `metric`. */
  successes(metric: MetricName): number {
    return this.histograms.get(metric)?.totalCount ?? 0;
  }

  errorsOf(metric: MetricName): Record<string, number> {
    return Object.fromEntries(this.errorCounts.get(metric) ?? []);
  }

  errorTotal(metric: MetricName): number {
    let total = 0;
    for (const n of this.errorCounts.get(metric)?.values() ?? []) total += n;
    return total;
  }

  /** Merged histogram of several metrics (`http` in thresholds is every HTTP route together). */
  merged(metrics: readonly MetricName[]): Histogram {
    const out = newHistogram();
    for (const metric of metrics) {
      const h = this.histograms.get(metric);
      if (h !== undefined) out.add(h);
    }
    return out;
  }

  stats(metrics: readonly MetricName[]): MetricStats {
    const h = this.merged(metrics);
    const ms = (us: number) => us / 1000;
    const stats = {
      count: h.totalCount,
      errors: metrics.reduce((sum, m) => sum + this.errorTotal(m), 0),
      mean: h.totalCount === 0 ? 0 : ms(h.mean),
      p50: ms(h.getValueAtPercentile(50)),
      p90: ms(h.getValueAtPercentile(90)),
      p95: ms(h.getValueAtPercentile(95)),
      p99: ms(h.getValueAtPercentile(99)),
      max: ms(h.maxValue),
    };
    h.destroy();
    return stats;
  }

  /** Encodes what was recorded; with `reset`, starts over (a delta for the coordinator). */
  snapshot(reset: boolean): EncodedSnapshot {
    const histograms: EncodedSnapshot['histograms'] = {};
    for (const [metric, h] of this.histograms) if (h.totalCount > 0) histograms[metric] = encodeIntoCompressedBase64(h);
    const errors: EncodedSnapshot['errors'] = {};
    for (const [metric, byType] of this.errorCounts) errors[metric] = Object.fromEntries(byType);
    const snapshot = { histograms, errors, counters: Object.fromEntries(this.counterValues) };
    if (reset) {
      for (const h of this.histograms.values()) h.reset();
      this.errorCounts.clear();
      this.counterValues.clear();
    }
    return snapshot;
  }

  merge(snapshot: EncodedSnapshot): void {
    for (const [metric, encoded] of Object.entries(snapshot.histograms) as [MetricName, string][]) {
      const decoded = decodeFromCompressedBase64(encoded);
      this.histogram(metric).add(decoded);
      decoded.destroy();
    }
    for (const [metric, byType] of Object.entries(snapshot.errors) as [MetricName, Record<string, number>][]) {
      for (const [type, n] of Object.entries(byType)) this.error(metric, type, n);
    }
    for (const [name, n] of Object.entries(snapshot.counters)) this.count(name, n);
  }

  private histogram(metric: MetricName): Histogram {
    let h = this.histograms.get(metric);
    if (h === undefined) this.histograms.set(metric, (h = newHistogram()));
    return h;
  }
}
