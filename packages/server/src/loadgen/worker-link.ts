import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BenchWorker, type FromWorker, type ToWorker } from './bench-worker.js';

/** The coordinator's end of one worker, wherever it runs. */
export interface WorkerLink {
  send(message: ToWorker): void;
  /** Resolves when the worker has ended (its process exited, or it said done). */
  readonly ended: Promise<void>;
  /** Ends the worker at once (after the grace period of a stop ran out). */
  kill(): void;
}

/** How a child worker is started: the `lo` command itself, with the hidden `bench-worker` command. */
export interface WorkerCommand {
  modulePath: string;
  args: string[];
  execArgv: string[];
}

/**
 * How this `lo` starts a worker: from the bundle, the bundle itself with the hidden `bench-worker`
 * command; from the sources (this module is a .ts file), worker-main.ts beside it, with the same
 * loader flags (--import tsx) this process has.
 */
export function currentCommand(): WorkerCommand {
  if (import.meta.url.endsWith('.ts')) {
    return { modulePath: fileURLToPath(new URL('./worker-main.ts', import.meta.url)), args: [], execArgv: process.execArgv };
  }
  return { modulePath: process.argv[1]!, args: ['bench-worker'], execArgv: process.execArgv };
}

/** A worker inside this process (--workers 0): no IPC, the same messages. */
export function inProcessWorker(onMessage: (message: FromWorker) => void): WorkerLink {
  let worker: BenchWorker | undefined;
  let end!: () => void;
  const ended = new Promise<void>((resolve) => (end = resolve));
  const deliver = (message: FromWorker) => {
    onMessage(message);
    if (message.type === 'done' || message.type === 'failed') end();
  };
  return {
    ended,
    send(message) {
      if (message.type === 'start') {
        worker = new BenchWorker(message.plan, deliver);
        worker.start().catch((error: unknown) => deliver({ type: 'failed', worker: message.plan.worker, message: String(error) }));
      } else worker?.handle(message);
    },
    kill() {
      void worker?.close();
      end();
    },
  };
}

/** A worker in a child process (its own 20,000 open files), talking over IPC. */
export function childWorker(command: WorkerCommand, onMessage: (message: FromWorker) => void): WorkerLink {
  const child: ChildProcess = fork(command.modulePath, command.args, {
    execArgv: command.execArgv,
    // stdout stays clean for the coordinator's summary (--json); a crash still shows on stderr.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: { ...process.env, LO_BENCH_WORKER: '1' },
  });
  child.on('message', (message) => onMessage(message as FromWorker));
  const ended = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    ended,
    send(message) {
      if (child.connected) child.send(message);
    },
    kill() {
      child.kill('SIGKILL');
    },
  };
}

/**
 * The child's side (`lo bench-worker`, not for people): waits for its plan, runs it, and exits once
 * done. Losing the coordinator (its IPC channel closes) stops the load at once: a worker never runs
 * on without the process that bounds the run and cleans up.
 */
export function runWorkerProcess(): void {
  if (process.send === undefined) {
    console.error('lo bench-worker is started by lo bench, not by hand');
    process.exit(2);
  }
  let worker: BenchWorker | undefined;
  const send = (message: FromWorker) => {
    if (process.connected) process.send!(message);
    if (message.type === 'done') setImmediate(() => process.disconnect());
  };
  process.on('message', (message: ToWorker) => {
    if (message.type === 'start') {
      worker = new BenchWorker(message.plan, send);
      worker.start().catch((error: unknown) => {
        send({ type: 'failed', worker: message.plan.worker, message: String(error) });
        process.exit(1);
      });
    } else worker?.handle(message);
  });
  process.on('disconnect', () => {
    const stopped = worker?.close() ?? Promise.resolve();
    // Bounded: the sockets are closed by then, and nothing else should keep the process.
    void stopped.finally(() => setTimeout(() => process.exit(0), 100).unref());
  });
  // ctrl-C reaches the whole process group: the coordinator decides when the workers stop.
  process.on('SIGINT', () => undefined);
}
