import type { BenchRoom, BenchUser } from './bench-accounts.js';
import type { BenchOptions, WorkloadRates } from './bench-options.js';
import type { WorkerPlan } from './bench-worker.js';

/** Connection `c` belongs to user `c mod users` and follows rooms `c·S … c·S+S-1` (mod rooms). */
export interface ConnectionSpec {
  user: number;
  rooms: number[];
}

/** Spreads connections over users and subscriptions over rooms evenly. */
export function assignConnections(connections: number, users: number, subscriptions: number, rooms: number): ConnectionSpec[] {
  return Array.from({ length: connections }, (_, c) => ({
    user: c % users,
    rooms: Array.from({ length: subscriptions }, (_, k) => (c * subscriptions + k) % rooms),
  }));
}

/** The rooms each user must be a member of (those its connections follow). */
export function membershipsOf(specs: readonly ConnectionSpec[]): Map<number, Set<number>> {
  const out = new Map<number, Set<number>>();
  for (const spec of specs) {
    let rooms = out.get(spec.user);
    if (rooms === undefined) out.set(spec.user, (rooms = new Set()));
    for (const r of spec.rooms) rooms.add(r);
  }
  return out;
}

/** Subscribers per room, in room order: what one publication in each room should reach. */
export function subscribersPerRoom(specs: readonly ConnectionSpec[], rooms: number): number[] {
  const counts = new Array<number>(rooms).fill(0);
  for (const spec of specs) for (const r of spec.rooms) counts[r]!++;
  return counts;
}

function share(rates: WorkloadRates, connections: number, totalConnections: number, users: number, totalUsers: number): WorkloadRates {
  const byConn = totalConnections === 0 ? 0 : connections / totalConnections;
  const byUser = users / totalUsers;
  return {
    publish: rates.publish * byConn,
    beacon: rates.beacon * byConn,
    reconnect: rates.reconnect * byConn,
    geoPost: rates.geoPost * byUser,
    nearby: rates.nearby * byUser,
  };
}

const sum = (r: WorkloadRates) => r.publish + r.beacon + r.reconnect + r.geoPost + r.nearby;

/**
 * One plan per worker. A user and all its connections live in one worker (user `u` in worker
 * `u mod workers`), so per-user rules (the 2 s between beacons) are kept where they are enforced.
 * Rates follow what each worker holds: socket operations by its connections, HTTP ones by its users.
 */
export function workerPlans(
  options: BenchOptions,
  runId: string,
  users: readonly BenchUser[],
  rooms: readonly BenchRoom[],
  specs: readonly ConnectionSpec[],
): WorkerPlan[] {
  const count = Math.max(1, Math.min(options.workers, users.length));
  const plans: WorkerPlan[] = [];
  for (let w = 0; w < count; w++) {
    const own = users.filter((u) => u.index % count === w);
    const local = new Map(own.map((u, i) => [u.index, i]));
    const connections = specs
      .filter((s) => local.has(s.user))
      .map((s) => ({ user: local.get(s.user)!, channels: s.rooms.map((r) => rooms[r]!.channel) }));
    plans.push({
      runId,
      worker: w,
      url: options.url.href,
      localAddresses: options.localAddresses,
      timeoutMs: options.timeoutMs,
      maxInFlight: Math.max(1, Math.floor(options.maxInFlight / count)),
      budget: 0,
      rates: share(options.rates, connections.length, specs.length, own.length, users.length),
      connectRate: options.connectRate * (specs.length === 0 ? 0 : connections.length / specs.length),
      users: own.map((u) => ({ ...u, home: { ...u.home } })),
      connections,
      reportEveryMs: 1000,
    });
  }
  // --max-ops split by each worker's share of the load, the remainder to the first ones.
  const total = plans.reduce((n, p) => n + sum(p.rates), 0);
  let left = options.maxOps;
  for (const plan of plans) {
    plan.budget = Math.floor(options.maxOps * (total === 0 ? 1 / plans.length : sum(plan.rates) / total));
    left -= plan.budget;
  }
  // Only to workers with load: a budget nobody spends would keep the run from ending at --max-ops.
  const loaded = total === 0 ? plans : plans.filter((p) => sum(p.rates) > 0);
  for (let i = 0; left > 0; i = (i + 1) % loaded.length, left--) loaded[i]!.budget++;
  return plans;
}
