import type { Progress } from './bench-runner.js';
import { METRICS } from './latency-recorder.js';
import { formatMs } from './summary-report.js';

/** Seconds between progress lines when stderr is not a terminal (CI logs, files). */
const PLAIN_EVERY_S = 5;

/**
 * The live status on stderr (stdout is for the summary): rewritten in place on a terminal,
 * one line every few seconds otherwise.
 */
export class ProgressLine {
  private lastPlain = -Infinity;
  private lastLength = 0;
  private previous = { deliveries: 0, requests: 0, at: 0 };

  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {}

  update(p: Progress): void {
    const line = this.format(p);
    if (this.out.isTTY) {
      this.out.write(`\r${line.padEnd(this.lastLength)}`);
      this.lastLength = line.length;
    } else if (p.elapsedS - this.lastPlain >= PLAIN_EVERY_S || p.phase === 'cleanup') {
      this.lastPlain = p.elapsedS;
      this.out.write(line + '\n');
    }
  }

  /** Ends the in-place line so what follows starts on a fresh one. */
  finish(): void {
    if (this.out.isTTY && this.lastLength > 0) this.out.write('\n');
    this.lastLength = 0;
  }

  private format(p: Progress): string {
    const elapsed = `${p.elapsedS.toFixed(0).padStart(4)}s`;
    if (p.phase !== 'load') {
      const open = p.phase === 'connect' ? ` ${p.fleet.open} open` : '';
      return `lo bench ${elapsed} ${p.phase}: ${p.note}${open}`;
    }
    const r = p.recorder;
    const deliveries = r.successes('delivery');
    const requests = METRICS.filter((m) => m !== 'delivery' && m !== 'connect' && m !== 'subscribe').reduce(
      (n, m) => n + r.successes(m),
      0,
    );
    const errors = METRICS.reduce((n, m) => n + r.errorTotal(m), 0);
    const dt = p.elapsedS - this.previous.at;
    const rate = (now: number, before: number) => (dt > 0 ? ((now - before) / dt).toFixed(0) : '0');
    const line =
      `lo bench ${elapsed} ${p.stage?.name ?? ''} ×${p.stage?.multiplier ?? 0}  ${p.fleet.open} open  ` +
      `${rate(requests, this.previous.requests)} req/s  ${rate(deliveries, this.previous.deliveries)} deliveries/s  ` +
      `publish p99 ${r.successes('publish') > 0 ? formatMs(r.stats(['publish']).p99) : '-'}  ` +
      `delivery p99 ${deliveries > 0 ? formatMs(r.stats(['delivery']).p99) : '-'}  errors ${errors}  in flight ${p.fleet.inFlight}`;
    this.previous = { deliveries, requests, at: p.elapsedS };
    return line;
  }
}
