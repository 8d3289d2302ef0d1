#!/usr/bin/env node
// ts-tcpaccept's bin: runs the esbuild bundle of the CLI (ts-tcpaccept-main.cjs, next to this
// file) from a V8 code cache made at build time (scripts/bundle.mjs), so V8 deserialises the
// bytecode of the start-up path instead of parsing and compiling it at every start.
//
// The cache is used only when it was made for this bundle (its first 20 bytes are the SHA-1
// the bundle's last line names) and V8 accepts it (same V8 version and flags; script.cachedDataRejected says
// otherwise): in every other case, on another Node, or without the file, the bundle is compiled
// as require() would. Never written at run time: a cache a tool running as root loaded from a
// writable place would be code anyone could plant.
'use strict';
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const Module = require('node:module');

const file = join(__dirname, 'ts-tcpaccept-main.cjs');
const cacheFile = `${file}.v8cache`;
const writeCache = process.env.TS_TCPACCEPT_WRITE_CODE_CACHE === '1';

function run() {
  const vm = require('node:vm');
  let source = readFileSync(file, 'utf8');
  // The bundle keeps cli/main.ts's #! line, which is only valid at the very start of a script.
  if (source.startsWith('#!')) source = `//${source.slice(2)}`;
  // The bundle's SHA-1, appended by scripts/bundle.mjs as its last line. Read, not computed:
  // loading node:crypto for it cost ~3 MB of RSS at start and ~9 MB of peak RSS in a storm.
  const trailer = /\/\/# bundle-sha1=([0-9a-f]{40})\s*$/.exec(source.slice(-80));
  if (trailer === null) return false;
  const hash = Buffer.from(trailer[1], 'hex');
  let cachedData;
  if (!writeCache) {
    try {
      const cache = readFileSync(cacheFile);
      if (cache.length > 20 && hash.equals(cache.subarray(0, 20))) cachedData = cache.subarray(20);
    } catch {
      // No cache: compile.
    }
    if (cachedData === undefined) return false;
  }
  // Rejected (another V8, other flags), the script is compiled from source as require() would.
  // The bundle has no import(): scripts/bundle.mjs turns them into require().
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData });
  const bundle = new Module(file, module);
  bundle.filename = file;
  bundle.paths = Module._nodeModulePaths(__dirname);
  if (writeCache) {
    // scripts/bundle.mjs runs the CLI once with this set: the cache then holds every function
    // that run compiled, not only the top level.
    process.once('exit', () => {
      require('node:fs').writeFileSync(cacheFile, Buffer.concat([hash, script.createCachedData()]));
    });
  }
  script.runInThisContext().call(bundle.exports, bundle.exports, Module.createRequire(file), bundle, file, __dirname);
  return true;
}

if (!run()) require(file);
