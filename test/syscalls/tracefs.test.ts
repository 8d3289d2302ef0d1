import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ParseError } from '../../src/parse/parse-error.ts';
import { TracefsError, locateTracefs, parseFormat, readTracepoint, type FormatField } from '../../src/syscalls/tracefs.ts';
import { kernelTest } from '../helpers/kernel.ts';

// tap's t.throws treats a function argument as a class, so predicates get their own helper.
function throwsSatisfying(t: Test, fn: () => unknown, predicate: (error: unknown) => boolean, what: string): void {
  try {
    fn();
  } catch (error) {
    t.ok(predicate(error), what, { error: String(error) });
    return;
  }
  t.fail(`${what}: did not throw`);
}

const fixtures = new URL('./fixtures/', import.meta.url);
const fixture = (name: string): string => readFileSync(new URL(name, fixtures), 'utf8');

type Layout = Array<[name: string, offset: number, size: number, signed: boolean, arrayLength?: number]>;

function layoutOf(fields: FormatField[]): Layout {
  return fields.map((f) => {
    const row: Layout[number] = [f.name, f.offset, f.size, f.signed];
    if (f.arrayLength !== undefined) row.push(f.arrayLength);
    return row;
  });
}

const COMMON: Layout = [
  ['common_type', 0, 2, false],
  ['common_flags', 2, 1, false],
  ['common_preempt_count', 3, 1, false],
  ['common_pid', 4, 4, true],
];

// Copied from this machine's 6.18 tracefs (test/syscalls/fixtures/*.format).
const INET_SOCK_SET_STATE_6_18: Layout = [
  ...COMMON,
  ['skaddr', 8, 8, false],
  ['oldstate', 16, 4, true],
  ['newstate', 20, 4, true],
  ['sport', 24, 2, false],
  ['dport', 26, 2, false],
  ['family', 28, 2, false],
  ['protocol', 30, 2, false],
  ['saddr', 32, 4, false, 4],
  ['daddr', 36, 4, false, 4],
  ['saddr_v6', 40, 16, false, 16],
  ['daddr_v6', 56, 16, false, 16],
];

// Linux 4.16–5.5: `__field(__u8, protocol)` (include/trace/events/sock.h before "net: make
// sk_protocol a u16" for MPTCP in 5.6), so the packed record puts every address one byte lower.
const INET_SOCK_SET_STATE_PRE_5_6: Layout = [
  ...COMMON,
  ['skaddr', 8, 8, false],
  ['oldstate', 16, 4, true],
  ['newstate', 20, 4, true],
  ['sport', 24, 2, false],
  ['dport', 26, 2, false],
  ['family', 28, 2, false],
  ['protocol', 30, 1, false],
  ['saddr', 31, 4, false, 4],
  ['daddr', 35, 4, false, 4],
  ['saddr_v6', 39, 16, false, 16],
  ['daddr_v6', 55, 16, false, 16],
];

const SYS_EXIT_ACCEPT: Layout = [...COMMON, ['__syscall_nr', 8, 4, true], ['ret', 16, 8, true]];

const SYS_ENTER_ACCEPT4: Layout = [
  ...COMMON,
  ['__syscall_nr', 8, 4, true],
  ['fd', 16, 8, false],
  ['upeer_sockaddr', 24, 8, false],
  ['upeer_addrlen', 32, 8, false],
  ['flags', 40, 8, false],
];

t.test('parseFormat: sock:inet_sock_set_state on 6.18', async (t) => {
  const format = parseFormat(fixture('sock_inet_sock_set_state.format'), 'sock', 'inet_sock_set_state');
  t.equal(format.group, 'sock');
  t.equal(format.event, 'inet_sock_set_state');
  t.equal(format.id, 2287);
  t.same(layoutOf(format.fields), INET_SOCK_SET_STATE_6_18);
  t.equal(format.field('skaddr').type, 'const void *');
  t.equal(format.field('saddr').type, '__u8[4]');
  t.equal(format.field('protocol').type, '__u16');
});

t.test('parseFormat: sock:inet_sock_set_state before 5.6 (u8 protocol)', async (t) => {
  const format = parseFormat(fixture('sock_inet_sock_set_state.pre-5.6.format'), 'sock', 'inet_sock_set_state');
  t.same(layoutOf(format.fields), INET_SOCK_SET_STATE_PRE_5_6);
  t.equal(format.field('protocol').type, '__u8');
});

t.test('parseFormat: syscalls:sys_exit_accept4 and sys_exit_accept', async (t) => {
  const accept4 = parseFormat(fixture('syscalls_sys_exit_accept4.format'), 'syscalls', 'sys_exit_accept4');
  t.equal(accept4.id, 2233);
  t.same(layoutOf(accept4.fields), SYS_EXIT_ACCEPT);
  t.equal(accept4.field('ret').type, 'long');
  const accept = parseFormat(fixture('syscalls_sys_exit_accept.format'), 'syscalls', 'sys_exit_accept');
  t.equal(accept.id, 2231);
  t.same(layoutOf(accept.fields), SYS_EXIT_ACCEPT);
});

t.test('parseFormat: syscalls:sys_enter_accept4 keeps pointer types', async (t) => {
  const format = parseFormat(fixture('syscalls_sys_enter_accept4.format'), 'syscalls', 'sys_enter_accept4');
  t.equal(format.id, 2234);
  t.same(layoutOf(format.fields), SYS_ENTER_ACCEPT4);
  t.equal(format.field('upeer_sockaddr').type, 'struct sockaddr *');
  t.equal(format.field('upeer_addrlen').type, 'int *');
});

const header = (fieldLines: string[]): string =>
  ['name: demo', 'ID: 7', 'format:', ...fieldLines.map((l) => `\t${l}`), '', 'print fmt: "x"', ''].join('\n');

t.test('parseFormat: declaration shapes seen in real format files', async (t) => {
  const format = parseFormat(
    header([
      'field:__data_loc char[] name;\toffset:8;\tsize:4;\tsigned:0;',
      'field:unsigned long args[6];\toffset:16;\tsize:48;\tsigned:0;',
      'field:char comm[TASK_COMM_LEN];\toffset:64;\tsize:16;\tsigned:0;',
      'field:struct foo * bar[2];\toffset:80;\tsize:16;\tsigned:0;',
      'field:u32 grid[2][3];\toffset:96;\tsize:24;\tsigned:0;',
      'field special:const char * fmt;\toffset:120;\tsize:8;\tsigned:0;',
      'field:long long delta;\toffset:128;\tsize:8;\tsigned:1;',
      'field:u32 buf[];\toffset:136;\tsize:0;\tsigned:0;',
    ]),
    'g',
    'demo',
  );
  t.same(
    format.fields.map((f) => [f.name, f.type, f.arrayLength]),
    [
      ['name', '__data_loc char[]', undefined],
      ['args', 'unsigned long[6]', 6],
      ['comm', 'char[TASK_COMM_LEN]', 16],
      ['bar', 'struct foo *[2]', 2],
      ['grid', 'u32[2][3]', 6],
      ['fmt', 'const char *', undefined],
      ['delta', 'long long', undefined],
      ['buf', 'u32[]', undefined],
    ],
  );
  t.equal(format.field('delta').signed, true);
});

t.test('parseFormat: malformed input is a ParseError naming the line', async (t) => {
  const cases: Array<[what: string, text: string, lineNumber: number]> = [
    ['missing offset', header(['field:int a;\tsize:4;\tsigned:1;']), 4],
    ['non-numeric size', header(['field:int a;\toffset:0;\tsize:four;\tsigned:1;']), 4],
    ['negative offset', header(['field:int a;\toffset:-8;\tsize:4;\tsigned:1;']), 4],
    ['bad signed', header(['field:int a;\toffset:0;\tsize:4;\tsigned:2;']), 4],
    ['no name', header(['field:int;\toffset:0;\tsize:4;\tsigned:1;']), 4],
    ['no type', header(['field: a;\toffset:0;\tsize:4;\tsigned:1;']), 4],
    ['garbage attribute', header(['field:int a;\toffset:0;\tsize:4;\tsigned:1;\tjunk;']), 4],
    ['repeated key', header(['field:int a;\toffset:0;\toffset:4;\tsize:4;\tsigned:1;']), 4],
    ['duplicate field', header(['field:int a;\toffset:0;\tsize:4;\tsigned:1;', 'field:int a;\toffset:4;\tsize:4;\tsigned:1;']), 5],
    ['unknown line', header(['field:int a;\toffset:0;\tsize:4;\tsigned:1;', 'whatever']), 5],
    ['wrong event name', 'name: other\nID: 1\nformat:\n\tfield:int a;\toffset:0;\tsize:4;\tsigned:1;\n', 1],
    ['bad ID', 'name: demo\nID: x1\nformat:\n', 2],
  ];
  for (const [what, text, lineNumber] of cases) {
    throwsSatisfying(
      t,
      () => parseFormat(text, 'g', 'demo'),
      (error: unknown) =>
        error instanceof ParseError &&
        error.source === 'tracepoint g:demo format' &&
        error.message.includes(`line ${lineNumber} `) &&
        typeof error.offset === 'number',
      what,
    );
  }
  t.throws(() => parseFormat('name: demo\nformat:\n\tfield:int a;\toffset:0;\tsize:4;\tsigned:1;\n', 'g', 'demo'), {
    name: 'ParseError',
    message: /no ID: line/,
  });
  t.throws(() => parseFormat('name: demo\nID: 3\nformat:\n\nprint fmt: ""\n', 'g', 'demo'), {
    name: 'ParseError',
    message: /no field: lines/,
  });
  t.throws(() => parseFormat('', 'g', 'demo'), ParseError);
});

t.test('parseFormat: arbitrary text either parses or throws ParseError', async (t) => {
  const base = fixture('sock_inet_sock_set_state.format');
  // Deterministic mutations: truncate, drop and corrupt characters at every 7th position.
  let outcomes = 0;
  for (let at = 0; at < base.length; at += 7) {
    for (const text of [base.slice(0, at), base.slice(0, at) + base.slice(at + 1), base.slice(0, at) + ';' + base.slice(at + 1)]) {
      try {
        parseFormat(text, 'sock', 'inet_sock_set_state');
      } catch (error) {
        if (!(error instanceof ParseError)) throw error;
      }
      outcomes++;
    }
  }
  t.ok(outcomes > 500, `${outcomes} mutated inputs handled`);
});

t.test('TracepointFormat.field names the tracepoint when a field is missing', async (t) => {
  const format = parseFormat(fixture('syscalls_sys_exit_accept4.format'), 'syscalls', 'sys_exit_accept4');
  t.throws(() => format.field('newstate'), { message: /syscalls:sys_exit_accept4 has no field 'newstate' \(fields: .*ret/ });
});

t.test('locateTracefs and readTracepoint on a fake tracefs', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tracefs-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const primary = join(dir, 'tracing');
  const fallback = join(dir, 'debug-tracing');
  mkdirSync(primary);
  mkdirSync(fallback);

  t.throws(() => locateTracefs({ candidates: [primary, fallback] }), {
    name: 'TracefsError',
    message: /not mounted.*mount -t tracefs nodev \/sys\/kernel\/tracing/,
  });

  const mounted: string[] = [];
  const fakeMount = (target: string): void => {
    mounted.push(target);
    const tp = join(target, 'events', 'sock', 'inet_sock_set_state');
    mkdirSync(tp, { recursive: true });
    writeFileSync(join(tp, 'id'), '2287\n');
    writeFileSync(join(tp, 'format'), fixture('sock_inet_sock_set_state.format'));
  };
  t.equal(locateTracefs({ candidates: [primary, fallback], mount: fakeMount }), primary);
  t.same(mounted, [primary], 'mounts on the first candidate');
  t.equal(locateTracefs({ candidates: [primary, fallback], mount: fakeMount }), primary);
  t.same(mounted, [primary], 'does not mount again once events/ exists');

  mkdirSync(join(fallback, 'events'));
  t.equal(locateTracefs({ candidates: [join(dir, 'absent'), fallback] }), fallback, 'falls back to the debugfs path');

  t.throws(
    () =>
      locateTracefs({
        candidates: [join(dir, 'nothing')],
        mount: () => {
          throw new Error('EPERM');
        },
      }),
    { name: 'TracefsError', message: /mounting it on .*nothing failed: EPERM/ },
  );
  t.throws(() => locateTracefs({ candidates: [join(dir, 'nothing')], mount: () => undefined }), {
    message: /no events\/ directory/,
  });

  const format = readTracepoint('sock', 'inet_sock_set_state', primary);
  t.equal(format.id, 2287);
  t.same(layoutOf(format.fields), INET_SOCK_SET_STATE_6_18);

  throwsSatisfying(
    t,
    () => readTracepoint('sock', 'no_such_event', primary),
    (error) =>
      error instanceof TracefsError &&
      error.message.includes('sock:no_such_event') &&
      error.hint === 'kernel without this tracepoint, or tracefs missing',
    'a missing tracepoint is named, with a hint',
  );

  const mismatched = join(primary, 'events', 'sock', 'inet_sock_set_state', 'id');
  writeFileSync(mismatched, '9\n');
  t.throws(() => readTracepoint('sock', 'inet_sock_set_state', primary), { name: 'ParseError', message: /ID 2287/ });
});

t.test('readTracepoint rejects names that could escape events/', async (t) => {
  for (const [group, event] of [
    ['..', 'x'],
    ['sock', '../../../etc'],
    ['sock/inet', 'x'],
    ['', 'x'],
    ['sock', 'a b'],
  ] as const) {
    t.throws(() => readTracepoint(group, event, '/nonexistent'), { message: /invalid tracepoint (group|event) name/ });
  }
});

t.test('kernel: tracefs on this machine matches the fixtures', kernelTest(), async (t) => {
  // mount(8) stands in for the FFI mountTracefs here so this test depends on nothing but tracefs.ts.
  const mountWithTool = (target: string): void => {
    execFileSync('mount', ['-t', 'tracefs', 'nodev', target]);
  };
  const root = locateTracefs({ mount: mountWithTool });
  t.ok(root === '/sys/kernel/tracing' || root === '/sys/kernel/debug/tracing', `found at ${root}`);

  const setState = readTracepoint('sock', 'inet_sock_set_state', root);
  t.same(layoutOf(setState.fields), INET_SOCK_SET_STATE_6_18);
  t.ok(setState.id > 0);
  const exitAccept4 = readTracepoint('syscalls', 'sys_exit_accept4', root);
  t.same(layoutOf(exitAccept4.fields), SYS_EXIT_ACCEPT);
  t.equal(exitAccept4.id, Number(readFileSync(join(root, 'events/syscalls/sys_exit_accept4/id'), 'utf8')));

  // Every format file this kernel ships must parse: the parser is strict, so this is what
  // keeps it from rejecting shapes we have not seen in the fixtures.
  let parsed = 0;
  for (const group of readdirSync(join(root, 'events'), { withFileTypes: true })) {
    if (!group.isDirectory()) continue;
    for (const event of readdirSync(join(root, 'events', group.name), { withFileTypes: true })) {
      if (!event.isDirectory()) continue;
      // ftrace's own events (ftrace:bprint…) have a format but no id: they cannot be attached to.
      const format = existsSync(join(root, 'events', group.name, event.name, 'id'))
        ? readTracepoint(group.name, event.name, root)
        : parseFormat(readFileSync(join(root, 'events', group.name, event.name, 'format'), 'utf8'), group.name, event.name);
      if (format.fields.length < 4) t.fail(`${group.name}:${event.name} has only ${format.fields.length} fields`);
      parsed++;
    }
  }
  t.ok(parsed > 100, `parsed ${parsed} format files`);
});

t.test('kernel: locateTracefs mounts tracefs when no candidate has events/', kernelTest(), async (t) => {
  const target = mkdtempSync(join(tmpdir(), 'tracefs-mount-'));
  let mounted = false;
  t.teardown(() => {
    if (mounted) execFileSync('umount', [target]);
    rmSync(target, { recursive: true, force: true });
  });
  const root = locateTracefs({
    candidates: [target],
    mount: (where) => {
      execFileSync('mount', ['-t', 'tracefs', 'nodev', where]);
      mounted = true;
    },
  });
  t.equal(root, target);
  t.ok(mounted, 'mount was called');
  t.same(layoutOf(readTracepoint('sock', 'inet_sock_set_state', root).fields), INET_SOCK_SET_STATE_6_18);
});
