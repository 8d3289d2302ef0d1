// The command users run is the esbuild bundle (package.json's bin, scripts/bundle.mjs), while
// most tests drive dist/cli/main.js. These check that the two are the same program: same help,
// same programs for the kernel, the same row for a real accept, prom-client still lazy.
import t from 'tap';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelTest } from '../helpers/kernel.ts';
import { binPath, cliPath, connectOnce, runCli, startServer, startTracer } from '../helpers/processes.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string>; files: string[] };

t.test('package.json runs the bundle, which is built, executable and shipped', async (t) => {
  t.equal(join(root, manifest.bin['ts-tcpaccept']!), binPath);
  t.match(binPath, /\.cjs$/, 'CommonJS (the package is "type": "module")');
  t.ok(manifest.files.includes('dist/bin'), 'dist/bin is in the package files');
  t.match(readFileSync(binPath, 'utf8'), /^#!\/usr\/bin\/env node\n/, 'starts with #!/usr/bin/env node');
  t.ok((statSync(binPath).mode & 0o111) !== 0, 'executable');
});

const reportPromClient = join(root, 'test', 'cli', 'fixtures', 'report-prom-client.cjs');

t.test('prom-client is not loaded by a run without --metrics', async (t) => {
  const run = await runCli(['--help'], { NODE_OPTIONS: `--require ${reportPromClient}` }, 30_000, binPath);
  t.equal(run.code, 0);
  t.match(run.stderr, /prom-client loaded: false/, 'the whole bundle was evaluated without requiring prom-client');
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

t.test('kernel: --metrics through the bundle loads prom-client and serves the package version', kernelTest(), async (t) => {
  const tracer = startTracer(['--metrics', '127.0.0.1:0', '--quiet'], { NODE_OPTIONS: `--require ${reportPromClient}` }, binPath);
  const line = await tracer.stderr.waitFor((l) => l.includes('serving Prometheus metrics at'), 10_000, 'the metrics URL');
  const url = /(http:\/\/\S+)/.exec(line)![1]!;
  const page = await (await fetch(url)).text();
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  t.match(page, new RegExp(`tcpaccept_build_info\\{version="${version.replace(/\./g, '\\.')}"`), 'build info carries the version from package.json');
  t.equal(await tracer.stop(), 0);
  t.match(tracer.stderr.lines.join('\n'), /prom-client loaded: true/, 'the positive control: the preload sees prom-client when it is used');
});
