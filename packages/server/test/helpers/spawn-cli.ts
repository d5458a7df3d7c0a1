import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** The repository root: the CLI runs from there, its packages resolved to their sources. */
export const REPO_ROOT = path.resolve(import.meta.dirname, '../../../..');
const CLI_ARGS = ['--conditions=lo-source', '--import', 'tsx', 'packages/server/src/cli/main.ts'];

const running = new Set<ChildProcess>();

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface CliRun extends Exit {
  stdout: string;
  stderr: string;
}

/** The child's environment: this process's, without any LO_* setting or test-runner marker leaking in. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('LO_') && name !== 'NODE_TEST_CONTEXT'));
  return { ...base, LO_LOG_LEVEL: 'info', ...env };
}

function spawnCli(args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [...CLI_ARGS, ...args], { cwd: REPO_ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

function exitOf(child: ChildProcess): Promise<Exit> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Resolves with `promise`, or rejects after `ms` saying what was awaited. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Runs a CLI command to completion (killed after `timeoutMs`). */
export async function runCli(args: string[], env: Record<string, string>, timeoutMs = 20_000): Promise<CliRun> {
  const child = spawnCli(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    const exit = await within(exitOf(child), timeoutMs, `lo ${args.join(' ')} to exit`);
    return { ...exit, stdout, stderr };
  } finally {
    child.kill('SIGKILL');
  }
}

export interface CliServer {
  child: ChildProcess;
  url: string;
  /** Everything the process wrote so far. */
  output(): string;
  /** Sends `signal` and resolves with how the process ended (SIGKILL after `timeoutMs`, then rejects). */
  stop(signal: NodeJS.Signals, timeoutMs?: number): Promise<Exit>;
}

/** Starts `lo serve` and resolves once it logs `Lo listening on <url>` (JSON log line on stdout). */
export async function startCliServer(env: Record<string, string>, timeoutMs = 20_000): Promise<CliServer> {
  const child = spawnCli(['serve'], { LO_PORT: '0', ...env });
  let output = '';
  const listening = new Promise<string>((resolve, reject) => {
    let pending = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        try {
          const entry = JSON.parse(line) as { msg?: unknown };
          if (typeof entry.msg === 'string' && entry.msg.startsWith('Lo listening on'))
            resolve(entry.msg.slice('Lo listening on'.length).trim());
        } catch {
          // not a JSON log line
        }
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code, signal) => reject(new Error(`lo serve exited (${code ?? signal}) before listening:\n${output}`)));
  });
  let url: string;
  try {
    url = await within(listening, timeoutMs, 'lo serve to listen');
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    child,
    url,
    output: () => output,
    async stop(signal, stopTimeoutMs = 10_000) {
      const exited = exitOf(child);
      child.kill(signal);
      try {
        return await within(exited, stopTimeoutMs, `lo serve to exit after ${signal}`);
      } catch (error) {
        child.kill('SIGKILL');
        throw error;
      }
    },
  };
}

/** Kills every CLI process still running (for after() hooks). */
export function killAllCli(): void {
  for (const child of running) child.kill('SIGKILL');
}
