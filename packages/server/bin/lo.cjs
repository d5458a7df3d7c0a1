#!/usr/bin/env node
'use strict';
// The `lo` command. Runs the bundled server (bundle/lo.cjs, built by scripts/bundle.mjs) through a V8
// code cache: compiling the ~1.7 MB bundle took ~130 ms of every start, about a quarter of the 500 ms
// budget for `lo serve` to be ready (DESIGN section 10). A run without a usable cache writes one when it
// exits (`npm run build` makes the first by running `lo --version`); later runs reuse it.
// V8 refuses a cache made for other source or another V8, and then a fresh one is written.
// (Node 22 has module.enableCompileCache() for this; Lo also supports Node 20.)
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');
const { createHash } = require('node:crypto');

const bundle = path.join(__dirname, '..', 'bundle', 'lo.cjs');
let source;
try {
  source = fs.readFileSync(bundle, 'utf8');
} catch {
  console.error(`lo: ${bundle} is missing; run \`npm run build\` first`);
  process.exit(1);
}
const tag = createHash('sha256').update(source).update(process.version).digest('hex').slice(0, 16);
const cacheFiles = [path.join(__dirname, '..', 'bundle', `.lo-${tag}.v8cache`), path.join(os.tmpdir(), `lo-${tag}.v8cache`)];

let cachedData;
for (const file of cacheFiles) {
  try {
    cachedData = fs.readFileSync(file);
    break;
  } catch {
    // not cached there
  }
}

const script = new vm.Script(Module.wrap(source.replace(/^#!.*/, '')), { filename: bundle, cachedData });
const module_ = new Module(bundle, module);
module_.filename = bundle;
module_.paths = Module._nodeModulePaths(path.dirname(bundle));
const require_ = (id) => module_.require(id);
script.runInThisContext().call(module_.exports, module_.exports, require_, module_, bundle, path.dirname(bundle));

if (cachedData === undefined || script.cachedDataRejected) {
  // Written at exit, so the cache holds every function this run compiled.
  process.once('exit', () => {
    const data = script.createCachedData();
    for (const file of cacheFiles) {
      try {
        fs.writeFileSync(file, data);
        return;
      } catch {
        // not writable here: try the next place
      }
    }
  });
}
