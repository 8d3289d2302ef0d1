// The command users run is the esbuild bundle (package.json's bin, scripts/bundle.mjs), while
// most tests drive dist/cli/main.js. These check that the two are the same program: same help,
// same programs for the kernel, the same row for a real accept, prom-client still lazy.
import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelTest } from '../helpers/kernel.ts';
import { binPath, cliPath, connectOnce, runCli, startServer, startTracer } from '../helpers/processes.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string>; files: string[] };

t.test('package.json runs the bundle, which is built, executable and shipped', async (t) => {
  t.equal(join(root, manifest.bin['ts-tcpaccept']!), binPath);
  t.ok(manifest.files.includes('dist/bin'), 'dist/bin is in the package files');
  t.match(readFileSync(binPath, 'utf8'), /^#!\/usr\/bin\/env node\n/, 'starts with #!/usr/bin/env node');
  t.ok((statSync(binPath).mode & 0o111) !== 0, 'executable');
});

t.test('prom-client is imported only by the --metrics chunk', async (t) => {
  const dir = dirname(binPath);
  const importsPromClient = (file: string) => /\bfrom\s*["']prom-client["']|import\(\s*["']prom-client["']\s*\)/.test(readFileSync(join(dir, file), 'utf8'));
  t.notOk(importsPromClient('main.js'), 'the entry does not import prom-client');
  const chunks = readdirSync(dir).filter((f) => f !== 'main.js' && f.endsWith('.js'));
  t.ok(chunks.some(importsPromClient), `a chunk does (${chunks.join(', ')})`);
});

t.test('the same help and usage errors as dist/cli/main.js', async (t) => {
  for (const args of [['--help'], ['--no-such-flag'], ['-P', 'http']]) {
    const [bundled, plain] = await Promise.all([runCli(args, {}, 30_000, binPath), runCli(args, {}, 30_000, cliPath)]);
    t.same(bundled, plain, args.join(' '));
  }
});

t.test('kernel: the same --ebpf listing, and a real accept gives the server PID and COMM', kernelTest(), async (t) => {
  const [bundled, plain] = await Promise.all([runCli(['--ebpf', '-q'], {}, 30_000, binPath), runCli(['--ebpf', '-q'], {}, 30_000, cliPath)]);
  t.equal(bundled.code, 0, bundled.stderr);
  t.equal(bundled.stdout, plain.stdout, '--ebpf -q prints the same programs');
  const server = await startServer({ family: 4, count: 1, comm: 'bundle-srv' });
  t.teardown(() => server.kill());
  const tracer = startTracer(['-P', String(server.port)], {}, binPath);
  await tracer.ready;
  const { localPort } = await connectOnce('127.0.0.1', server.port);
  const row = await tracer.stdout.waitFor((l) => l.includes(` ${localPort} `), 5000, 'the row');
  t.match(row, new RegExp(`^${server.pid}\\s+bundle-srv\\s+4\\s+127\\.0\\.0\\.1\\s+${localPort} 127\\.0\\.0\\.1\\s+${server.port}$`));
  t.equal(await tracer.stop(), 0);
});
