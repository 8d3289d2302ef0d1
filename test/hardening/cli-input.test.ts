// Bad command lines. test/cli/args.test.ts checks the parser's messages case by case and
// test/e2e/cli.test.ts runs 14 of them through the real CLI; this adds a property over random
// argv (only Options with in-range values or a one-line UsageError, never another exception)
// and runs every flag's missing/empty/negative/non-numeric/out-of-range/huge/duplicated value,
// the contradictions and the look-alikes of code through the real CLI: exit 2, one error line
// after the usage, nothing on stdout, no kernel object created.
import fc from 'fast-check';
import t from 'tap';
import { defaultOptions, parseArgs, UsageError, type Options } from '../../cli/args.ts';
import { runCli } from '../helpers/processes.ts';
import { leftovers, snapshot } from './helpers.ts';

const FLAGS = [
  '-h',
  '--help',
  '-T',
  '--time',
  '-t',
  '--timestamp',
  '-p',
  '--pid',
  '-P',
  '--port',
  '-4',
  '--ipv4',
  '-6',
  '--ipv6',
  '-q',
  '--queue-wait',
  '--json',
  '--handshake',
  '--duration',
  '--ebpf',
  '--ffi',
  '--ring-pages',
  '--metrics',
  '--quiet',
  '--cgroup',
  '--',
  '-',
  '-Tq',
  '-qp',
  '--pid=',
  '--port=',
  '--duration=',
  '--ring-pages=',
  '--metrics=',
  '--json=1',
  '--__proto__',
  '--constructor',
  '--toString',
  '-z',
  '--PID',
];
const VALUES = [
  '',
  ' ',
  '0',
  '1',
  '-1',
  '80',
  '65535',
  '65536',
  '4194304',
  '4194305',
  '1.5',
  '1e3',
  '0x10',
  '08',
  'abc',
  '80,443',
  '80,,443',
  ',',
  '1'.repeat(400),
  '9'.repeat(30),
  'NaN',
  'Infinity',
  '-0',
  '+1',
  '2147483',
  '2147484',
  '256',
  '3',
  'koffi',
  'ffi-napi',
  '127.0.0.1:9100',
  '[::1]:0',
  '::1:9100',
  ':9100',
  '127.0.0.1:',
  '127.0.0.1:65536',
  '/sys/fs/cgroup',
  '$(reboot)',
  '`id`',
  '80;rm -rf /',
  "'; process.exit(7); '",
  'require("child_process")',
  '\n',
  '\u0000',
];

function checkOptions(o: Options): void {
  const fail = (what: string) => {
    throw new Error(`accepted ${what}: ${JSON.stringify(o)}`);
  };
  if (o.pid !== undefined && !(Number.isInteger(o.pid) && o.pid >= 1 && o.pid <= 4194304)) fail('pid');
  if (o.ports !== undefined && !(o.ports.length > 0 && o.ports.every((p) => Number.isInteger(p) && p >= 1 && p <= 65535))) fail('ports');
  if (o.ports !== undefined && new Set(o.ports).size !== o.ports.length) fail('duplicate ports');
  if (o.durationSeconds !== undefined && !(o.durationSeconds > 0 && o.durationSeconds * 1000 <= 2 ** 31 - 1)) fail('duration');
  if (
    o.ringPages !== undefined &&
    !(Number.isInteger(o.ringPages) && o.ringPages >= 1 && o.ringPages <= 4096 && (o.ringPages & (o.ringPages - 1)) === 0)
  )
    fail('ring pages');
  if (o.ffi !== undefined && o.ffi !== 'koffi' && o.ffi !== 'ffi-napi') fail('ffi');
  if (o.metrics !== undefined && !(Number.isInteger(o.metrics.port) && o.metrics.port >= 0 && o.metrics.port <= 65535))
    fail('metrics port');
  if (o.quiet && o.metrics === undefined) fail('--quiet without --metrics');
  if (o.ebpf && o.durationSeconds !== undefined) fail('--ebpf with --duration');
  if (o.cgroupPath === '') fail('empty cgroup');
  // Nothing but the declared options, and no prototype was touched.
  const keys = Object.keys(defaultOptions()).sort();
  if (JSON.stringify(Object.keys(o).sort()) !== JSON.stringify(keys)) fail('unexpected keys');
  if (Object.getPrototypeOf(o) !== Object.prototype || ({} as Record<string, unknown>).polluted !== undefined) fail('prototype change');
}

t.test('random argv: Options with in-range values or a one-line UsageError, nothing else', async (t) => {
  let accepted = 0;
  let rejected = 0;
  const token = fc.oneof(fc.constantFrom(...FLAGS), fc.constantFrom(...VALUES), fc.string({ maxLength: 8 }));
  fc.assert(
    fc.property(fc.array(token, { maxLength: 8 }), (argv) => {
      let options: Options;
      try {
        options = parseArgs(argv);
      } catch (error) {
        if (!(error instanceof UsageError)) throw new Error(`${String(error)} for ${JSON.stringify(argv)}`);
        if (error.message.includes('\n') || error.message.length > 300)
          throw new Error(`not one short line: ${JSON.stringify(error.message)}`);
        rejected++;
        return;
      }
      checkOptions(options);
      accepted++;
    }),
    { numRuns: 20_000 },
  );
  t.ok(accepted > 100 && rejected > 100, `20 000 random command lines: ${accepted} accepted (all in range), ${rejected} refused`);
});

const BAD: string[][] = [
  // Every flag that takes a value, without one.
  ['--pid'],
  ['-P'],
  ['--port'],
  ['--duration'],
  ['--ffi'],
  ['--ring-pages'],
  ['--metrics'],
  ['--cgroup'],
  ['-qp'],
  ['-Tp'],
  // Empty values.
  ['--pid='],
  ['--port='],
  ['--duration='],
  ['--ffi='],
  ['--ring-pages='],
  ['--metrics='],
  ['--cgroup='],
  ['-p', ''],
  // Negative, non-numeric, fractional, hexadecimal, exponent, huge.
  ['--pid', '-1'],
  ['--pid', '1.0'],
  ['--pid', '0x10'],
  ['--pid', '1e3'],
  ['--pid', '9'.repeat(400)],
  ['--pid', 'NaN'],
  ['--pid', '4194305'],
  ['-P', '-80'],
  ['-P', '80.5'],
  ['-P', '1e2'],
  ['-P', '9'.repeat(400)],
  ['-P', 'Infinity'],
  ['--duration', '0'],
  ['--duration', '-0'],
  ['--duration', 'NaN'],
  ['--duration', 'Infinity'],
  ['--duration', '0x10'],
  ['--duration', '2147484'],
  ['--duration', '1'.repeat(400)],
  ['--duration', '.5'],
  ['--duration', '5.'],
  ['--ring-pages', '-1'],
  ['--ring-pages', '0'],
  ['--ring-pages', '3'],
  ['--ring-pages', '8192'],
  ['--ring-pages', '1'.repeat(400)],
  ['--ffi', 'KOFFI'],
  ['--ffi', '../koffi'],
  ['--metrics', '9100'],
  ['--metrics', ':9100'],
  ['--metrics', '127.0.0.1:'],
  ['--metrics', '127.0.0.1:65536'],
  ['--metrics', '::1:9100'],
  ['--metrics', '[::1]'],
  ['--metrics', 'bad host:80'],
  // Duplicated.
  ['--pid', '1', '--pid', '1'],
  ['-P', '80', '--port', '81'],
  ['--duration', '1', '--duration', '1'],
  ['-q', '-q'],
  ['--json', '--json'],
  ['--ring-pages', '1', '--ring-pages', '2'],
  ['-T', '--time'],
  ['-6', '-6'],
  // Contradictory.
  ['-4', '-6'],
  ['--ipv4', '--ipv6'],
  ['--ebpf', '--duration', '1'],
  ['--quiet'],
  ['--quiet', '--json', '--metrics', '127.0.0.1:0'],
  ['--cgroup', '/sys/fs/cgroup', '--handshake'],
  // Unknown, look-alikes, positional, code-like.
  ['--bogus'],
  ['--PID', '1'],
  ['--__proto__'],
  ['--constructor'],
  ['--toString'],
  ['-z'],
  ['-'],
  ['--'],
  ['80'],
  ['--pid', '$(reboot)'],
  ['-P', '80;rm -rf /'],
  ['--duration', '`id`'],
  ['--pid', "1'); process.exit(7); ('"],
  ['--ring-pages', 'require("fs")'],
  ['--json=yes'],
  ['--help=1'],
];

t.test('bad command lines through the real CLI: exit 2, usage + one error line, nothing loaded', async (t) => {
  const before = snapshot();
  // Run a few at a time: each is a Node start-up (~100 ms).
  const results: Array<{ args: string[]; code: number | string; stdout: string; stderr: string }> = [];
  for (let i = 0; i < BAD.length; i += 6) {
    const batch = BAD.slice(i, i + 6);
    results.push(...(await Promise.all(batch.map(async (args) => ({ args, ...(await runCli(args)) })))));
  }
  for (const { args, code, stdout, stderr } of results) {
    const label = JSON.stringify(args).slice(0, 80);
    const lines = stderr.trimEnd().split('\n');
    const errors = lines.filter((l) => l.startsWith('ts-tcpaccept: error: '));
    const ok =
      code === 2 &&
      stdout === '' &&
      errors.length === 1 &&
      lines.every((l) => l.startsWith('usage:') || l.startsWith('  ') || l.startsWith('ts-tcpaccept: error: '));
    t.ok(ok, `${label}: exit ${String(code)}, ${errors[0] ?? stderr.trimEnd()}`);
  }
  t.same(await leftovers(before), { progs: [], maps: [] }, 'no kernel object was created');
});
