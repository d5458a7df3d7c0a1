import { GEO_LIMITS, type PubResult } from '@lo/protocol';
import type { ArrivalKind } from './arrival-scheduler.js';
import type { BenchUser } from './bench-accounts.js';
import type { WorkloadRates } from './bench-options.js';
import { since, stampedText, type ConnectionPool } from './connection-pool.js';
import type { LatencyRecorder, MetricName } from './latency-recorder.js';
import { errorType } from './op-error.js';
import type { Target } from './target.js';

export interface WorkloadDeps {
  runId: string;
  target: Target;
  pool: ConnectionPool;
  recorder: LatencyRecorder;
  users: readonly BenchUser[];
  rates: WorkloadRates;
}

/** Radius of the geo posts and nearby queries, in metres: a neighbourhood feed. */
const RADIUS_M = 1000;
/** A little more than the server's minimum between two beacons of one user. */
const BEACON_GAP_MS = GEO_LIMITS.beaconMinIntervalS * 1000 + 100;

/** Times `op` into `metric`, or records its error type. */
async function timed(recorder: LatencyRecorder, metric: MetricName, op: () => Promise<unknown>): Promise<void> {
  const start = performance.now();
  try {
    await op();
    recorder.record(metric, since(start));
  } catch (error) {
    recorder.error(metric, errorType(error));
  }
}

/** The workload mix as arrival kinds; kinds with a rate of 0 are left out. */
export function workloadKinds(deps: WorkloadDeps): ArrivalKind[] {
  const { runId, target, pool, recorder, users, rates } = deps;
  let userTurn = 0;
  const nextUser = () => users[userTurn++ % users.length]!;
  const lastBeacon = new Map<BenchUser, number>();

  const kinds: ArrivalKind[] = [
    {
      name: 'publish',
      rate: rates.publish,
      async run() {
        const conn = pool.pick((c) => c.channels.length > 0);
        if (conn === undefined) return recorder.error('publish', 'not_connected');
        const channel = conn.channels[conn.turn++ % conn.channels.length]!;
        // The send time travels in the text, so the receiving process can time the delivery.
        await timed(recorder, 'publish', () =>
          conn.socket!.request<PubResult>({ type: 'pub', channel, data: { text: stampedText(runId) } }),
        );
      },
    },
    {
      name: 'geo_post',
      rate: rates.geoPost,
      async run() {
        const user = nextUser();
        const body = { content: `lo-bench ${runId}`, lat: user.home.lat, lng: user.home.lng, radius: RADIUS_M };
        await timed(recorder, 'geo_post', () => target.json('POST', '/api/messages', { token: user.token, body }));
      },
    },
    {
      name: 'nearby',
      rate: rates.nearby,
      async run() {
        const user = nextUser();
        const query = `lat=${user.home.lat}&lng=${user.home.lng}&radius=${RADIUS_M}&limit=20`;
        await timed(recorder, 'nearby', () => target.json('GET', `/api/messages/nearby?${query}`, { token: user.token }));
      },
    },
    {
      name: 'beacon',
      rate: rates.beacon,
      async run() {
        const now = performance.now();
        const conn = pool.pick((c) => now - (lastBeacon.get(c.user) ?? -Infinity) >= BEACON_GAP_MS);
        if (conn === undefined) return recorder.error('beacon', 'no_user_free');
        lastBeacon.set(conn.user, now);
        // A few metres of GPS jitter around home: a plausible walk, never a jump.
        const jitter = () => (Math.random() - 0.5) * 0.0001;
        const frame = { type: 'loc' as const, lat: conn.user.home.lat + jitter(), lng: conn.user.home.lng + jitter(), accuracy: 10 };
        await timed(recorder, 'beacon', () => conn.socket!.request(frame));
      },
    },
    {
      name: 'reconnect',
      rate: rates.reconnect,
      async run() {
        const conn = pool.pick();
        if (conn === undefined) return recorder.error('reconnect', 'not_connected');
        await pool.reconnect(conn);
      },
    },
  ];
  return kinds.filter((k) => k.rate > 0);
}
