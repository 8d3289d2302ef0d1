// A kernel or host that is missing something: no privileges, tracefs absent or wrong, a
// tracepoint missing, BTF missing or garbage, the open-file limit reached at each step of
// start-up. Each must give one line a person can act on and exit 1 (or, for BTF, fall back to
// --handshake with a notice and work), and leave no tcpaccept_* program or map loaded.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelTest } from '../helpers/kernel.ts';
import { cliPath, connectOnce, runCli, startServer, startTracer } from '../helpers/processes.ts';
import { locateTracefs } from '../../src/syscalls/index.ts';
import { withoutTapHook, leftovers, snapshot } from './helpers.ts';

const here = dirname(fileURLToPath(import.meta.url));

/** Exactly one line on stderr, starting with the program name; no stack trace. */
function oneLine(t: Test, stderr: string, pattern: RegExp): void {
  const lines = stderr.trimEnd().split('\n');
  t.equal(lines.length, 1, `one line: ${stderr.trimEnd()}`);
  t.match(lines[0], /^ts-tcpaccept: /);
  t.match(lines[0], pattern);
}

/** A tracefs root holding copies of the id and format files of the given tracepoints only. */
function fakeTracefs(t: Test, tracepoints: Array<[group: string, event: string]>): string {
  const real = locateTracefs();
  const root = mkdtempSync(join(tmpdir(), 'tcpaccept-tracefs-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  for (const [group, event] of tracepoints) {
    const dir = join(root, 'events', group, event);
    mkdirSync(dir, { recursive: true });
    // Not copyFileSync: tracefs files report a size of 0, so a copy by size would be empty.
    for (const file of ['id', 'format']) writeFileSync(join(dir, file), readFileSync(join(real, 'events', group, event, file)));
  }
  mkdirSync(join(root, 'events'), { recursive: true });
  return root;
}

t.test('tracefs absent, empty or not a directory: one line naming the root, exit 1', kernelTest(), async (t) => {
  const empty = mkdtempSync(join(tmpdir(), 'tcpaccept-empty-'));
  t.teardown(() => rmSync(empty, { recursive: true, force: true }));
  const before = snapshot();
  for (const root of ['/nonexistent', empty, '/etc/passwd']) {
    for (const args of [['-P', '1'], ['--handshake', '-P', '1'], ['--ebpf']]) {
      const { code, stdout, stderr } = await runCli(args, { TS_TCPACCEPT_TRACEFS: root });
      t.equal(code, 1, `TS_TCPACCEPT_TRACEFS=${root} ${args.join(' ')}: exit 1`);
      t.equal(stdout, '');
      oneLine(t, stderr, new RegExp(`${root.replace(/[/.]/g, '\\$&')} is not a tracefs root \\(it has no events/ directory\\)`));
    }
  }
  t.same(await leftovers(before), { progs: [], maps: [] }, 'nothing was loaded');
});

t.test('a tracepoint missing from tracefs: exit 1 naming it; --handshake still works without it', kernelTest(), async (t) => {
  const before = snapshot();
  const withoutAccept4 = fakeTracefs(t, [
    ['syscalls', 'sys_exit_accept'],
    ['sock', 'inet_sock_set_state'],
  ]);
  for (const args of [
    ['-P', '1'],
    ['-q', '-P', '1'],
    ['--json', '-P', '1'],
  ]) {
    const { code, stderr } = await runCli(args, { TS_TCPACCEPT_TRACEFS: withoutAccept4 });
    t.equal(code, 1, `${args.join(' ')}: exit 1`);
    oneLine(t, stderr, /tracepoint syscalls:sys_exit_accept4 not found/);
  }
  const withoutSetState = fakeTracefs(t, [
    ['syscalls', 'sys_exit_accept4'],
    ['syscalls', 'sys_exit_accept'],
  ]);
  const q = await runCli(['-q', '-P', '1'], { TS_TCPACCEPT_TRACEFS: withoutSetState });
  t.equal(q.code, 1, '-q needs sock:inet_sock_set_state');
  oneLine(t, q.stderr, /tracepoint sock:inet_sock_set_state not found/);
  t.same(await leftovers(before), { progs: [], maps: [] }, 'a failed start-up leaves nothing loaded');

  // The ids in the copies are the real ones, so the handshake program attaches for real.
  const server = await startServer({ family: 4, count: 1, comm: 'fake-tfs' });
  t.teardown(() => server.kill());
  const tracer = startTracer(['--handshake', '-P', String(server.port)], { TS_TCPACCEPT_TRACEFS: withoutAccept4 });
  t.teardown(() => tracer.stop('SIGKILL'));
  await tracer.ready;
  await connectOnce('127.0.0.1', server.port);
  const row = await tracer.stdout.waitFor((l) => l.includes(String(server.port)) && !/PID/.test(l), 5000, 'a row');
  t.match(row, new RegExp(`^${server.pid}\\s+fake-tfs\\s`));
  t.equal(await tracer.stop(), 0);
});

t.test('a corrupt format file: exit 1 with a ParseError naming the file, nothing loaded', kernelTest(), async (t) => {
  const before = snapshot();
  const root = fakeTracefs(t, [
    ['syscalls', 'sys_exit_accept4'],
    ['syscalls', 'sys_exit_accept'],
    ['sock', 'inet_sock_set_state'],
  ]);
  writeFileSync(
    join(root, 'events', 'syscalls', 'sys_exit_accept4', 'format'),
    'name: sys_exit_accept4\nID: 1\nformat:\n\tfield:long ret;\toffset:sixteen;\tsize:8;\tsigned:1;\n',
  );
  const { code, stderr } = await runCli(['-P', '1'], { TS_TCPACCEPT_TRACEFS: root });
  t.equal(code, 1);
  oneLine(t, stderr, /tracepoint syscalls:sys_exit_accept4 format: line 4 has a offset that is not a small decimal number/);
  t.same(await leftovers(before), { progs: [], maps: [] });
});

t.test('BTF missing or not BTF: a one-line notice, then --handshake mode works end to end', kernelTest(), async (t) => {
  for (const btf of ['/nonexistent', '/etc/passwd']) {
    const server = await startServer({ family: 4, count: 2, comm: 'no-btf-srv' });
    t.teardown(() => server.kill());
    const before = snapshot();
    const tracer = startTracer(['-P', String(server.port)], { TS_TCPACCEPT_BTF: btf });
    t.teardown(() => tracer.stop('SIGKILL'));
    await tracer.ready;
    const notices = tracer.stderr.lines.filter((l) => l.startsWith('ts-tcpaccept:'));
    t.equal(notices.length, 1, `one notice for TS_TCPACCEPT_BTF=${btf}`);
    t.match(notices[0], /kernel BTF is not readable .*falling back to --handshake mode/);
    t.match(notices[0], btf, 'the notice names the path');
    const { localPort } = await connectOnce('127.0.0.1', server.port);
    const row = await tracer.stdout.waitFor((l) => l.includes(` ${localPort} `), 5000, 'the row');
    t.match(
      row,
      new RegExp(`^${server.pid}\\s+no-btf-srv\\s+4\\s+127\\.0\\.0\\.1\\s+${localPort} 127\\.0\\.0\\.1\\s+${server.port}$`),
      'server PID/COMM from the listener owner',
    );
    t.equal(await tracer.stop(), 0);
    t.same(await leftovers(before), { progs: [], maps: [] });
  }
});

t.test('open-file limit reached at each step of start-up: one line, exit 1, nothing leaked', kernelTest(), async (t) => {
  const preload = join(here, 'fixtures', 'lower-nofile.mjs');
  const before = snapshot();
  const failures = new Set<string>();
  let started = false;
  // Headroom n lets the CLI open exactly n more descriptors: -q needs maps, two programs and
  // perf events on three tracepoints, so the sweep meets EMFILE at each of them in turn.
  for (let headroom = 0; headroom <= 24 && !started; headroom++) {
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const [command, commandArgs] = withoutTapHook(process.execPath, ['--import', preload, cliPath, '-q', '-P', '1', '--duration', '0.2']);
      const child = spawn(command, commandArgs, {
        env: { ...process.env, TS_TCPACCEPT_TEST_FD_HEADROOM: String(headroom) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    if (result.code === 0) {
      started = true;
      t.match(result.stdout, /^PID\s+COMM/, `starts with ${headroom} descriptors to spare`);
      break;
    }
    t.equal(result.code, 1, `headroom ${headroom}: exit 1`);
    oneLine(t, result.stderr, /EMFILE|too many open files/);
    t.match(result.stderr, /ulimit -n/, 'says how to fix it');
    failures.add(
      result.stderr
        .replace(/^ts-tcpaccept: /, '')
        .split(' failed')[0]!
        .split(' (')[0]!,
    );
  }
  t.ok(started, 'the sweep ends with a successful start');
  t.ok(failures.size >= 4, `failed cleanly at ${failures.size} different steps: ${[...failures].join('; ')}`);
  t.same(await leftovers(before), { progs: [], maps: [] }, 'no program or map left loaded by any attempt');
});

/**
 * Lets `nobody` reach the checkout for the length of a test: CI clones into a private (0700)
 * temporary directory, which another uid cannot traverse. Adds only the search bit (o+x) to the
 * ancestors that lack it, and puts every mode back afterwards.
 */
function letOthersTraverse(t: Test, path: string): void {
  const restore: Array<[string, number]> = [];
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    const mode = statSync(dir).mode & 0o7777;
    if ((mode & 0o001) === 0) {
      restore.push([dir, mode]);
      chmodSync(dir, mode | 0o001);
    }
    if (dir === dirname(dir)) break;
  }
  t.teardown(() => {
    for (const [dir, mode] of restore) chmodSync(dir, mode);
  });
}

t.test('not root: nobody, and nobody with only CAP_BPF + CAP_PERFMON, get a clear line and exit 1', kernelTest(), async (t) => {
  letOthersTraverse(t, cliPath);
  const before = snapshot();
  const asNobody = (caps: string, args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const capArgs = caps === '' ? ['--inh-caps=-all'] : [`--inh-caps=${caps}`, `--ambient-caps=${caps}`];
      const [command, commandArgs] = withoutTapHook('setpriv', [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        ...capArgs,
        process.execPath,
        cliPath,
        ...args,
      ]);
      const child = spawn(command, commandArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  for (const args of [['--handshake'], ['-q', '--json'], ['--duration', '1']]) {
    const r = await asNobody('', args);
    t.equal(r.code, 1, `nobody ${args.join(' ')}: exit 1`);
    t.equal(r.stdout, '');
    oneLine(t, r.stderr, /needs root, or the capabilities CAP_BPF and CAP_PERFMON/);
  }
  // tracefs is mode 0700: CAP_BPF + CAP_PERFMON pass the capability check but cannot read it.
  const r = await asNobody('+bpf,+perfmon', ['-P', '1', '--duration', '0.5']);
  t.equal(r.code, 1, 'CAP_BPF + CAP_PERFMON alone: exit 1');
  oneLine(t, r.stderr, /cannot read \/sys\/kernel\/(debug\/)?tracing \(EACCES\) — run as root, or grant CAP_DAC_READ_SEARCH too/);
  const ok = await asNobody('+bpf,+perfmon,+dac_read_search', ['-P', '1', '--duration', '0.5']);
  t.equal(ok.code, 0, 'CAP_BPF + CAP_PERFMON + CAP_DAC_READ_SEARCH: runs');
  t.match(ok.stdout, /^PID\s+COMM/);
  t.same(await leftovers(before), { progs: [], maps: [] });
});
