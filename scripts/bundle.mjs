#!/usr/bin/env node
// Bundles the server and its pure-JS dependencies into packages/server/bundle/lo.cjs, which the `lo`
// command (packages/server/bin/lo.cjs) runs through a V8 code cache. Loading one compiled file instead of
// ~1,500 modules is what gets `lo serve` ready within the 500 ms of DESIGN section 10. CommonJS, because
// V8's code cache is reachable from node:vm for scripts but not for ES modules on Node 20. Native addons
// stay external and load from node_modules, and so does the histogram library of `lo bench` (with its
// inlined WebAssembly), which only that command loads: `lo serve` does not pay for it.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const outdir = path.join(root, 'packages/server/bundle');

fs.rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { lo: path.join(root, 'packages/server/src/cli/main.ts') },
  outdir,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  minify: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  conditions: ['lo-source'],
  external: ['better-sqlite3', '@node-rs/argon2', 'hdr-histogram-js'],
  // The sources are ES modules: give them an import.meta.url that names the bundle.
  define: { 'import.meta.url': '__loBundleUrl' },
  banner: { js: "const __loBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  sourcemap: 'linked',
  legalComments: 'linked',
  logLevel: 'warning',
});
