// The command users run, dist/bin/ts-tcpaccept.cjs: cli/main.ts and everything it imports
// bundled by esbuild into one CommonJS file. Node then reads one file instead of ~40 and skips
// its ES module loader (which alone loads fs/promises, readline and the stream modules):
// spawn to header ~126 ms unbundled, ~104 ms as one ES module, ~98 ms as this
// (bench/startup.ts). The library (dist/src) stays unbundled ES modules for
// `import … from 'ts-tcpaccept'`, and the tests run both.
//
// Left out of the bundle: koffi and ffi-napi (native addons, loaded with require() from
// node_modules) and prom-client, which --metrics alone needs: cli/metrics.ts is imported
// dynamically, so esbuild wraps it in a lazy initialiser and prom-client is required only
// when that runs. yaml and bcryptjs likewise: only --web-config (cli/web-config.ts) needs them.
//
// The bin itself (dist/bin/ts-tcpaccept.cjs) is scripts/bin-stub.cjs: it runs the bundle
// (dist/bin/ts-tcpaccept-main.cjs) from a V8 code cache (…main.cjs.v8cache) made here by running
// the CLI once (--ebpf: BTF, tracefs, the assembler; --help where this machine cannot), and
// compiles it as usual when V8 rejects the cache (another Node) or it is missing.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, chmodSync, copyFileSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'bin');
const outfile = join(outdir, 'ts-tcpaccept-main.cjs');
const binfile = join(outdir, 'ts-tcpaccept.cjs');
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'cli', 'main.ts')],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile,
  external: ['koffi', '@2060.io/*', 'prom-client', 'yaml', 'bcryptjs'],
  // import.meta does not exist in CommonJS: give the sources the file URL of the bundle.
  define: { 'import.meta.url': 'importMetaUrl' },
  inject: [join(root, 'scripts', 'import-meta-url-shim.js')],
  // import() becomes require() inside a promise: a function compiled from the V8 code cache
  // has no dynamic import callback ("A dynamic import callback was not specified"), and the
  // externals it loads (node: builtins, bcryptjs) all have CommonJS entries.
  supported: { 'dynamic-import': false },
  logLevel: 'warning',
});
// The bundle names its own SHA-1 on its last line: the bin checks the cache against it
// without hashing 400 KB (and loading node:crypto) at every start.
appendFileSync(outfile, `//# bundle-sha1=${createHash('sha1').update(readFileSync(outfile)).digest('hex')}\n`);
copyFileSync(join(root, 'scripts', 'bin-stub.cjs'), binfile);
// npm sets the mode on install; this is for a checkout.
chmodSync(binfile, 0o755);
const env = { ...process.env, TS_TCPACCEPT_WRITE_CODE_CACHE: '1' };
delete env.NODE_OPTIONS; // V8 rejects a cache made under other flags
for (const args of [['--ebpf'], ['--help']]) {
  const run = spawnSync(process.execPath, [binfile, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 60_000 });
  if (run.status === 0) break;
}
