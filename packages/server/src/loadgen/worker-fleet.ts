import type { FromWorker, ToWorker, WorkerPlan } from './bench-worker.js';
import { LatencyRecorder } from './latency-recorder.js';
import { childWorker, inProcessWorker, type WorkerCommand, type WorkerLink } from './worker-link.js';

export interface FleetStatus {
  /** Sockets open now, over all workers. */
  open: number;
  inFlight: number;
  /** Load arrivals so far (started and dropped). */
  arrivals: number;
  /** The worst event-loop delay p99 of a worker in its last interval, in ms. */
  lagMs: number;
}

type Milestone = 'ready' | 'spent' | 'stopped' | 'done';

/**
 * The coordinator's view of its workers: starts them, merges their reports into the run's totals
 * (and into the current stage's, while one runs), and tells when all of them reached a milestone.
 * A worker that fails or dies makes every wait end, with `failure` saying why.
 */
export class WorkerFleet {
  readonly total = new LatencyRecorder();
  /** The current stage's measurements (null between stages). */
  stage: LatencyRecorder | null = null;
  maxLagMs = 0;
  failure: string | null = null;
  private readonly failing = new AbortController();
  /** Aborted when a worker fails: the stage in progress ends at once. */
  readonly failed: AbortSignal = this.failing.signal;
  private readonly links: WorkerLink[];
  private readonly latest = new Map<number, FleetStatus>();
  private readonly reached = new Map<Milestone, Set<number>>();
  private readonly listeners = new Set<() => void>();
  private flushSeq = 0;
  private readonly flushed = new Map<number, number>();

  constructor(
    private readonly plans: readonly WorkerPlan[],
    inProcess: boolean,
    command: WorkerCommand,
  ) {
    this.links = plans.map((plan) => {
      const onMessage = (message: FromWorker) => this.receive(message);
      const link = inProcess ? inProcessWorker(onMessage) : childWorker(command, onMessage);
      // A child that exits before it is done took its measurements with it: the run cannot be trusted.
      void link.ended.then(() => {
        if (!this.has('done', plan.worker)) this.fail(`worker ${plan.worker} ended unexpectedly`);
      });
      return link;
    });
  }

  start(): void {
    this.plans.forEach((plan, i) => this.links[i]!.send({ type: 'start', plan }));
  }

  broadcast(message: ToWorker): void {
    for (const link of this.links) link.send(message);
  }

  sendTo(worker: number, message: ToWorker): void {
    this.links[worker]?.send(message);
  }

  get status(): FleetStatus {
    const out: FleetStatus = { open: 0, inFlight: 0, arrivals: 0, lagMs: 0 };
    for (const s of this.latest.values()) {
      out.open += s.open;
      out.inFlight += s.inFlight;
      out.arrivals += s.arrivals;
      out.lagMs = Math.max(out.lagMs, s.lagMs);
    }
    return out;
  }

  /** Whether every worker reached `milestone`. */
  all(milestone: Milestone): boolean {
    return (this.reached.get(milestone)?.size ?? 0) >= this.plans.length;
  }

  /** Resolves true when every worker reached `milestone`, false on timeout, abort or a worker's failure. */
  waitFor(milestone: Milestone, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (result: boolean) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        signal?.removeEventListener('abort', aborted);
        resolve(result);
      };
      const check = () => {
        if (this.all(milestone)) done(true);
        else if (this.failure !== null) done(false);
      };
      const aborted = () => done(false);
      const timer = setTimeout(() => done(false), timeoutMs);
      signal?.addEventListener('abort', aborted, { once: true });
      this.listeners.add(check);
      check();
    });
  }

  /**
   * Has every worker report now and resolves once all those reports are merged (or after
   * `timeoutMs`): what a stage measured is then in its recorder before it is judged.
   */
  flush(timeoutMs: number): Promise<void> {
    const seq = ++this.flushSeq;
    const flushed = new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
        this.flushed.delete(seq);
        resolve();
      };
      const check = () => {
        if ((this.flushed.get(seq) ?? 0) >= this.plans.length || this.failure !== null) done();
      };
      const timer = setTimeout(done, timeoutMs);
      this.listeners.add(check);
    });
    // After the listener is in place: a worker in this process answers during the broadcast.
    this.broadcast({ type: 'flush', seq });
    return flushed;
  }

  /** Ends every worker now (after a stop that did not finish in time). */
  kill(): void {
    for (const link of this.links) link.kill();
  }

  /** Resolves when every worker has ended, or after `timeoutMs`. */
  async ended(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.all(this.links.map((l) => l.ended)), timeout]);
    clearTimeout(timer);
  }

  private has(milestone: Milestone, worker: number): boolean {
    return this.reached.get(milestone)?.has(worker) ?? false;
  }

  private mark(milestone: Milestone, worker: number): void {
    let set = this.reached.get(milestone);
    if (set === undefined) this.reached.set(milestone, (set = new Set()));
    set.add(worker);
    for (const listener of [...this.listeners]) listener();
  }

  private fail(reason: string): void {
    this.failure ??= reason;
    this.failing.abort();
    for (const listener of [...this.listeners]) listener();
  }

  private receive(message: FromWorker): void {
    switch (message.type) {
      case 'report':
        this.total.merge(message.snapshot);
        this.stage?.merge(message.snapshot);
        this.latest.set(message.worker, {
          open: message.open,
          inFlight: message.inFlight,
          arrivals: message.arrivals,
          lagMs: message.lagMs,
        });
        // Only under load: opening thousands of sockets (and compiling) stalls a worker without skewing a sample.
        if (this.stage !== null) this.maxLagMs = Math.max(this.maxLagMs, message.lagMs);
        if (message.flush !== undefined) {
          this.flushed.set(message.flush, (this.flushed.get(message.flush) ?? 0) + 1);
          for (const listener of [...this.listeners]) listener();
        }
        return;
      case 'failed':
        return this.fail(`worker ${message.worker} failed: ${message.message}`);
      default:
        return this.mark(message.type, message.worker);
    }
  }
}
