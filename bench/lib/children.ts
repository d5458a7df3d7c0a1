/**
 * Child processes of the real-time benchmarks: spawning (TypeScript through tsx, with an IPC channel),
 * request/reply over IPC, and clean-up. Every child is killed when the benchmark exits, however it exits,
 * and every registered clean-up (temp dirs) runs then too.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Reply } from './child-rpc.js';

/** Node flags that run the repository's TypeScript sources directly (as the npm scripts do). */
export const TS_EXEC_ARGV = ['--conditions=lo-source', '--import', 'tsx'];

const live = new Set<ChildProcess>();
const cleanups: Array<() => void> = [];

/** Runs `fn` (synchronous) when the process exits, after its children are killed. */
export function onExit(fn: () => void): void {
  cleanups.push(fn);
}

process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
  for (const fn of cleanups.splice(0)) {
    try {
      fn();
    } catch (error) {
      console.error('clean-up failed:', error);
    }
  }
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

/** Exits (killing every child) if the run is still going after `seconds`: every run is bounded. */
export function startWatchdog(seconds: number): void {
  setTimeout(() => {
    console.error(`the benchmark did not finish within ${seconds} s (--timeout): stopping it`);
    process.exit(2);
  }, seconds * 1000).unref();
}

const isReply = (m: unknown): m is Reply => typeof m === 'object' && m !== null && typeof (m as Reply).re === 'number';

/** A child process with an IPC channel, seen from the parent. */
export class Child {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Set<(message: unknown) => void>();
  readonly exited: Promise<void>;

  constructor(
    readonly name: string,
    readonly process: ChildProcess,
  ) {
    live.add(process);
    process.on('message', (message) => {
      if (isReply(message)) {
        const call = this.pending.get(message.re);
        this.pending.delete(message.re);
        if (message.ok) call?.resolve(message.result);
        else call?.reject(new Error(`${name}: ${message.error ?? 'failed'}`));
      } else for (const listener of this.listeners) listener(message);
    });
    this.exited = new Promise((resolve) =>
      process.once('exit', (code, signal) => {
        live.delete(process);
        for (const call of this.pending.values()) call.reject(new Error(`${name} exited (${signal ?? code}) before it answered`));
        this.pending.clear();
        resolve();
      }),
    );
  }

  get pid(): number {
    if (this.process.pid === undefined) throw new Error(`${this.name} has no pid (did it start?)`);
    return this.process.pid;
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Sends `cmd` to the child's `answerCalls` handler and waits for its result. */
  call<T>(cmd: string, args: unknown = {}, timeoutMs = 30_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: "${cmd}" got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => (clearTimeout(timer), resolve(v as T)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.process.send({ id, cmd, args });
    });
  }

  /** Waits for an unsolicited message that `match` accepts. */
  waitFor<T>(match: (message: unknown) => message is T, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(listener);
      };
      const listener = (message: unknown): void => {
        if (!match(message)) return;
        done();
        resolve(message);
      };
      const timer = setTimeout(() => (done(), reject(new Error(`${this.name}: nothing came within ${timeoutMs} ms`))), timeoutMs);
      this.listeners.add(listener);
      void this.exited.then(() => (done(), reject(new Error(`${this.name} exited (${this.process.exitCode ?? this.process.signalCode})`))));
    });
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    if (!this.running) return;
    this.process.kill('SIGTERM');
    const stopped = await Promise.race([this.exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!stopped) {
      this.process.kill('SIGKILL');
      await this.exited;
    }
  }
}

export interface SpawnOptions {
  /** Extra Node flags before the TypeScript loader (e.g. --expose-gc). */
  nodeFlags?: string[];
  /** Modules to preload after the loader (e.g. server-probe.ts). */
  preload?: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Starts `node <flags> --import tsx <preloads> <file> <args>` with an IPC channel; stdout and stderr are inherited. */
export function spawnTs(name: string, file: string, args: string[], options: SpawnOptions = {}): Child {
  const execArgv = [
    ...(options.nodeFlags ?? []),
    ...TS_EXEC_ARGV,
    ...(options.preload ?? []).flatMap((p) => ['--import', pathToFileURL(path.resolve(p)).href]),
  ];
  const child = fork(path.resolve(file), args, {
    execArgv,
    ...(options.cwd !== undefined && { cwd: options.cwd }),
    env: options.env ?? process.env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  return new Child(name, child);
}

/** Starts a plain command (not TypeScript) with an IPC channel. */
export function spawnWithIpc(name: string, command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string }): Child {
  const child = spawn(command, args, {
    ...(options.cwd !== undefined && { cwd: options.cwd }),
    env: options.env ?? process.env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  return new Child(name, child);
}
