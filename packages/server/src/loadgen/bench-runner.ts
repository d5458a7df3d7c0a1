import { randomBytes } from 'node:crypto';
import { OperatorError } from '../errors/operator-error.js';
import {
  createRooms,
  createUsers,
  deleteUsers,
  joinRooms,
  startTokenRefresh,
  userPrefix,
  type BenchRoom,
  type BenchUser,
} from './bench-accounts.js';
import type { BenchOptions } from './bench-options.js';
import { LatencyRecorder } from './latency-recorder.js';
import { assignConnections, membershipsOf, subscribersPerRoom, workerPlans } from './run-plan.js';
import { stagesOf, type Stage } from './scenarios.js';
import { scrapeMetrics, serverReport, type ServerReport, type ServerSample } from './server-metrics.js';
import { judgeStage, type StageResult } from './stage-judge.js';
import { Target } from './target.js';
import { evaluateThresholds, type ThresholdResult } from './thresholds.js';
import { WorkerFleet, type FleetStatus } from './worker-fleet.js';
import { currentCommand, type WorkerCommand } from './worker-link.js';

export interface Progress {
  phase: 'setup' | 'connect' | 'load' | 'stop' | 'cleanup';
  note: string;
  elapsedS: number;
  stage: Stage | null;
  fleet: FleetStatus;
  recorder: LatencyRecorder;
}

export interface RunHooks {
  /** Aborting it (ctrl-C) ends the load early; the run still stops its workers and deletes its accounts. */
  signal?: AbortSignal;
  onProgress?(progress: Progress): void;
  /** How child workers are started (default: the running `lo` command). */
  workerCommand?: WorkerCommand;
  /** Called after the load, before the accounts are deleted: what the run left on the target can be inspected here (tests). */
  beforeCleanup?(run: { runId: string; users: readonly BenchUser[]; rooms: readonly BenchRoom[] }): Promise<void>;
}

export interface BenchResult {
  runId: string;
  options: BenchOptions;
  stages: StageResult[];
  recorder: LatencyRecorder;
  loadElapsedS: number;
  /** Load arrivals (started and dropped); at most --max-ops. */
  arrivals: number;
  /** Sockets open when the load began, as the tool counted them. */
  openAtStart: number;
  /** Subscribers of each room the run created: one publication in room r should be delivered subscribers[r] times. */
  subscribers: number[];
  endedBy: 'duration' | 'max-ops' | 'interrupted' | 'breakpoint' | 'failure';
  failure: string | null;
  server: ServerReport;
  thresholds: ThresholdResult[];
  /** Breakpoint: the last step that held and the first that broke. */
  lastGood: StageResult | null;
  brokeAt: StageResult | null;
  users: number;
  rooms: number;
  /** Accounts that could not be deleted (the operator should remove them). */
  leftoverUsers: string[];
  /** The worst event-loop delay of a worker: above ~50 ms the generator, not the server, limited the run. */
  maxLagMs: number;
}

/** Between two reads of the server's metrics during the load. */
const SAMPLE_EVERY_MS = 5000;

const IDLE: FleetStatus = { open: 0, inFlight: 0, arrivals: 0, lagMs: 0 };

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Checks the target answers as a Lo server before anything is created on it. */
async function preflight(target: Target): Promise<void> {
  let answer;
  try {
    answer = await target.request<{ status?: unknown }>('GET', '/api/health', { timeoutMs: 10_000 });
  } catch (error) {
    throw new OperatorError(`cannot use ${target.base.href}: ${(error as Error).message}`);
  }
  if (answer.status !== 200 || typeof answer.body?.status !== 'string') {
    throw new OperatorError(`${target.base.href} does not look like a Lo server (GET /api/health answered ${answer.status})`);
  }
}

/**
 * One run of `lo bench`: preflight, accounts and rooms, workers opening their connections, the
 * scenario's stages, then stop, read the server's metrics, close, and delete the accounts. Every
 * phase has a bound in time, and the accounts are deleted however the run ends.
 */
export async function runBench(options: BenchOptions, hooks: RunHooks = {}): Promise<BenchResult> {
  const run = new BenchRun(options, hooks);
  let result: BenchResult | undefined;
  try {
    result = await run.execute();
  } finally {
    const left = await run.cleanup();
    if (result !== undefined) result.leftoverUsers = left;
    else if (left.length > 0) console.error(`lo bench: ${left.length} test accounts could not be deleted: ${left.join(', ')}`);
  }
  return result;
}

class BenchRun {
  private readonly runId = randomBytes(3).toString('hex');
  private readonly target: Target;
  private readonly abort = new AbortController();
  private readonly startedAt = performance.now();
  private readonly users: BenchUser[] = [];
  private rooms: BenchRoom[] = [];
  private fleet: WorkerFleet | null = null;
  private stopRefresh: () => void = () => undefined;
  private phase: Progress['phase'] = 'setup';
  private note = '';
  private stage: Stage | null = null;
  private left: string[] = [];
  private readonly samples: ServerSample[] = [];
  private readonly progressTimer: NodeJS.Timeout;

  constructor(
    private readonly options: BenchOptions,
    private readonly hooks: RunHooks,
  ) {
    this.target = new Target(options.url, options.localAddresses, options.timeoutMs);
    hooks.signal?.addEventListener('abort', () => this.abort.abort(), { once: true });
    this.progressTimer = setInterval(() => this.progress(), 1000);
  }

  private get interrupted(): boolean {
    return this.hooks.signal?.aborted === true;
  }

  private progress(): void {
    this.hooks.onProgress?.({
      phase: this.phase,
      note: this.note,
      elapsedS: (performance.now() - this.startedAt) / 1000,
      stage: this.stage,
      fleet: this.fleet?.status ?? IDLE,
      recorder: this.fleet?.total ?? new LatencyRecorder(),
    });
  }

  async execute(): Promise<BenchResult> {
    const { options, target } = this;
    await preflight(target);
    const before = await scrapeMetrics(target, options.metricsToken);
    const specs = assignConnections(options.connections, options.users, options.subscriptions, options.rooms);
    const setupSignal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(60_000 + 500 * options.users + 200 * options.rooms)]);
    this.note = `signing up ${options.users} test users (${userPrefix(this.runId)}*)`;
    await createUsers(target, this.runId, options.users, options.center, this.users, setupSignal);
    this.note = `creating ${options.rooms} rooms`;
    const rooms = (this.rooms = options.rooms === 0 ? [] : await createRooms(target, this.runId, options.rooms, this.users, setupSignal));
    await joinRooms(target, rooms, this.users, membershipsOf(specs), setupSignal);
    if (this.interrupted) throw new OperatorError('interrupted during setup');
    if (setupSignal.aborted) throw new OperatorError('setup (signups, rooms) took too long: is the target overloaded?');

    const plans = workerPlans(options, this.runId, this.users, rooms, specs);
    const fleet = (this.fleet = new WorkerFleet(plans, options.workers === 0, this.hooks.workerCommand ?? currentCommand()));
    this.stopRefresh = startTokenRefresh(target, this.users, (user) =>
      fleet.sendTo(user.index % plans.length, { type: 'tokens', tokens: [{ index: user.index, token: user.token }] }),
    );
    this.phase = 'connect';
    this.note = `opening ${options.connections} connections`;
    fleet.start();
    const connectBoundMs = 30_000 + options.timeoutMs + (2000 * options.connections) / options.connectRate;
    const ready = await fleet.waitFor('ready', connectBoundMs, this.abort.signal);
    if (!ready && fleet.failure !== null) throw new OperatorError(fleet.failure);
    if (!ready && !this.interrupted)
      throw new OperatorError(`opening the connections took longer than ${Math.round(connectBoundMs / 1000)} s`);
    const openAtStart = fleet.status.open;
    const atStart = await scrapeMetrics(target, options.metricsToken);

    this.phase = 'load';
    const load = ready
      ? await this.runStages(fleet)
      : { stages: [], endedBy: 'interrupted' as const, lastGood: null, brokeAt: null, elapsedS: 0 };

    this.phase = 'stop';
    this.note = 'waiting for the last replies and deliveries';
    fleet.broadcast({ type: 'stop' });
    await fleet.waitFor('stopped', options.timeoutMs + 10_000);
    // Read before the sockets close: closing makes presence traffic the load did not cause.
    const after = await scrapeMetrics(target, options.metricsToken);
    await this.closeFleet();
    return {
      runId: this.runId,
      options,
      stages: load.stages,
      recorder: fleet.total,
      loadElapsedS: load.elapsedS,
      arrivals: fleet.status.arrivals,
      openAtStart,
      subscribers: subscribersPerRoom(specs, options.rooms),
      endedBy: fleet.failure !== null ? 'failure' : load.endedBy,
      failure: fleet.failure,
      server: serverReport(before, atStart, after, this.samples),
      thresholds: this.thresholds(load.lastGood ?? load.brokeAt, fleet.total, load.elapsedS),
      lastGood: load.lastGood,
      brokeAt: load.brokeAt,
      users: this.users.length,
      rooms: rooms.length,
      leftoverUsers: [],
      maxLagMs: fleet.maxLagMs,
    };
  }

  /**
   * Breakpoint: the thresholds as judged at the last good step (the broken one is the finding, not a
   * failure); other scenarios: over the whole load.
   */
  private thresholds(step: StageResult | null, total: LatencyRecorder, elapsedS: number): ThresholdResult[] {
    if (this.options.scenario === 'breakpoint' && step !== null) return step.checks.slice(0, this.options.thresholds.length);
    return evaluateThresholds(this.options.thresholds, total, elapsedS);
  }

  /** The scenario's stages; each ends at its time, at --max-ops, on ctrl-C, or (breakpoint) when it broke. */
  private async runStages(fleet: WorkerFleet) {
    const stages: StageResult[] = [];
    let endedBy: BenchResult['endedBy'] = 'duration';
    let lastGood: StageResult | null = null;
    let brokeAt: StageResult | null = null;
    const loadStart = performance.now();
    const loadOver = new AbortController();
    const spent = new AbortController();
    void fleet.waitFor('spent', 2 ** 31 - 1, loadOver.signal).then((all) => all && spent.abort());
    const until = AbortSignal.any([this.abort.signal, spent.signal, fleet.failed]);
    // The server's memory every few seconds, for its peak (the summary's other server figures are deltas).
    const sampling = setInterval(() => {
      void scrapeMetrics(this.target, this.options.metricsToken).then((scrape) => scrape.ok && this.samples.push(scrape.sample));
    }, SAMPLE_EVERY_MS);
    for (const stage of stagesOf(this.options.scenario, this.options.durationS, this.options)) {
      this.stage = stage;
      fleet.stage = new LatencyRecorder();
      const stageStart = performance.now();
      fleet.broadcast({ type: 'rate', multiplier: stage.multiplier });
      if (stage.storm === true) fleet.broadcast({ type: 'storm' });
      await sleep(stage.durationS * 1000, until);
      await fleet.flush(5000);
      const result = judgeStage(stage, fleet.stage, (performance.now() - stageStart) / 1000, this.options);
      fleet.stage = null;
      stages.push(result);
      if (this.interrupted) endedBy = 'interrupted';
      else if (fleet.failure !== null) endedBy = 'failure';
      else if (spent.signal.aborted) endedBy = 'max-ops';
      else if (this.options.scenario === 'breakpoint') {
        if (result.ok) lastGood = result;
        else {
          brokeAt = result;
          endedBy = 'breakpoint';
        }
      }
      if (endedBy !== 'duration') break;
    }
    loadOver.abort();
    clearInterval(sampling);
    this.stage = null;
    return { stages, endedBy, lastGood, brokeAt, elapsedS: (performance.now() - loadStart) / 1000 };
  }

  private async closeFleet(): Promise<void> {
    const fleet = this.fleet;
    if (fleet === null || fleet.all('done')) return;
    fleet.broadcast({ type: 'close' });
    if (!(await fleet.waitFor('done', 10_000))) fleet.kill();
    await fleet.ended(5000);
  }

  /** Stops the workers if still running and deletes every account made; returns those left behind. */
  async cleanup(): Promise<string[]> {
    clearInterval(this.progressTimer);
    this.stopRefresh();
    await this.closeFleet();
    try {
      await this.hooks.beforeCleanup?.({ runId: this.runId, users: this.users, rooms: this.rooms });
    } finally {
      this.phase = 'cleanup';
      this.note = `deleting ${this.users.length} test users`;
      this.progress();
      this.left = await deleteUsers(this.target, this.users, 60_000 + 200 * this.users.length);
      this.target.close();
    }
    return this.left;
  }
}
