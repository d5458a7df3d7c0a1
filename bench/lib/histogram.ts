/**
 * A latency histogram that merges across processes: counts in logarithmic buckets 0.5 % wide, keyed by
 * an integer, so a client child sends its counts as plain JSON and the parent adds them up.
 */
const SCALE = 200; // buckets per factor e: each bucket is exp(1/200) ≈ 1.005 times wider than the last

export type HistogramCounts = Array<[bucket: number, count: number]>;

export class LogHistogram {
  private readonly counts = new Map<number, number>();
  count = 0;

  /** Records one value (any unit; values below 1 count as 1). */
  record(value: number): void {
    const bucket = Math.round(Math.log(Math.max(value, 1)) * SCALE);
    this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + 1);
    this.count += 1;
  }

  add(counts: HistogramCounts): void {
    for (const [bucket, n] of counts) {
      this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + n);
      this.count += n;
    }
  }

  toJSON(): HistogramCounts {
    return [...this.counts];
  }

  reset(): void {
    this.counts.clear();
    this.count = 0;
  }

  /** Nearest-rank percentile (NaN when empty), to the bucket's precision of ±0.25 %. */
  percentile(p: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (const [bucket, n] of [...this.counts].sort((a, b) => a[0] - b[0])) {
      seen += n;
      if (seen >= rank) return Math.exp(bucket / SCALE);
    }
    return NaN;
  }
}
