/**
 * A client child process of the real-time benchmarks: holds many connections to one server and counts
 * what they receive. Driven by the parent over IPC (children.ts):
 *   open {endpoint, tokens, count, channel, localAddresses, concurrency} → {opened, failed, firstError, ms}
 *   reset → counters to zero;  stats → PoolStats;  close → closes every connection and exits.
 * Each delivery's latency is its arrival time minus the `t` the publisher stamped into the data.
 */
import { answerCalls } from './child-rpc.js';
import { LogHistogram, type HistogramCounts } from './histogram.js';
import { connect, epochMs, type Connection, type Endpoint } from './rt-client.js';

export interface OpenRequest {
  endpoint: Endpoint;
  /** Tokens to use, round-robin over the connections. */
  tokens: string[];
  count: number;
  channel: string;
  /** Source addresses, round-robin (several loopback addresses give more ephemeral ports). */
  localAddresses: string[];
  /** Connections being set up at once. */
  concurrency: number;
  /** Geo subscriptions instead of `channel` (Lo): connection i subscribes at points[i] with this radius. */
  geo?: { points: Array<[lat: number, lng: number]>; radius: number };
  timeoutMs: number;
}

export interface OpenResult {
  opened: number;
  failed: number;
  firstError?: string;
  ms: number;
}

export interface PoolStats {
  delivered: number;
  /** Latency of deliveries in microseconds. */
  latencyUs: HistogramCounts;
  /** Wall-clock ms of the first and last delivery since the last reset (0 when none). */
  firstAt: number;
  lastAt: number;
  open: number;
  lost: number;
  firstLost?: string;
}

const connections: Connection[] = [];
const latency = new LogHistogram();
let delivered = 0;
let firstAt = 0;
let lastAt = 0;
let lost = 0;
let firstLost: string | undefined;

function onData(data: unknown): void {
  const now = epochMs();
  delivered += 1;
  if (firstAt === 0) firstAt = now;
  lastAt = now;
  const t = (data as { t?: unknown } | null)?.t;
  if (typeof t === 'number') latency.record((now - t) * 1000);
}

function onLost(reason: string): void {
  lost += 1;
  firstLost ??= reason;
}

function geoAt(geo: NonNullable<OpenRequest['geo']>, i: number): { lat: number; lng: number; radius: number } {
  const [lat, lng] = geo.points[i % geo.points.length] ?? [0, 0];
  return { lat, lng, radius: geo.radius };
}

async function open(req: OpenRequest): Promise<OpenResult> {
  const started = performance.now();
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  const worker = async (): Promise<void> => {
    while (next < req.count) {
      const i = next++;
      try {
        const connection = await connect(req.endpoint, {
          token: req.tokens[i % req.tokens.length] ?? '',
          ...(req.geo === undefined ? { channel: req.channel } : { geo: geoAt(req.geo, i) }),
          localAddress: req.localAddresses[i % req.localAddresses.length],
          onData,
          onLost,
          timeoutMs: req.timeoutMs,
        });
        connections.push(connection);
      } catch (error) {
        failed += 1;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(req.concurrency, req.count) }, worker));
  return { opened: req.count - failed, failed, ...(firstError !== undefined && { firstError }), ms: performance.now() - started };
}

answerCalls({
  open,
  reset: () => {
    delivered = 0;
    firstAt = 0;
    lastAt = 0;
    latency.reset();
  },
  /** Just the delivery count: cheap enough to poll every few tens of milliseconds. */
  count: () => delivered,
  stats: (): PoolStats => ({
    delivered,
    latencyUs: latency.toJSON(),
    firstAt,
    lastAt,
    open: connections.length - lost,
    lost,
    ...(firstLost !== undefined && { firstLost }),
  }),
  close: () => {
    for (const connection of connections.splice(0)) connection.close();
    setTimeout(() => process.exit(0), 200).unref();
  },
});
process.on('SIGTERM', () => process.exit(0));
process.once('disconnect', () => process.exit(0)); // the benchmark is gone, even if it was killed
