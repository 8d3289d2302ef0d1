// The kernel matrix's policy: its arguments, the test set, the guest command and environment,
// Debian kernel package selection, and the per-kernel verdict. Pure; no QEMU, no apt.
import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { compareVersions, newestKernelPackage, parseKernelPackage } from './kernels.ts';
import {
  DEFAULT_CACHE_DIR,
  EXCLUDED_SUBTESTS,
  KERNEL_TEST_FILES,
  countFilteredOut,
  formatDuration,
  guestEnvironment,
  guestJobs,
  parseRunnerArgs,
  parseTapCounts,
  summaryLine,
  tapCommand,
  verdict,
  type KernelRun,
} from './plan.ts';

const repo = join(import.meta.dirname, '..', '..');

t.test('parseRunnerArgs: defaults, repeated and comma-separated kernels, --flag=value', async (t) => {
  const defaults = parseRunnerArgs([]);
  t.same(defaults.series, ['6.1', '6.12']);
  t.same(defaults.files, KERNEL_TEST_FILES);
  t.equal(defaults.cacheDir, DEFAULT_CACHE_DIR);
  t.equal(defaults.build, true);
  t.equal(defaults.command, undefined);
  const o = parseRunnerArgs([
    '--kernel',
    '6.12',
    '--kernel=6.1,6.12',
    '--file',
    'test/e2e/cli.test.ts',
    '--no-build',
    '--accel',
    'tcg',
    '--timeout=9',
    '--memory',
    '3072',
  ]);
  t.same(o.series, ['6.12', '6.1']);
  t.same(o.files, ['test/e2e/cli.test.ts']);
  t.same([o.build, o.accelerator, o.timeoutMinutes, o.memoryMiB], [false, 'tcg', 9, 3072]);
  t.equal(parseRunnerArgs([], { TS_TCPACCEPT_KERNEL_CACHE: '/srv/k' }).cacheDir, '/srv/k');
  t.equal(parseRunnerArgs(['--command', 'uname -r']).command, 'uname -r');
});

t.test('parseRunnerArgs: bad input is one clear message', async (t) => {
  t.throws(() => parseRunnerArgs(['--kernel', 'latest']), /--kernel takes a series like 6\.1/);
  t.throws(() => parseRunnerArgs(['--kernel']), /--kernel needs a value/);
  t.throws(() => parseRunnerArgs(['--accel', 'hvf']), /--accel takes kvm or tcg/);
  t.throws(() => parseRunnerArgs(['--cpus', '0']), /--cpus needs a positive integer/);
  t.throws(() => parseRunnerArgs(['--frobnicate']), /unknown argument "--frobnicate"/);
});

t.test('the default test set exists and is kernel-facing only', async (t) => {
  for (const file of KERNEL_TEST_FILES) t.ok(existsSync(join(repo, file)), `${file} exists`);
  t.notOk(
    KERNEL_TEST_FILES.some((f) => f.startsWith('test/vm/') || f.startsWith('test/asm/')),
    'no pure suite in the guest',
  );
  t.ok(KERNEL_TEST_FILES.includes('test/e2e/cli.test.ts') && KERNEL_TEST_FILES.includes('test/hardening/exits.test.ts'));
});

t.test('tapCommand: tap with the TAP reporter on the listed files; odd paths refused', async (t) => {
  const command = tapCommand(['test/e2e/cli.test.ts', 'test/probe/tracer.test.ts']);
  t.match(
    command,
    /node node_modules\/tap\/dist\/esm\/run\.mjs --reporter=tap --no-color test\/e2e\/cli\.test\.ts test\/probe\/tracer\.test\.ts$/,
  );
  t.match(command, /^echo "# kernel \$\(uname -r\)/, 'the log says which kernel it came from');
  t.ok(existsSync(join(repo, 'node_modules', 'tap', 'dist', 'esm', 'run.mjs')), "tap's entry point is where the command says");
  t.throws(() => tapCommand(['test/x.test.ts; rm -rf /']), /characters the guest command cannot take/);
});

t.test('excluded subtests: an exact-name negative --grep, counted apart from skips', async (t) => {
  const command = tapCommand(['test/e2e/cli.test.ts'], ['bad input: one clear line', "it's (odd)?"]);
  const grep = /--grep='(.*)' test\//.exec(command.replace(/'\\''/g, "'"));
  t.ok(grep, 'the pattern is one quoted word');
  const pattern = new RegExp(grep![1]!);
  t.notOk(pattern.test('bad input: one clear line'), 'an excluded name does not match');
  t.notOk(pattern.test("it's (odd)?"), 'regex characters in a name are literal');
  t.ok(pattern.test('bad input: one clear line, and more'), 'only the exact name is excluded');
  t.ok(pattern.test('IPv4 and IPv6: one line per accept'));
  t.ok(EXCLUDED_SUBTESTS.length > 0 && EXCLUDED_SUBTESTS.every((name) => name.length > 10));
  const tap = [
    '    ok 7 - bad input: one clear line # SKIP filter: /^(?!(?:bad input)$)/',
    '    ok 8 - something # SKIP not root',
    '    ok 9 - fine',
  ].join('\n');
  t.equal(countFilteredOut(tap), 1, 'only filter skips are exclusions');
});

t.test('guestEnvironment: node first, system PATH, kernel tests required', async (t) => {
  const env = guestEnvironment('/opt/node/bin/node');
  t.equal(env.PATH, '/opt/node/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  t.equal(guestEnvironment('/usr/bin/node').PATH, '/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/sbin:/bin', 'no directory twice');
  t.equal(env.TS_TCPACCEPT_REQUIRE_BPF, '1');
  t.equal(guestEnvironment('/usr/bin/node', { X: 'y' }).X, 'y');
});

t.test('Debian kernel packages: generic flavour only, newest by number', async (t) => {
  t.same(parseKernelPackage('linux-image-6.1.0-57-amd64-unsigned'), {
    name: 'linux-image-6.1.0-57-amd64-unsigned',
    series: '6.1',
    version: [6, 1, 0, 57],
  });
  t.same(parseKernelPackage('linux-image-6.12.117+deb12-amd64-unsigned')?.version, [6, 12, 117]);
  t.equal(parseKernelPackage('linux-image-6.1.0-57-cloud-amd64-unsigned'), undefined, 'cloud has no 9p');
  t.equal(parseKernelPackage('linux-image-6.12.117+deb12-rt-amd64-unsigned'), undefined);
  t.equal(parseKernelPackage('linux-image-6.1.0-57-amd64'), undefined, 'the signed image is not what we unpack');
  t.equal(parseKernelPackage('linux-headers-6.1.0-57-amd64'), undefined);
  const names = [
    'linux-image-6.1.0-9-amd64-unsigned',
    'linux-image-6.1.0-57-amd64-unsigned',
    'linux-image-6.1.0-47-amd64-unsigned',
    'linux-image-6.1.0-58-cloud-amd64-unsigned',
    'linux-image-6.12.9+deb12-amd64-unsigned',
    'linux-image-6.12.117+deb12-amd64-unsigned',
    'linux-image-6.12.111+deb12-amd64-unsigned',
    'linux-image-amd64',
  ];
  t.equal(newestKernelPackage(names, '6.1')?.name, 'linux-image-6.1.0-57-amd64-unsigned', '57 > 47 > 9, numerically');
  t.equal(newestKernelPackage(names, '6.12')?.name, 'linux-image-6.12.117+deb12-amd64-unsigned');
  t.equal(newestKernelPackage(names, '5.10'), undefined);
  t.ok(compareVersions([6, 1, 0, 57], [6, 1, 0, 9]) > 0);
  t.ok(compareVersions([6, 12, 1], [6, 12, 1, 0]) < 0);
  t.equal(compareVersions([6, 1], [6, 1]), 0);
});

const run = (over: Partial<KernelRun>): KernelRun => ({
  series: '6.1',
  release: '6.1.0-57-amd64',
  accelerator: 'tcg',
  seconds: 425,
  exitStatus: 0,
  counts: { passed: 120, failed: 0, skipped: 0 },
  kernelFaults: [],
  ...over,
});

t.test('verdict: passes only on exit 0 with results, no failure, no skip, no kernel fault', async (t) => {
  t.same(verdict(run({}), true), { ok: true, reasons: [] });
  t.same(verdict(run({ counts: { passed: 119, failed: 0, skipped: 1 } }), true).reasons, ['1 skipped (a skip is a failure here)']);
  t.same(verdict(run({ counts: { passed: 118, failed: 2, skipped: 0 }, exitStatus: 1 }), true).reasons, [
    'guest command exited 1',
    '2 failed',
  ]);
  t.same(verdict(run({ exitStatus: undefined }), true).reasons, ['no exit status from the guest']);
  t.same(verdict(run({ counts: { passed: 0, failed: 0, skipped: 0 } }), true).reasons, ['no TAP results']);
  t.same(verdict(run({ kernelFaults: ['Oops: 0000 [#1]'] }), true).reasons, ['kernel fault: Oops: 0000 [#1]']);
  t.same(verdict(run({ error: 'timed out after 30 min', counts: undefined, exitStatus: undefined }), true).reasons, [
    'timed out after 30 min',
  ]);
  t.same(verdict(run({ counts: undefined }), false), { ok: true, reasons: [] }, 'a --command run needs no TAP');
});

t.test('summaryLine: one line per kernel with counts and wall time', async (t) => {
  t.equal(summaryLine(run({}), true), 'kernel 6.1 (6.1.0-57-amd64, tcg): PASS, 120 passed, 0 failed, 0 skipped, in 7m05s');
  t.equal(
    summaryLine(run({ counts: { passed: 100, failed: 3, skipped: 0 }, exitStatus: 1 }), true),
    'kernel 6.1 (6.1.0-57-amd64, tcg): FAIL, 100 passed, 3 failed, 0 skipped, in 7m05s (guest command exited 1; 3 failed)',
  );
  t.equal(
    summaryLine({ series: '6.12', seconds: 2, kernelFaults: [], error: 'apt knows no package' }, true),
    'kernel 6.12: FAIL, in 0m02s (apt knows no package)',
  );
  t.equal(
    summaryLine(run({ excluded: 1 }), true),
    'kernel 6.1 (6.1.0-57-amd64, tcg): PASS, 120 passed, 0 failed, 0 skipped (1 excluded), in 7m05s',
  );
  t.equal(formatDuration(59.6), '1m00s');
});

t.test('parseTapCounts reads count-tap.mjs output and refuses anything else', async (t) => {
  t.same(parseTapCounts('12 3 1\n'), { passed: 12, failed: 3, skipped: 1 });
  t.throws(() => parseTapCounts('12 3'), /unexpected count-tap output/);
});

t.test('guestJobs: one guest per host CPU, never more than kernels, at least one', async (t) => {
  t.equal(guestJobs(undefined, 2, 2), 2);
  t.equal(guestJobs(undefined, 8, 2), 2);
  t.equal(guestJobs(undefined, 1, 2), 1);
  t.equal(guestJobs(1, 2, 2), 1);
  t.equal(guestJobs(4, 2, 1), 1);
});
