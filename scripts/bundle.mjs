// The command users run, dist/bin/main.js: cli/main.ts and everything it imports bundled into
// one ES module by esbuild. Node then reads and links one file instead of ~40, which takes
// ~20 ms off every start (bench/startup.ts: spawn to header). The library (dist/src) stays
// unbundled for `import … from 'ts-tcpaccept'`, and the tests run both.
//
// Left out of the bundle: koffi and ffi-napi (native addons, loaded with require() from
// node_modules) and prom-client. --metrics imports cli/metrics.ts dynamically; with `splitting`
// that module becomes its own chunk, so prom-client is still loaded only with --metrics.
import { build } from 'esbuild';
import { chmodSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'bin');
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'cli', 'main.ts')],
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outdir,
  chunkNames: 'chunk-[hash]',
  external: ['koffi', '@2060.io/*', 'prom-client'],
  logLevel: 'warning',
});
// The entry keeps cli/main.ts's #! line; npm sets the mode on install, this is for a checkout.
chmodSync(join(outdir, 'main.js'), 0o755);
