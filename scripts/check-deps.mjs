#!/usr/bin/env node
// Checks the dependency direction of DESIGN section 2:
//   util ← errors ← core ← {store, ratelimit, security, broker, presence, ops, config} ← {http, realtime} ← app (with services, shared) ← cli
// core/ is plain TypeScript: node built-ins and @lo/protocol only (no driver, ws or Fastify).
// loadgen/ (`lo bench`) is a client of the public API and protocol: it may not reach into the server.
// The client SDK runs in browsers: @lo/protocol only, no node built-ins; protocol imports nothing.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const serverSrc = path.join(root, 'packages/server/src');

/** For each layer of packages/server/src: the layers it may import. */
const IMPLEMENTATIONS = ['store', 'ratelimit', 'security', 'broker', 'presence', 'ops', 'config'];
const ALLOWED = {
  util: ['util'],
  errors: ['util', 'errors'],
  core: ['util', 'errors', 'core'],
  ...Object.fromEntries(IMPLEMENTATIONS.map((layer) => [layer, ['util', 'errors', 'core', layer, 'config', 'ops']])),
  http: ['util', 'errors', 'core', 'http', 'ops', 'config'],
  realtime: ['util', 'errors', 'core', 'realtime', 'ops', 'config'],
  app: ['*'],
  // The composition root's parts (app.ts builds the node from them).
  services: ['*'],
  shared: ['*'],
  loadgen: ['errors', 'loadgen'],
  version: [],
  cli: ['*'],
};
/** External packages each layer may import (besides node: built-ins). '*' = any. */
const EXTERNAL = {
  util: ['ulid'],
  errors: ['@lo/protocol'],
  core: ['@lo/protocol'],
  http: ['*'],
  realtime: ['*'],
  loadgen: ['@lo/protocol', 'ws', 'hdr-histogram-js'],
};

function files(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? files(full) : e.name.endsWith('.ts') ? [full] : [];
  });
}

function imports(file) {
  const text = fs.readFileSync(file, 'utf8');
  const found = [];
  for (const match of text.matchAll(/(?:^|[\n;])\s*(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    found.push(match[1] ?? match[2]);
  }
  return found;
}

const layerOf = (file) => {
  const rel = path.relative(serverSrc, file).split(path.sep);
  return rel.length === 1 ? rel[0].replace(/\.ts$/, '') : rel[0];
};
const packageOf = (spec) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);

const problems = [];
for (const file of files(serverSrc)) {
  const layer = layerOf(file);
  const allowed = ALLOWED[layer];
  if (allowed === undefined) {
    problems.push(`${path.relative(root, file)}: unknown layer "${layer}" (add it to scripts/check-deps.mjs)`);
    continue;
  }
  for (const spec of imports(file)) {
    if (spec.startsWith('.')) {
      const target = layerOf(path.resolve(path.dirname(file), spec));
      if (!allowed.includes('*') && !allowed.includes(target) && target !== layer) {
        problems.push(`${path.relative(root, file)}: ${layer}/ must not import ${target}/ (${spec})`);
      }
    } else if (!spec.startsWith('node:')) {
      const externals = EXTERNAL[layer] ?? ['*'];
      if (!externals.includes('*') && !externals.includes(packageOf(spec))) {
        problems.push(`${path.relative(root, file)}: ${layer}/ must not import the package ${spec}`);
      }
    }
  }
}
for (const [pkg, externals] of [
  ['client', ['@lo/protocol']],
  ['protocol', []],
]) {
  for (const file of files(path.join(root, 'packages', pkg, 'src'))) {
    for (const spec of imports(file)) {
      if (spec.startsWith('.')) continue;
      if (!externals.includes(packageOf(spec))) problems.push(`${path.relative(root, file)}: ${pkg} must not import ${spec}`);
    }
  }
}

if (problems.length > 0) {
  console.error('Dependency direction violated:\n  ' + problems.join('\n  '));
  process.exit(1);
}
console.log('dependency direction: ok');
