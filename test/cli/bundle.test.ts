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
  const [bundled, plain] = await Promise.all([
    runCli(['--ebpf', '-q'], {}, 30_000, binPath),
    runCli(['--ebpf', '-q'], {}, 30_000, cliPath),
  ]);
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
  t.match(
    page,
    new RegExp(`tcpaccept_build_info\\{version="${version.replace(/\./g, '\\.')}"`),
    'build info carries the version from package.json',
  );
  t.equal(await tracer.stop(), 0);
  t.match(tracer.stderr.lines.join('\n'), /prom-client loaded: true/, 'the positive control: the preload sees prom-client when it is used');
});

t.test('the bin runs the bundle the same way when its V8 code cache is rejected, stale or missing', async (t) => {
  const { cpSync, mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { spawnSync } = await import('node:child_process');
  const cache = join(dirname(binPath), 'ts-tcpaccept-main.cjs.v8cache');
  t.ok(statSync(cache).size > 1000, 'npm run build made the code cache');
  const help = (bin: string, flags: string[] = []) =>
    spawnSync(process.execPath, [...flags, bin, '--help'], { encoding: 'utf8', cwd: root });
  const expected = help(binPath);
  t.equal(expected.status, 0);
  // V8 checks its version and flags: other flags stand in for another Node here.
  const otherFlags = help(binPath, ['--no-opt']);
  t.same(
    [otherFlags.status, otherFlags.stdout, otherFlags.stderr],
    [0, expected.stdout, expected.stderr],
    'V8 rejects the cache (other flags): compiled from source, same output',
  );
  const dir = mkdtempSync(join(tmpdir(), 'bin-cache-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // A copy of dist/bin elsewhere: --help loads no addon, so it needs no node_modules.
  cpSync(dirname(binPath), dir, { recursive: true });
  const copy = join(dir, 'ts-tcpaccept.cjs');
  const bytes = readFileSync(cache);
  writeFileSync(join(dir, 'ts-tcpaccept-main.cjs.v8cache'), Buffer.concat([bytes.subarray(0, 20), Buffer.alloc(bytes.length - 20, 0x5a)]));
  const garbage = help(copy);
  t.same(
    [garbage.status, garbage.stdout, garbage.stderr],
    [0, expected.stdout, expected.stderr],
    'a corrupt cache (right hash, garbage data) is rejected by V8: same output',
  );
  writeFileSync(join(dir, 'ts-tcpaccept-main.cjs.v8cache'), Buffer.concat([Buffer.alloc(20), bytes.subarray(20)]));
  const stale = help(copy);
  t.same(
    [stale.status, stale.stdout, stale.stderr],
    [0, expected.stdout, expected.stderr],
    'a cache made for other bytes (hash differs) is not used: same output',
  );
  rmSync(join(dir, 'ts-tcpaccept-main.cjs.v8cache'));
  const missing = help(copy);
  t.same([missing.status, missing.stdout, missing.stderr], [0, expected.stdout, expected.stderr], 'no cache: plain require(), same output');
});
