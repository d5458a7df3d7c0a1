#!/usr/bin/env node
// Runs every test suite with node:test (TypeScript through tsx, packages resolved to their sources).
// Suites that need PostgreSQL, Redis or NATS run when those answer; otherwise they are skipped and
// this script says so loudly. In CI (CI=true or LO_REQUIRE_BACKENDS=1) a missing backend fails the run.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const only = process.argv.slice(2);

function findTests(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : findTests(full);
    return entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

function reachable(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port), timeout: 1500 });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

const backends = [
  { name: 'PostgreSQL', env: 'LO_TEST_POSTGRES_URL', url: process.env.LO_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
  { name: 'Redis', env: 'LO_TEST_REDIS_URL', url: process.env.LO_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379' },
  { name: 'NATS', env: 'LO_TEST_NATS_URL', url: process.env.LO_TEST_NATS_URL ?? 'nats://127.0.0.1:4222' },
];
const required = process.env.CI === 'true' || process.env.LO_REQUIRE_BACKENDS === '1';
const env = { ...process.env };
const missing = [];
for (const backend of backends) {
  if (await reachable(backend.url)) env[backend.env] = backend.url;
  else {
    delete env[backend.env];
    missing.push(backend);
  }
}

let files = ['packages/protocol', 'packages/client', 'packages/server'].flatMap((p) => findTests(path.join(root, p, 'test'))).sort();
if (only.length > 0) files = files.filter((f) => only.some((o) => f.includes(o)));
const result = spawnSync(
  process.execPath,
  ['--conditions=lo-source', '--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000', ...files],
  { cwd: root, env, stdio: 'inherit' },
);

if (missing.length > 0) {
  const line = '='.repeat(78);
  console.error(`\n${line}`);
  for (const backend of missing) {
    console.error(`SKIPPED: ${backend.name} suites — nothing answers at ${backend.url} (set ${backend.env} to point elsewhere).`);
  }
  console.error(`Only the embedded (SQLite, in-process) suites ran for those backends. See README "Running the tests".`);
  console.error(line);
  if (required) {
    console.error('CI requires every backend: failing.');
    process.exit(1);
  }
}
process.exit(result.status ?? 1);
