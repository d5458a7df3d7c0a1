import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ArrivalScheduler } from './arrival-scheduler.js';
import type { BenchUser } from './bench-accounts.js';
import type { WorkloadRates } from './bench-options.js';
import { ConnectionPool } from './connection-pool.js';
import { LatencyRecorder, type EncodedSnapshot, type MetricName } from './latency-recorder.js';
import { parseTargetUrl, Target } from './target.js';
import { workloadKinds } from './workload-ops.js';

/** One worker's share of a run, decided by the coordinator. */
export interface WorkerPlan {
  runId: string;
  worker: number;
  url: string;
  localAddresses: string[];
  timeoutMs: number;
  maxInFlight: number;
  /** This worker's share of --max-ops. */
  budget: number;
  rates: WorkloadRates;
  connectRate: number;
  users: BenchUser[];
  /** `user` indexes `users`. */
  connections: { user: number; channels: string[] }[];
  reportEveryMs: number;
}

export type ToWorker =
  | { type: 'start'; plan: WorkerPlan }
  | { type: 'rate'; multiplier: number }
  /** Drop every connection at once and reopen them all (the storm scenario). */
  | { type: 'storm' }
  /** Report now (a stage ended: its measurements are judged on their own). */
  | { type: 'flush'; seq: number }
  | { type: 'tokens'; tokens: { index: number; token: string }[] }
  /** Stop the load and report what is left (sockets stay open, so the server's counters can be read). */
  | { type: 'stop' }
  /** Close the sockets and end. */
  | { type: 'close' };

export interface WorkerReport {
  type: 'report';
  worker: number;
  snapshot: EncodedSnapshot;
  open: number;
  inFlight: number;
  arrivals: number;
  /** p99 of this process's event-loop delay over the interval: a busy generator inflates latencies. */
  lagMs: number;
  /** Set when this report answers a flush. */
  flush?: number;
}

export type FromWorker =
  | WorkerReport
  | { type: 'ready'; worker: number; open: number }
  | { type: 'spent'; worker: number }
  | { type: 'stopped'; worker: number }
  | { type: 'done'; worker: number }
  | { type: 'failed'; worker: number; message: string };

/** How long deliveries may keep coming after the last publish before the final report. */
const SETTLE_QUIET_MS = 500;
const SETTLE_MAX_MS = 5000;

/**
 * The load of one process: opens its connections at the connect rate, then runs the workload at
 * the multiplier the coordinator sets, reporting a delta of its measurements every interval. The same
 * class runs in a child process (through IPC) or inside the coordinator (--workers 0).
 */
export class BenchWorker {
  private readonly recorder = new LatencyRecorder();
  private readonly target: Target;
  private readonly pool: ConnectionPool;
  private readonly load: ArrivalScheduler;
  private readonly lag = monitorEventLoopDelay({ resolution: 20 });
  private reportTimer: NodeJS.Timeout | undefined;
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private storming: Promise<void> | undefined;

  constructor(
    private readonly plan: WorkerPlan,
    private readonly send: (message: FromWorker) => void,
  ) {
    this.target = new Target(parseTargetUrl(plan.url), plan.localAddresses, plan.timeoutMs);
    const conns = plan.connections.map((c) => ({ user: plan.users[c.user]!, channels: c.channels }));
    this.pool = new ConnectionPool(this.target, this.recorder, plan.runId, plan.timeoutMs, conns);
    const kinds = workloadKinds({
      runId: plan.runId,
      target: this.target,
      pool: this.pool,
      recorder: this.recorder,
      users: plan.users,
      rates: plan.rates,
    });
    this.load = new ArrivalScheduler(kinds, {
      maxInFlight: plan.maxInFlight,
      budget: plan.budget,
      onDrop: (kind) => this.recorder.error(kind as MetricName, 'dropped'),
      onBudgetSpent: () => this.send({ type: 'spent', worker: plan.worker }),
    });
  }

  /** Opens every connection (open model too: at the connect rate, not one after another), then says ready. */
  start(): Promise<void> {
    this.starting ??= this.open();
    return this.starting;
  }

  private async open(): Promise<void> {
    this.lag.enable();
    this.reportTimer = setInterval(() => this.report(), this.plan.reportEveryMs);
    const pending = [...this.pool.connections];
    const opening = new ArrivalScheduler(
      [{ name: 'connect', rate: this.plan.connectRate, run: () => this.pool.open(pending.shift()!).then(() => undefined) }],
      { maxInFlight: Math.max(1, this.plan.maxInFlight), budget: pending.length, onDrop: () => this.recorder.error('connect', 'dropped') },
    );
    if (pending.length > 0) {
      await new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (opening.budgetSpent || this.stopping !== undefined) {
            clearInterval(check);
            resolve();
          }
        }, 20);
        opening.setMultiplier(1);
      });
      await opening.stop();
    }
    this.report();
    this.send({ type: 'ready', worker: this.plan.worker, open: this.pool.openCount });
  }

  handle(message: ToWorker): void {
    if (message.type === 'rate') this.load.setMultiplier(message.multiplier);
    else if (message.type === 'flush') this.report(message.seq);
    else if (message.type === 'tokens') this.updateTokens(message.tokens);
    else if (message.type === 'storm') this.storming ??= this.pool.storm(this.plan.maxInFlight, 2 * this.plan.timeoutMs);
    else if (message.type === 'stop') void this.stop();
    else void this.close();
  }

  /** Stops the load, lets deliveries settle and sends the last report. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      // Opens still in flight finish (each is bounded by the timeout) so no socket outlives the run.
      await this.starting?.catch(() => undefined);
      await this.load.stop();
      await this.storming;
      // Deliveries of the last publishes may still be on their way (to this process's sockets from
      // another worker's publishes too): wait until none came for a while.
      const settleStart = performance.now();
      const quietFor = () => performance.now() - Math.max(settleStart, this.pool.lastDeliveryAt);
      while (performance.now() - settleStart < SETTLE_MAX_MS && quietFor() < SETTLE_QUIET_MS) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      clearInterval(this.reportTimer);
      this.report();
      this.send({ type: 'stopped', worker: this.plan.worker });
    })();
    return this.stopping;
  }

  /** Stops if not yet stopped, closes every socket and says done. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.stop();
      this.pool.closeAll();
      this.target.close();
      this.lag.disable();
      this.send({ type: 'done', worker: this.plan.worker });
    })();
    return this.closing;
  }

  private updateTokens(tokens: { index: number; token: string }[]): void {
    const byIndex = new Map(this.plan.users.map((u) => [u.index, u]));
    for (const { index, token } of tokens) {
      const user = byIndex.get(index);
      if (user === undefined) continue;
      user.token = token;
      this.pool.reauthenticate(user);
    }
  }

  private report(flush?: number): void {
    const lagMs = this.lag.count > 0 ? this.lag.percentile(99) / 1e6 : 0;
    this.lag.reset();
    this.send({
      type: 'report',
      worker: this.plan.worker,
      snapshot: this.recorder.snapshot(true),
      open: this.pool.openCount,
      inFlight: this.load.pending,
      arrivals: this.load.started,
      lagMs,
      ...(flush !== undefined && { flush }),
    });
  }
}
