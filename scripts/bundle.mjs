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
import { build } from 'esbuild';
import { chmodSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'bin');
const outfile = join(outdir, 'ts-tcpaccept.cjs');
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
  logLevel: 'warning',
});
// The entry keeps cli/main.ts's #! line; npm sets the mode on install, this is for a checkout.
chmodSync(outfile, 0o755);
