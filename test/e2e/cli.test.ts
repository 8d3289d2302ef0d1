// The real CLI against real sockets: a Python server making blocking accept4()/accept() calls
// in its own process, clients from this process, ts-tcpaccept as a third process. Every test
// filters on its own ports, so other traffic cannot disturb it.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { kernelTest } from '../helpers/kernel.ts';
import { cliPath, connectOnce, runCli, sleep, startServer, startTimeScale, startTracer, type Tracer } from '../helpers/processes.ts';
import { loadedMapIds, loadedProgramIds } from '../../src/syscalls/index.ts';

interface Row {
  pid: string;
  comm: string;
  ip: string;
  raddr: string;
  rport: number;
  laddr: string;
  lport: number;
  rest: string[];
}

/** Splits a table row (PID COMM IP RADDR RPORT LADDR LPORT [QWAIT [RST]]) after `skip` time columns. */
function parseRow(line: string, skip = 0): Row {
  const cols = line.trim().split(/\s+/).slice(skip);
  return {
    pid: cols[0]!,
    comm: cols[1]!,
    ip: cols[2]!,
    raddr: cols[3]!,
    rport: Number(cols[4]),
    laddr: cols[5]!,
    lport: Number(cols[6]),
    rest: cols.slice(7),
  };
}

const rowsFor = (tracer: Tracer, port: number, skip = 0) =>
  tracer.stdout.lines
    .filter((l) => !/PID\s+COMM/.test(l))
    .map((l) => parseRow(l, skip))
    .filter((r) => r.lport === port);

async function waitRows(tracer: Tracer, port: number, n: number, skip = 0, timeoutMs = 5000): Promise<Row[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = rowsFor(tracer, port, skip);
    if (rows.length >= n) return rows;
    if (Date.now() > deadline) {
      throw new Error(
        `expected ${n} rows for port ${port}, got ${rows.length}:\n${tracer.stdout.lines.join('\n')}\nstderr:\n${tracer.stderr.lines.join('\n')}`,
      );
    }
    await sleep(20);
  }
}

/**
 * Kernel objects created since `before` that are still there. The kernel frees a closed
 * program's maps after an RCU grace period, so give it a moment before calling it a leak.
 */
async function leftovers(before: { progs: Set<number>; maps: Set<number> }): Promise<{ progs: number[]; maps: number[] }> {
  const deadline = Date.now() + 3000 * startTimeScale;
  for (;;) {
    const progs = loadedProgramIds().filter((id) => !before.progs.has(id));
    const maps = loadedMapIds().filter((id) => !before.maps.has(id));
    if ((progs.length === 0 && maps.length === 0) || Date.now() > deadline) return { progs, maps };
    await sleep(50);
  }
}

/** Stops the tracer and checks it exited 0 and left no program or map of its own loaded. */
async function stopAndCheckClean(
  t: Test,
  tracer: Tracer,
  before: { progs: Set<number>; maps: Set<number> },
  signal: NodeJS.Signals = 'SIGINT',
) {
  const code = await tracer.stop(signal);
  t.equal(code, 0, `exit code after ${signal}`);
  t.same(await leftovers(before), { progs: [], maps: [] }, 'no program or map left loaded');
}

const snapshot = () => ({ progs: new Set(loadedProgramIds()), maps: new Set(loadedMapIds()) });

t.test('IPv4 and IPv6: one line per accept, with the server PID and COMM', kernelTest(), async (t) => {
  const v4 = await startServer({ family: 4, count: 3, comm: 'srv-four' });
  const v6 = await startServer({ family: 6, count: 2, comm: 'srv-six' });
  t.teardown(() => {
    v4.kill();
    v6.kill();
  });
  const before = snapshot();
  const tracer = startTracer(['-P', `${v4.port},${v6.port}`]);
  await tracer.ready;
  const clients4 = [];
  for (let i = 0; i < 3; i++) clients4.push((await connectOnce('127.0.0.1', v4.port)).localPort);
  const clients6 = [];
  for (let i = 0; i < 2; i++) clients6.push((await connectOnce('::1', v6.port)).localPort);
  await v4.accepted(3);
  await v6.accepted(2);
  const rows4 = await waitRows(tracer, v4.port, 3);
  const rows6 = await waitRows(tracer, v6.port, 2);
  await sleep(250);
  t.equal(rowsFor(tracer, v4.port).length, 3, 'exactly one line per IPv4 accept');
  t.equal(rowsFor(tracer, v6.port).length, 2, 'exactly one line per IPv6 accept');
  // Rows come CPU by CPU, not in connection order: compare as sets of client ports.
  t.same(rows4.map((r) => r.rport).sort(), [...clients4].sort(), 'every IPv4 client port once');
  t.same(rows6.map((r) => r.rport).sort(), [...clients6].sort(), 'every IPv6 client port once');
  for (const r of rows4) {
    t.same([r.pid, r.comm, r.ip, r.raddr, r.laddr, r.lport], [String(v4.pid), 'srv-four', '4', '127.0.0.1', '127.0.0.1', v4.port]);
  }
  for (const r of rows6) {
    t.same([r.pid, r.comm, r.ip, r.raddr, r.laddr, r.lport], [String(v6.pid), 'srv-six', '6', '::1', '::1', v6.port]);
  }
  await stopAndCheckClean(t, tracer, before);
});

t.test('a server already blocked in accept() before tracing starts is reported; so is plain accept()', kernelTest(), async (t) => {
  const server = await startServer({ family: 4, count: 1, syscall: 'accept', comm: 'old-accept' });
  t.teardown(() => server.kill());
  await sleep(200); // it is now blocked inside accept()
  const tracer = startTracer(['-P', String(server.port)]);
  t.teardown(() => tracer.stop('SIGKILL'));
  await tracer.ready;
  const { localPort } = await connectOnce('127.0.0.1', server.port);
  const [row] = await waitRows(tracer, server.port, 1);
  t.same([row!.pid, row!.comm, row!.rport], [String(server.pid), 'old-accept', localPort]);
  t.equal(await tracer.stop(), 0);
});

t.test('queue wait: a server that sleeps 200 ms before accept() shows >= 200 ms (-q and --json)', kernelTest(), async (t) => {
  for (const json of [false, true]) {
    const server = await startServer({ family: 4, count: 1, delayMs: 300, comm: 'sleepy' });
    t.teardown(() => server.kill());
    const tracer = startTracer(json ? ['--json', '-P', String(server.port)] : ['-q', '-P', String(server.port)]);
    t.teardown(() => tracer.stop('SIGKILL'));
    await tracer.ready;
    // The server sleeps 300 ms from start; connect now, so the connection waits >= 200 ms.
    await connectOnce('127.0.0.1', server.port);
    await server.accepted(1);
    if (json) {
      const line = await tracer.stdout.waitFor((l) => l.startsWith('{'), 5000, 'a JSON event');
      const event = JSON.parse(line) as Record<string, unknown>;
      t.ok((event.queue_wait_us as number) >= 200_000, `queue_wait_us ${String(event.queue_wait_us)} >= 200000`);
      t.ok((event.queue_wait_us as number) < 5_000_000, 'and plausible');
    } else {
      const [row] = await waitRows(tracer, server.port, 1);
      const wait = Number(row!.rest[0]);
      t.ok(wait >= 200_000, `QWAIT(us) ${wait} >= 200000`);
    }
    t.equal(await tracer.stop(), 0);
  }
});

t.test('a client that resets before accept() is reported with its local port and RST', kernelTest(), async (t) => {
  const server = await startServer({ family: 4, count: 1, delayMs: 400, comm: 'late-srv' });
  t.teardown(() => server.kill());
  const tracer = startTracer(['--json', '-P', String(server.port)]);
  t.teardown(() => tracer.stop('SIGKILL'));
  await tracer.ready;
  const { localPort } = await connectOnce('127.0.0.1', server.port, { reset: true });
  await server.accepted(1);
  const line = await tracer.stdout.waitFor((l) => l.startsWith('{'), 5000, 'a JSON event');
  const event = JSON.parse(line) as Record<string, unknown>;
  t.equal(event.lport, server.port, 'local port survives the reset (read from inet_sport)');
  t.equal(event.rport, localPort);
  t.equal(event.state, 'CLOSE', 'state says it was reset before accept');
  t.equal(event.pid, server.pid);
  t.equal(await tracer.stop(), 0);

  const server2 = await startServer({ family: 4, count: 1, delayMs: 400 });
  t.teardown(() => server2.kill());
  const table = startTracer(['-q', '-P', String(server2.port)]);
  t.teardown(() => table.stop('SIGKILL'));
  await table.ready;
  await connectOnce('127.0.0.1', server2.port, { reset: true });
  const [row] = await waitRows(table, server2.port, 1);
  t.equal(row!.rest.at(-1), 'RST', '-q marks it RST');
  t.equal(await table.stop(), 0);
});

t.test('filters: -p, -P with several ports, -4, -6; a closed port prints nothing', kernelTest(), async (t) => {
  const a = await startServer({ family: 4, count: 10, comm: 'srv-a' });
  const b = await startServer({ family: 4, count: 10, comm: 'srv-b' });
  const c6 = await startServer({ family: 6, count: 10, comm: 'srv-c6' });
  t.teardown(() => {
    a.kill();
    b.kill();
    c6.kill();
  });
  const ports = [a.port, b.port, c6.port];
  const runCase = async (args: string[], expectPorts: number[]) => {
    const tracer = startTracer(args);
    t.teardown(() => tracer.stop('SIGKILL'));
    await tracer.ready;
    await connectOnce('127.0.0.1', a.port);
    await connectOnce('127.0.0.1', b.port);
    await connectOnce('::1', c6.port);
    await sleep(300);
    const seen = [...new Set(tracer.stdout.lines.filter((l) => !/PID/.test(l)).map((l) => parseRow(l).lport))].filter((p) =>
      ports.includes(p),
    );
    t.same(seen.sort(), [...expectPorts].sort(), `ts-tcpaccept ${args.join(' ')}`);
    t.equal(await tracer.stop(), 0);
  };
  await runCase(['-P', `${a.port},${b.port}`], [a.port, b.port]);
  await runCase(['-P', `${b.port}`], [b.port]);
  await runCase(['-p', String(a.pid), '-P', ports.join(',')], [a.port]);
  await runCase(['-4', '-P', ports.join(',')], [a.port, b.port]);
  await runCase(['-6', '-P', ports.join(',')], [c6.port]);

  // A closed port: the connection is refused, nothing was accepted, nothing is printed.
  const closed = await startServer({ family: 4, count: 0 });
  const closedPort = closed.port;
  await closed.exited;
  const tracer = startTracer(['-P', `${closedPort},${a.port}`]);
  t.teardown(() => tracer.stop('SIGKILL'));
  await tracer.ready;
  await new Promise<void>((resolve) => {
    const s = connect(closedPort, '127.0.0.1');
    s.on('error', () => resolve());
    s.on('connect', () => {
      s.destroy();
      resolve();
    });
  });
  await connectOnce('127.0.0.1', a.port); // a sentinel: once it is printed, anything earlier is too
  await waitRows(tracer, a.port, 1);
  t.same(rowsFor(tracer, closedPort), [], 'refused connection prints nothing');
  t.equal(await tracer.stop(), 0);
});

t.test('--handshake reports the listening socket owner, not the softirq task', kernelTest(), async (t) => {
  const server = await startServer({ family: 4, count: 2, comm: 'hs-owner' });
  t.teardown(() => server.kill());
  const tracer = startTracer(['--handshake', '-P', String(server.port)]);
  t.teardown(() => tracer.stop('SIGKILL'));
  await tracer.ready;
  const { localPort } = await connectOnce('127.0.0.1', server.port);
  const [row] = await waitRows(tracer, server.port, 1);
  t.same(
    [row!.pid, row!.comm, row!.ip, row!.raddr, row!.rport, row!.laddr],
    [String(server.pid), 'hs-owner', '4', '127.0.0.1', localPort, '127.0.0.1'],
  );
  t.equal(await tracer.stop(), 0);
});

t.test('-T, -t and --json formats, field by field', kernelTest(), async (t) => {
  const server = await startServer({ family: 4, count: 2, comm: 'fmt-srv' });
  t.teardown(() => server.kill());
  const tracer = startTracer(['-T', '-t', '-q', '-P', String(server.port)]);
  t.teardown(() => tracer.stop('SIGKILL'));
  await tracer.ready;
  t.match(tracer.stdout.lines[0], /^TIME {5}TIME\(s\) {2}PID {5}COMM {9}IP RADDR {12}RPORT LADDR {12}LPORT QWAIT\(us\)$/);
  await connectOnce('127.0.0.1', server.port);
  await sleep(50);
  await connectOnce('127.0.0.1', server.port);
  const rows = await waitRows(tracer, server.port, 2, 2);
  const lines = tracer.stdout.lines.slice(1);
  const now = new Date();
  for (const line of lines) {
    const [clock, rel] = line.split(/\s+/);
    t.match(clock, /^\d\d:\d\d:\d\d$/);
    const [h, m] = clock!.split(':').map(Number);
    t.ok(Math.abs(h! * 60 + m! - (now.getHours() * 60 + now.getMinutes())) <= 1, 'HH:MM:SS is the local wall clock');
    t.match(rel, /^\d+\.\d{3}$/);
  }
  t.equal(lines[0]!.split(/\s+/)[1], '0.000', '-t counts from the first event');
  t.ok(Number(lines[1]!.split(/\s+/)[1]) >= 0.04, 'and advances');
  t.equal(rows[0]!.comm, 'fmt-srv');
  t.equal(await tracer.stop(), 0);

  const server2 = await startServer({ family: 6, count: 1, comm: 'json-srv' });
  t.teardown(() => server2.kill());
  const json = startTracer(['--json', '-P', String(server2.port)]);
  t.teardown(() => json.stop('SIGKILL'));
  await json.ready;
  const { localPort } = await connectOnce('::1', server2.port);
  const line = await json.stdout.waitFor((l) => l.startsWith('{'), 5000, 'a JSON event');
  const event = JSON.parse(line) as Record<string, unknown>;
  t.same(
    Object.keys(event).sort(),
    [
      'comm',
      'event',
      'family',
      'hostname',
      'ip',
      'laddr',
      'lport',
      'mode',
      'monotonic_ns',
      'pid',
      'queue_wait_us',
      'raddr',
      'rport',
      'source',
      'state',
      'tid',
      'time',
    ].sort(),
  );
  t.equal(event.source, 'accept', 'an accept(2) row says so (io_uring rows say io_uring)');
  t.equal(event.pid, server2.pid);
  t.type(event.tid, 'number');
  t.equal(event.comm, 'json-srv');
  t.equal(event.ip, 6);
  t.equal(event.family, 'AF_INET6');
  t.equal(event.raddr, '::1');
  t.equal(event.rport, localPort);
  t.equal(event.laddr, '::1');
  t.equal(event.lport, server2.port);
  // The client closed right after connecting, so its FIN may arrive before accept().
  t.ok(['ESTABLISHED', 'CLOSE_WAIT'].includes(event.state as string), `state at accept: ${String(event.state)}`);
  t.equal(event.mode, 'accept');
  t.match(event.monotonic_ns, /^\d+$/);
  t.ok(Math.abs(Date.parse(event.time as string) - Date.now()) < 10_000, 'time is the wall clock (ISO 8601)');
  t.type(event.queue_wait_us, 'number');
  t.equal(await json.stop(), 0);
});

t.test('bad input: one clear line, exit 2, nothing loaded', async (t) => {
  const cases = [
    ['-p'],
    ['-p', 'abc'],
    ['-p', '-5'],
    ['-p', '0'],
    ['-p', '99999999999'],
    ['-P', '80,'],
    ['-P', '80,,81'],
    ['-P', '70000'],
    ['-P', ''],
    ['-4', '-6'],
    ['--bogus'],
    ['-z'],
    ['--duration', '-1'],
    ['--duration', 'x'],
  ];
  const before = new Set(loadedProgramIds());
  for (const args of cases) {
    const { code, stdout, stderr } = await runCli(args);
    t.equal(code, 2, `${args.join(' ')}: exit 2`);
    t.equal(stdout, '', 'nothing on stdout');
    const errorLines = stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('ts-tcpaccept: error:'));
    t.equal(errorLines.length, 1, `one error line: ${stderr.trim()}`);
  }
  t.same(
    loadedProgramIds().filter((id) => !before.has(id)),
    [],
    'no kernel object was created',
  );
  const help = await runCli(['--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /-P, --port PORTS/);
});

t.test('without privileges: a clear message and exit 1', kernelTest(), async (t) => {
  // setpriv empties the capability bounding set, so the CLI runs as a uid-0 process with no
  // capabilities at all: what the kernel checks is CAP_BPF/CAP_PERFMON, not the uid. (Staying
  // uid 0 keeps the clone readable wherever CI put it.) The check comes before any kernel object.
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // tap's loader hooks are not the CLI's business
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn('setpriv', ['--inh-caps=-all', '--bounding-set=-all', '--', process.execPath, cliPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('close', (c) => resolve({ code: c, stdout: out, stderr: err }));
  });
  t.equal(code, 1);
  t.equal(stdout, '');
  t.match(stderr, /needs root, or the capabilities CAP_BPF and CAP_PERFMON/);
});

t.test('every way out closes everything and exits 0: SIGTERM, --duration, SIGPIPE', kernelTest(), async (t) => {
  // More than the SIGPIPE part will connect: it connects until the pipeline ends.
  const server = await startServer({ family: 4, count: 1000 });
  t.teardown(() => server.kill());
  const before = snapshot();
  const tracer = startTracer(['-q', '-P', String(server.port)]);
  await tracer.ready;
  await stopAndCheckClean(t, tracer, before, 'SIGTERM');

  const timed = startTracer(['--duration', '0.5', '-P', String(server.port)]);
  await timed.ready;
  t.equal(await timed.exited, 0, '--duration ends with exit 0');
  t.same(await leftovers(before), { progs: [], maps: [] }, 'nothing left after --duration');

  // `ts-tcpaccept | head -1`: head takes the header and leaves; the next write meets EPIPE.
  const dir = mkdtempSync(join(tmpdir(), 'tcpaccept-pipe-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, 'pipe.sh');
  writeFileSync(script, `"${process.execPath}" "${cliPath}" -P ${server.port} | head -1\necho "status=\${PIPESTATUS[0]}"\n`);
  const pipeline = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  pipeline.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  let closed = false;
  const done = new Promise<void>((resolve) => pipeline.on('close', () => resolve()));
  void done.then(() => (closed = true));
  t.teardown(() => {
    if (!closed) pipeline.kill('SIGKILL');
  });
  // The header is printed once the programs are attached, so a connection made after it is
  // seen; one made before it is not, and would leave the tracer with nothing to write (and so
  // no EPIPE) for ever. Connect until the pipeline ends, however long the machine takes.
  const deadline = Date.now() + 30_000 * startTimeScale;
  while (!/PID/.test(out) && !closed && Date.now() < deadline) await sleep(20);
  while (!closed && Date.now() < deadline) {
    await connectOnce('127.0.0.1', server.port);
    await sleep(300);
  }
  if (!closed) {
    // A bash that never ends means the tracer ignored EPIPE: say so and free the test.
    t.fail(`the pipeline did not end within ${(30 * startTimeScale).toFixed(0)} s; it printed: ${JSON.stringify(out)}`);
    pipeline.kill('SIGKILL');
  }
  await done;
  t.match(out, /^PID\s+COMM/);
  t.match(out, /status=0/, 'the tracer exits 0 on SIGPIPE');
  t.same(await leftovers(before), { progs: [], maps: [] }, 'nothing left after SIGPIPE');
});

t.test('an exception while events flow: one line, everything closed, exit 1', kernelTest(), async (t) => {
  const server = await startServer({ family: 4, count: 3 });
  t.teardown(() => server.kill());
  const before = snapshot();
  // A preload that lets the header through, then makes the next stdout write throw: the event
  // path fails the way a bug in it would.
  const dir = mkdtempSync(join(tmpdir(), 'tcpaccept-throw-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const preload = join(dir, 'throw-on-second-write.mjs');
  writeFileSync(
    preload,
    `
const write = process.stdout.write.bind(process.stdout);
let calls = 0;
process.stdout.write = (...args) => { if (++calls === 2) throw new Error('injected write failure'); return write(...args); };
`,
  );
  const env = { ...process.env, NODE_OPTIONS: `--import=${preload}` };
  const tracer = startTracer(['-P', String(server.port)], env);
  await tracer.ready;
  await connectOnce('127.0.0.1', server.port);
  t.equal(await tracer.exited, 1, 'exit 1');
  t.match(tracer.stderr.lines.join('\n'), /ts-tcpaccept: internal error: injected write failure/);
  t.equal(tracer.stderr.lines.filter((l) => /^\s+at /.test(l)).length, 0, 'no stack trace');
  t.same(await leftovers(before), { progs: [], maps: [] }, 'nothing left loaded');
});
