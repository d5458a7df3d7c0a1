/**
 * A Redis or NATS server of a test's own, on a free port, that the test may kill and start again on
 * the same port (the shared servers on the default ports are never touched). Needs the server binary
 * on PATH; PRIVATE_SERVER_SKIP says why a suite is skipped without it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export type ServerKind = 'redis' | 'nats';

const BINARIES: Record<ServerKind, string> = { redis: 'redis-server', nats: 'nats-server' };

/** Nothing written to disk, only the loopback interface. */
function args(kind: ServerKind, port: number): string[] {
  if (kind === 'redis') return ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  return ['-p', String(port), '-a', '127.0.0.1'];
}

function which(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, binary);
    if (fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** In CI (as in scripts/run-tests.mjs) a missing binary fails the fault tests instead of skipping them. */
const REQUIRED = process.env.CI === 'true' || process.env.LO_REQUIRE_BACKENDS === '1';

/** The reason to skip when `kind`'s binary is missing (outside CI), else undefined. */
export function privateServerSkip(kind: ServerKind): string | undefined {
  if (REQUIRED || which(BINARIES[kind]) !== undefined) return undefined;
  return `no ${BINARIES[kind]} on PATH (install it to run the fault tests)`;
}

export interface PrivateServer {
  url: string;
  /** SIGKILL: no shutdown, no goodbye to clients (sockets reset). */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty: nothing was saved). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves once something accepts TCP connections on `port`. */
async function listening(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export async function startPrivateServer(kind: ServerKind): Promise<PrivateServer> {
  const binary = which(BINARIES[kind]);
  if (binary === undefined) throw new Error(`no ${BINARIES[kind]} on PATH: the fault tests start their own server`);
  const port = await freePort();
  let child: ChildProcess | null = null;
  const start = async () => {
    child = spawn(binary, args(kind, port), { stdio: 'ignore' });
    await listening(port);
  };
  const kill = async () => {
    const running = child;
    child = null;
    if (running === null || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };
  await start();
  return { url: `${kind}://127.0.0.1:${port}`, kill, restart: start, close: kill };
}
