#!/usr/bin/env node
// Bundles the server and its pure-JS dependencies into packages/server/bundle/lo.mjs, the file `lo` and
// `npm start` run. Loading one file instead of ~1,500 modules is what gets `lo serve` ready within the
// 500 ms of DESIGN section 10. Code loaded with a dynamic import (the common-password list) goes to its
// own chunk, so start-up does not parse it. Native addons stay external and load from node_modules.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const outdir = path.join(root, 'packages/server/bundle');

fs.rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { lo: path.join(root, 'packages/server/src/cli/main.ts') },
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  minify: process.env.LO_BUNDLE_MINIFY === '1',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  conditions: ['lo-source'],
  external: ['better-sqlite3', '@node-rs/argon2'],
  // CommonJS dependencies inside an ES module bundle need a `require`.
  banner: { js: "import { createRequire as __loRequire } from 'node:module'; const require = __loRequire(import.meta.url);" },
  sourcemap: 'linked',
  legalComments: 'linked',
  logLevel: 'warning',
});
