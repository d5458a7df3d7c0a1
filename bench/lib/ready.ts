import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { nowMs } from './stats.js';

const POLL_MS = 5;
const GIVE_UP_MS = 30_000;

/**
 * What runs `lo serve`: the file the `lo` bin of packages/server/package.json names (the one `npm start`
 * runs too), then the plain tsc output for comparison.
 */
function entryPoints(root: string): Array<{ name: string; file: string }> {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'packages/server/package.json'), 'utf8')) as { bin?: { lo?: string } };
  const bin = path.join('packages/server', manifest.bin?.lo ?? 'dist/cli/main.js');
  return [
    { name: `\`lo serve\` (${bin}, the \`lo\` bin)`, file: bin },
    { name: '`node packages/server/dist/cli/main.js serve` (unbundled tsc output)', file: 'packages/server/dist/cli/main.js' },
  ];
}

export interface ReadyRun {
  name: string;
  samplesMs: number[];
  medianMs: number;
  maxMs: number;
  /** Set when the build failed and nothing could be measured. */
  error?: string;
}

function freePort(): Promise<number> {
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

function readyStatus(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/api/health/ready', agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
  });
}

/** `npm run build` (tsc -b: incremental, quick when up to date), so dist matches the sources measured. */
export function build(root: string): string | null {
  const result = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8' });
  if (result.status === 0) return null;
  return `npm run build failed (${result.status}): ${(result.stdout + result.stderr).trim().split('\n').slice(-5).join(' | ')}`;
}

/** Builds, then times every entry point (see timeEntry). */
export async function timeReady(root: string, dir: string, runs: number): Promise<ReadyRun[]> {
  const buildError = build(root);
  const results: ReadyRun[] = [];
  for (const entry of entryPoints(root)) {
    const main = path.join(root, entry.file);
    const error = buildError ?? (fs.existsSync(main) ? null : `${entry.file} is missing`);
    results.push(
      error === null
        ? await timeEntry(entry.name, main, root, dir, runs)
        : { name: entry.name, samplesMs: [], medianMs: NaN, maxMs: NaN, error },
    );
  }
  return results;
}

/** Spawns `node <main> serve` on the data dir, polls readiness every 5 ms until 200, stops it; `runs` times. */
async function timeEntry(name: string, main: string, root: string, dir: string, runs: number): Promise<ReadyRun> {
  const samplesMs: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const port = await freePort();
    const started = nowMs();
    const child = spawn(process.execPath, [main, 'serve'], {
      cwd: root,
      env: { ...process.env, LO_DATA_DIR: dir, LO_PORT: String(port), LO_HOST: '127.0.0.1', LO_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      for (;;) {
        if ((await readyStatus(port)) === 200) break;
        if (child.exitCode !== null) throw new Error(`lo serve exited with ${child.exitCode} before it was ready`);
        if (nowMs() - started > GIVE_UP_MS) throw new Error('lo serve was not ready after 30 s');
        await sleep(POLL_MS);
      }
      samplesMs.push(nowMs() - started);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  }
  const sorted = [...samplesMs].sort((a, b) => a - b);
  return { name, samplesMs, medianMs: sorted[Math.floor(sorted.length / 2)] ?? NaN, maxMs: sorted.at(-1) ?? NaN };
}
