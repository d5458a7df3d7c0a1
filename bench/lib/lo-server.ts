/**
 * Starts `lo serve` from the sources in a child process for the real-time benchmarks: a temporary data
 * dir (removed at exit), a free loopback port, every rate limit and connection cap out of the way,
 * presence off on `public:` channels, and a few users signed up over HTTP whose access tokens the
 * clients share.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_RATE_RULES } from '../../packages/server/src/core/rate-rules.js';
import { onExit, spawnTs, type Child } from './children.js';

/** Whether the real-time gateway exists in this checkout (it is needed for the Lo rows). */
export function hasLoGateway(root: string): boolean {
  return fs.existsSync(path.join(root, 'packages/server/src/realtime/gateway.ts'));
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Every rate rule the server knows, raised far beyond what a benchmark does. */
function unlimitedRates(): string {
  return Object.keys(DEFAULT_RATE_RULES)
    .map((name) => `${name}=100000000/1`)
    .join(',');
}

async function waitReady(child: Child, base: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!child.running) throw new Error(`lo serve exited (${child.process.exitCode ?? child.process.signalCode}) before it was ready`);
    try {
      const res = await fetch(`${base}/api/health/ready`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`lo serve was not ready after ${timeoutMs} ms`);
    await sleep(50);
  }
}

async function signup(base: string): Promise<string> {
  const body = { username: `bench_${randomBytes(5).toString('hex')}`, password: randomBytes(15).toString('base64url') };
  const res = await fetch(`${base}/api/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${text}`);
  return (JSON.parse(text) as { access_token: string }).access_token;
}

export interface StartedLo {
  child: Child;
  port: number;
  tokens: string[];
  /** http://127.0.0.1:<port> */
  base: string;
}

/** `node --expose-gc … packages/server/src/cli/main.ts serve` with the server probe preloaded. */
export async function startLo(
  root: string,
  probe: string,
  users: number,
  nodeFlags: string[] = [],
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<StartedLo> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lo-bench-'));
  onExit(() => fs.rmSync(dir, { recursive: true, force: true }));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LO_HOST: '127.0.0.1',
    LO_PORT: String(port),
    LO_DATA_DIR: dir,
    LO_LOG_LEVEL: 'warn',
    LO_JWT_SECRET: randomBytes(32).toString('base64url'),
    LO_ACCESS_TOKEN_TTL: '7200',
    LO_RATE_LIMITS: unlimitedRates(),
    LO_WS_MAX_CONNECTIONS_PER_USER: '100000',
    LO_WS_MAX_CONNECTIONS_PER_IP: '100000',
    // The baselines keep no presence; neither does Lo here (with it, every subscribe is announced to every
    // subscriber: 1,000 joins make 1,000,000 events before the benchmark starts).
    LO_NAMESPACES: JSON.stringify({ public: { presence: false, typing: false } }),
    ...extraEnv,
  };
  const child = spawnTs('lo serve', path.join(root, 'packages/server/src/cli/main.ts'), ['serve'], {
    nodeFlags: ['--expose-gc', ...nodeFlags],
    preload: [probe],
    env,
    cwd: root,
  });
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitReady(child, base, 60_000);
    const tokens: string[] = [];
    for (let i = 0; i < users; i += 1) tokens.push(await signup(base));
    return { child, port, tokens, base };
  } catch (error) {
    await child.stop();
    throw error;
  }
}
