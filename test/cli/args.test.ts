import t from 'tap';
import { parseArgs, UsageError, defaultOptions } from '../../cli/args.ts';

t.test('defaults', async (t) => {
  t.same(parseArgs([]), defaultOptions());
});

t.test('every flag, short and long', async (t) => {
  const o = parseArgs(['-T', '-t', '-p', '181', '-P', '80,443', '-4', '-q', '--duration', '2.5', '--ffi', 'ffi-napi']);
  t.equal(o.clockTime, true);
  t.equal(o.relativeTime, true);
  t.equal(o.pid, 181);
  t.same(o.ports, [80, 443]);
  t.equal(o.ipVersion, 4);
  t.equal(o.queueWait, true);
  t.equal(o.durationSeconds, 2.5);
  t.equal(o.ffi, 'ffi-napi');
  const l = parseArgs(['--time', '--timestamp', '--pid=7', '--port', '22', '--ipv6', '--queue-wait', '--handshake', '--ebpf']);
  t.same(
    [l.clockTime, l.relativeTime, l.pid, l.ports, l.ipVersion, l.queueWait, l.handshake, l.ebpf],
    [true, true, 7, [22], 6, true, true, true],
  );
  t.equal(parseArgs(['--help']).help, true);
  t.equal(parseArgs(['-h']).help, true);
});

t.test('--metrics ADDR:PORT: IPv4, host names, bracketed IPv6, port 0', async (t) => {
  t.same(parseArgs(['--metrics', '127.0.0.1:9100']).metrics, { host: '127.0.0.1', port: 9100 });
  t.same(parseArgs(['--metrics=0.0.0.0:0']).metrics, { host: '0.0.0.0', port: 0 });
  t.same(parseArgs(['--metrics', 'localhost:65535']).metrics, { host: 'localhost', port: 65535 });
  t.same(parseArgs(['--metrics', 'node-1.example.internal:9100']).metrics, { host: 'node-1.example.internal', port: 9100 });
  t.same(parseArgs(['--metrics', '[::1]:9100']).metrics, { host: '::1', port: 9100 });
  t.same(parseArgs(['--metrics', '[::]:0']).metrics, { host: '::', port: 0 });
  t.same(parseArgs(['--metrics', '[fe80::1%eth0]:9100']).metrics, { host: 'fe80::1%eth0', port: 9100 });
  t.equal(parseArgs([]).metrics, undefined);
});

t.test('--quiet with --metrics; --metrics does not turn on the QWAIT column', async (t) => {
  const o = parseArgs(['--metrics', '127.0.0.1:0', '--quiet']);
  t.equal(o.quiet, true);
  t.equal(o.queueWait, false, "the tracer measures the wait for the histogram; the table column stays -q's");
  t.equal(parseArgs(['--metrics', '127.0.0.1:0', '--json']).json, true, 'events and metrics together');
});

t.test('--cgroup keeps the path for main to resolve', async (t) => {
  t.equal(parseArgs(['--cgroup', '/sys/fs/cgroup/unified/x']).cgroupPath, '/sys/fs/cgroup/unified/x');
  t.equal(parseArgs(['--cgroup=/a b']).cgroupPath, '/a b');
  t.equal(parseArgs([]).cgroupPath, undefined);
});

t.test('--help mentions every long option', async (t) => {
  const { HELP } = await import('../../cli/args.ts');
  for (const flag of ['--metrics ADDR:PORT', '--quiet', '--cgroup PATH', '--json', '--handshake', '--ring-pages']) {
    t.ok(HELP.includes(flag), flag);
  }
});

t.test('usage and --help come from the one flag table: every flag in both, usage within 80 columns', async (t) => {
  const { HELP, USAGE } = await import('../../cli/args.ts');
  const longs = [...HELP.matchAll(/^ {2}(?:-(\S), )?--([a-z0-9-]+)/gm)].map((m) => [m[1], m[2]!] as const);
  t.ok(longs.length >= 29, `--help lists ${longs.length} flags`);
  for (const [short, long] of longs) {
    const spelled = long === 'ipv4' || long === 'ipv6' ? '[-4 | -6]' : short !== undefined ? `[-${short}` : `[--${long}`;
    t.ok(USAGE.includes(spelled), `usage has ${spelled}`);
  }
  t.ok(
    USAGE.split('\n').every((line) => line.length <= 80),
    'usage wraps at 80 columns',
  );
  t.ok(
    HELP.split('\n').every((line) => line.length <= 100),
    'help lines stay readable',
  );
});

t.test('--ring-pages', async (t) => {
  t.equal(parseArgs(['--ring-pages', '1']).ringPages, 1);
  t.equal(parseArgs(['--ring-pages=256']).ringPages, 256);
});

t.test('bundled short flags and attached values', async (t) => {
  const o = parseArgs(['-Ttq', '-p123', '-P8080']);
  t.same([o.clockTime, o.relativeTime, o.queueWait, o.pid, o.ports], [true, true, true, 123, [8080]]);
  t.equal(parseArgs(['-qp', '9']).pid, 9);
});

t.test('--json implies queue wait; duplicate ports collapse', async (t) => {
  t.equal(parseArgs(['--json']).queueWait, true);
  t.same(parseArgs(['-P', '80,80,81']).ports, [80, 81]);
});

const bad: Array<[string[], RegExp]> = [
  [['-p'], /-p needs a value/],
  [['-p', ''], /-p: expected a whole number/],
  [['-p', '-1'], /-p: expected a whole number/],
  [['-p', 'abc'], /-p: expected a whole number/],
  [['-p', '0'], /out of range/],
  [['-p', '99999999999999999999'], /out of range/],
  [['-p', '12.5'], /expected a whole number/],
  [['-p', '1', '-p', '2'], /-p was given more than once/],
  [['-P', ''], /empty value/],
  [['-P', '80,'], /empty port at position 2/],
  [['-P', '80,,81'], /empty port at position 2/],
  [['-P', ',80'], /empty port at position 1/],
  [['-P', '0'], /out of range \(1 to 65535\)/],
  [['-P', '65536'], /out of range/],
  [['-P', 'http'], /expected a whole number/],
  [['-P', '80 81'], /expected a whole number/],
  [['-4', '-6'], /-4 and -6 cannot be combined/],
  [['-46'], /-4 and -6 cannot be combined/],
  [['-4', '-4'], /-4 was given more than once/],
  [['--duration'], /needs a value/],
  [['--netns'], /--netns needs a value/],
  [['--netns', ''], /--netns: expected self or a network namespace file/],
  [['--cgroup', '/a', '--cgroup-exact', '/b'], /--cgroup and --cgroup-exact cannot be combined/],
  [['--cgroup-exact', '/a', '--handshake'], /--cgroup-exact cannot be combined with --handshake/],
  [['--cgroup-labels'], /--cgroup-labels adds fields to --json and labels to --metrics: it needs one of them/],
  [['--web-config', 'web.yml'], /--web-config sets up TLS and authentication for the metrics server: it needs --metrics/],
  [['--web-config', '', '--metrics', '127.0.0.1:0'], /--web-config: expected a file/],
  [['--self-test', '--netns', 'self'], /--self-test .* cannot be combined with --netns/],
  [['--duration', '0'], /out of range/],
  [['--duration', '-3'], /expected a positive number/],
  [['--duration', 'soon'], /expected a positive number/],
  [['--duration', '1e9'], /expected a positive number/],
  [['--duration', '9999999999'], /out of range/],
  [['--ffi', 'ctypes'], /expected koffi or ffi-napi/],
  [['-x'], /unknown option -x/],
  [['--frobnicate'], /unknown option --frobnicate/],
  [['--json=yes'], /takes no value/],
  [['extra'], /no positional arguments/],
  [['--'], /no positional arguments/],
  [['--constructor'], /unknown option --constructor/],
  [['--ebpf', '--duration', '1'], /cannot be combined/],
  [['--ring-pages', '3'], /not a power of two/],
  [['--ring-pages', '0'], /out of range/],
  [['--ring-pages', '8192'], /out of range/],
  [['--metrics'], /--metrics needs a value/],
  [['--metrics', '9100'], /expected ADDR:PORT/],
  [['--metrics', ':9100'], /give the address to bind, e\.g\. 127\.0\.0\.1:9100/],
  [['--metrics', '127.0.0.1:'], /missing port/],
  [['--metrics', '127.0.0.1:65536'], /out of range \(0 to 65535\)/],
  [['--metrics', '127.0.0.1:-1'], /expected a whole number/],
  [['--metrics', '127.0.0.1:http'], /expected a whole number/],
  [['--metrics', '::1:9100'], /put an IPv6 address in brackets, e\.g\. \[::1\]:9100/],
  [['--metrics', '[::1]9100'], /expected \[IPv6\]:PORT/],
  [['--metrics', '[::1'], /expected \[IPv6\]:PORT/],
  [['--metrics', '[1.2.3.4]:80'], /is not an IPv6 address/],
  [['--metrics', '999.1.1.1:80'], /neither an IPv4 address nor a host name/],
  [['--metrics', 'bad_host:80'], /neither an IPv4 address nor a host name/],
  [['--metrics', 'a b:80'], /neither an IPv4 address nor a host name/],
  [['--metrics', '127.0.0.1:1', '--metrics', '127.0.0.1:2'], /--metrics was given more than once/],
  [['--quiet'], /--quiet .* needs --metrics/],
  [['--quiet', '--json', '--metrics', '127.0.0.1:0'], /--quiet and --json cannot be combined/],
  [['--cgroup', ''], /--cgroup: expected a cgroup v2 directory/],
  [['--cgroup'], /--cgroup needs a value/],
  [['--cgroup', '/sys/fs/cgroup', '--handshake'], /--cgroup cannot be combined with --handshake: .*softirq/],
];
for (const [argv, message] of bad) {
  t.test(`rejects ${JSON.stringify(argv)}`, async (t) => {
    t.throws(() => parseArgs(argv), { name: 'UsageError', message });
    try {
      parseArgs(argv);
    } catch (e) {
      t.ok(e instanceof UsageError);
      t.notMatch((e as Error).message, /\n/, 'one line');
    }
  });
}

t.test('--self-test takes mode flags only', async (t) => {
  t.equal(parseArgs(['--self-test']).selfTest, true);
  const o = parseArgs(['--self-test', '-q', '--handshake', '-6', '-T', '-t', '--ffi', 'koffi', '--ring-pages', '4']);
  t.same([o.selfTest, o.queueWait, o.handshake, o.ipVersion], [true, true, true, 6]);
  for (const [flag, ...rest] of [
    ['-p', '1'],
    ['-P', '80'],
    ['--cgroup', '/sys/fs/cgroup'],
    ['--json'],
    ['--metrics', '127.0.0.1:0'],
    ['--duration', '1'],
    ['--ebpf'],
  ]) {
    t.throws(() => parseArgs(['--self-test', flag!, ...rest]), UsageError, `${flag} is refused`);
  }
});

t.test('--drops, --listeners and -i', async (t) => {
  const o = parseArgs(['--drops', '--listeners', '-i', '0.5']);
  t.same([o.drops, o.listeners, o.intervalSeconds], [true, true, 0.5]);
  t.equal(parseArgs(['--listeners', '--interval=2']).intervalSeconds, 2);
  t.throws(() => parseArgs(['-i', '1']), /it needs one of them/, '-i alone');
  t.throws(() => parseArgs(['--listeners', '-i', '0']), /out of range/, 'a zero interval');
  t.throws(() => parseArgs(['--listeners', '-i', 'x']), /positive number of seconds/, 'not a number');
});

t.test('-c, -H, -i and --metrics-per-process', async (t) => {
  const o = parseArgs(['-c', '-H', '-i', '2', '-T', '-p', '5', '-P', '80', '-4', '--cgroup', '/x', '--duration', '3']);
  t.same([o.count, o.hist, o.intervalSeconds, o.clockTime], [true, true, 2, true]);
  t.same([parseArgs(['--count']).count, parseArgs(['--hist']).hist, parseArgs(['-cH']).hist], [true, true, true]);
  t.equal(parseArgs(['-c', '--interval=0.5']).intervalSeconds, 0.5, '-i goes with -c');
  t.equal(parseArgs(['-H', '-i', '3']).intervalSeconds, 3, '-i goes with -H');
  t.equal(parseArgs(['-c', '--json']).queueWait, false, '--json does not ask for the per-event queue wait in summaries');
  t.equal(parseArgs(['-c', '--metrics', '127.0.0.1:0', '--metrics-per-process']).metricsPerProcess, true);
  t.equal(parseArgs(['-c', '--metrics', '127.0.0.1:0', '--quiet']).quiet, true);
  t.throws(() => parseArgs(['--metrics', '127.0.0.1:0', '--metrics-per-process']), /needs -c and --metrics/);
  t.throws(() => parseArgs(['-c', '--metrics-per-process']), /needs -c and --metrics/);
  for (const flag of ['--handshake', '-t', '-q', '--drops', '--listeners']) {
    t.throws(() => parseArgs(['-c', flag]), new RegExp(`-c cannot be combined with --`), `-c ${flag}`);
    t.throws(() => parseArgs(['-H', flag]), new RegExp(`-H cannot be combined with --`), `-H ${flag}`);
  }
  t.throws(() => parseArgs(['--self-test', '-c']), /--self-test/);
});

t.test('--version', async (t) => {
  t.equal(parseArgs(['--version']).version, true);
  t.equal(parseArgs([]).version, false);
  t.throws(() => parseArgs(['--version=1']), /takes no value/);
});
