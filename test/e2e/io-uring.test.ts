// io_uring accepts (issue #18) through the real CLI: a C server that accepts only through
// io_uring (test/helpers/io_uring_server.c, built here with gcc and liburing: why C is said
// there), clients in a separate Python process, ts-tcpaccept as a third process. Every mode the
// kernel has: plain (res = fd), fixed-file into an explicit slot (res = 0) or an allocated one
// (res = slot), multishot with fds and with allocated slots, and completions in io-wq workers
// (IOSQE_ASYNC) and in the SQPOLL thread. Each connection must be one row with the server's PID and COMM, the right
// addresses and ports, `"source": "io_uring"` in --json; -p and -P apply.
import t, { type Test } from 'tap';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelTest } from '../helpers/kernel.ts';
import { LineCollector, sleep, startTimeScale, startTracer, type Tracer } from '../helpers/processes.ts';
import { loadedMapIds, loadedProgramIds } from '../../src/syscalls/index.ts';

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, '..', 'helpers', 'io_uring_server.c');
/** The server's COMM: its executable's name (15 characters fit TASK_COMM_LEN). */
const COMM = 'io_uring_server';

/**
 * The server binary, built once per source version into the temporary directory (the guests
 * of the kernel matrix see the host's /tmp, or build into their own): a cache keyed by the
 * source's hash, written under a temporary name and renamed, so concurrent runs cannot see half
 * a binary.
 */
function serverBinary(): string {
  const hash = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'ts-tcpaccept-io-uring');
  const binary = join(dir, `io_uring_server-${hash}`);
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  const scratch = mkdtempSync(join(dir, 'build-'));
  try {
    const built = join(scratch, COMM);
    const gcc = spawnSync('gcc', ['-O2', '-Wall', '-o', built, source, '-luring'], { encoding: 'utf8' });
    if (gcc.error || gcc.status !== 0) {
      throw new Error(`building ${source} failed (apt-get install gcc liburing-dev): ${gcc.error?.message ?? gcc.stderr}`);
    }
    renameSync(built, binary);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return binary;
}

/** The same binary under the name the server's COMM should be: a directory per run with a link. */
function serverCommand(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ts-tcpaccept-iou-'));
  const link = join(dir, COMM);
  execFileSync('ln', ['-s', serverBinary(), link]);
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return link;
}

type Mode = 'plain' | 'fixed' | 'fixed-alloc' | 'multishot' | 'multishot-fixed';
/** async: IOSQE_ASYNC (an io-wq worker completes); sqpoll: IORING_SETUP_SQPOLL; v6: [::1]. */
type Extra = 'async' | 'sqpoll' | 'v6';

interface UringServer {
  pid: number;
  port: number;
  accepted(n: number): Promise<void>;
  kill(): void;
}

async function startUringServer(command: string, mode: Mode, count: number, extra: Array<Extra> = []): Promise<UringServer> {
  const child = spawn(command, [mode, '0', String(count), ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = new LineCollector(child.stdout!);
  const err = new LineCollector(child.stderr!);
  const failed = new Promise<never>((_, reject) =>
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`io_uring_server ${mode} exited ${code}: ${err.lines.join('\n')}`));
    }),
  );
  failed.catch(() => {});
  const ready = await Promise.race([out.waitFor((l) => l.startsWith('ready '), 10_000 * startTimeScale, 'the server ready line'), failed]);
  const pidLine = await out.waitFor((l) => l.startsWith('pid '));
  return {
    pid: Number(pidLine.split(' ')[1]),
    port: Number(ready.split(' ')[1]),
    accepted: (n) =>
      Promise.race([
        out.waitFor((l) => l.startsWith(`accepted ${n} `), 10_000 * startTimeScale, `accept ${n} (${mode})`).then(() => undefined),
        failed,
      ]),
    kill: () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/**
 * Connects `count` times from a separate Python process and returns the client ports, in
 * order; each connection is closed once made.
 */
function connectFromPython(host: string, port: number, count: number): number[] {
  const script = `
import socket, sys
host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for _ in range(count):
    s = socket.create_connection((host, port))
    print(s.getsockname()[1], flush=True)
    s.close()
`;
  const out = execFileSync('python3', ['-c', script, host, String(port), String(count)], { encoding: 'utf8' });
  return out.trim().split('\n').map(Number);
}

interface JsonRow {
  pid: number;
  tid: number;
  comm: string;
  ip: number;
  raddr: string;
  rport: number;
  laddr: string;
  lport: number;
  source: string;
  mode: string;
}

// `pid` as well when servers of both families are listening: an IPv4 and an IPv6 listener may
// get the same port number (6.12 guest: the IPv6 multishot server's rows were counted as the
// IPv4 sqpoll server's, whose port they shared).
const jsonRows = (tracer: Tracer, port: number, pid?: number): JsonRow[] =>
  tracer.stdout.lines
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as JsonRow)
    .filter((r) => r.lport === port && (pid === undefined || r.pid === pid));

async function waitJsonRows(tracer: Tracer, port: number, n: number, pid?: number): Promise<JsonRow[]> {
  const deadline = Date.now() + 5000 * startTimeScale;
  for (;;) {
    const rows = jsonRows(tracer, port, pid);
    if (rows.length >= n) return rows;
    if (Date.now() > deadline)
      throw new Error(
        `expected ${n} rows for port ${port}, got ${rows.length}:\n${tracer.stdout.lines.join('\n')}\nstderr:\n${tracer.stderr.lines.join('\n')}`,
      );
    await sleep(20);
  }
}

const snapshot = () => ({ progs: new Set(loadedProgramIds()), maps: new Set(loadedMapIds()) });

async function stopAndCheckClean(t: Test, tracer: Tracer, before: ReturnType<typeof snapshot>): Promise<void> {
  t.equal(await tracer.stop('SIGINT'), 0, 'the tracer exits 0 on SIGINT');
  const deadline = Date.now() + 3000 * startTimeScale;
  let left: { progs: number[]; maps: number[] };
  for (;;) {
    left = { progs: loadedProgramIds().filter((id) => !before.progs.has(id)), maps: loadedMapIds().filter((id) => !before.maps.has(id)) };
    if ((left.progs.length === 0 && left.maps.length === 0) || Date.now() > deadline) break;
    await sleep(50);
  }
  t.same(left, { progs: [], maps: [] }, 'no program or map left loaded');
}

const hasIoUringTracepoints = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'].some((root) =>
  existsSync(join(root, 'events', 'io_uring', 'io_uring_complete')),
);

t.test(
  'every io_uring accept mode: one row per connection, the server PID and COMM, source io_uring',
  kernelTest({ btf: true }),
  async (t) => {
    if (!hasIoUringTracepoints) {
      t.fail('this kernel has no io_uring tracepoints (the matrix kernels all have them)');
      return;
    }
    const command = serverCommand();
    const COUNT = 3;
    const cases: Array<{ mode: Mode; extra: Array<Extra> }> = [
      { mode: 'plain', extra: [] },
      { mode: 'plain', extra: ['async'] },
      { mode: 'fixed', extra: [] },
      { mode: 'fixed-alloc', extra: ['async'] },
      { mode: 'multishot', extra: [] },
      { mode: 'multishot-fixed', extra: ['v6'] },
      { mode: 'plain', extra: ['sqpoll'] },
      { mode: 'fixed', extra: ['sqpoll'] },
    ];
    const servers: Array<{ mode: Mode; extra: Array<Extra>; server: UringServer }> = [];
    for (const c of cases) servers.push({ ...c, server: await startUringServer(command, c.mode, COUNT, c.extra) });
    t.teardown(() => {
      for (const s of servers) s.server.kill();
    });
    const before = snapshot();
    const tracer = startTracer(['--json', '-P', servers.map((s) => s.server.port).join(',')]);
    t.teardown(() => tracer.stop('SIGKILL'));
    await tracer.ready;
    for (const { mode, extra, server } of servers) {
      const name = `${mode}${extra.length > 0 ? ` (${extra.join(', ')})` : ''}`;
      const v6 = extra.includes('v6');
      const clients = connectFromPython(v6 ? '::1' : '127.0.0.1', server.port, COUNT);
      await server.accepted(COUNT);
      const rows = await waitJsonRows(tracer, server.port, COUNT, server.pid);
      await sleep(200);
      t.equal(jsonRows(tracer, server.port, server.pid).length, COUNT, `${name}: exactly one row per connection`);
      t.same(rows.map((r) => r.rport).sort(), [...clients].sort(), `${name}: every client port once`);
      for (const r of rows) {
        t.same(
          [r.pid, r.comm, r.ip, r.raddr, r.laddr, r.source, r.mode],
          [server.pid, COMM, v6 ? 6 : 4, v6 ? '::1' : '127.0.0.1', v6 ? '::1' : '127.0.0.1', 'io_uring', 'accept'],
          `${name}: the server's PID and COMM, addresses, source io_uring`,
        );
        // With IOSQE_ASYNC the worker may arm a poll and the CQE then comes from task_work in the
        // server's own thread (6.1 does that for most accepts; 6.12 and 6.18 complete in the
        // worker): only SQPOLL always completes in another thread, iou-sqp-PID.
        if (extra.length === 0) t.equal(r.tid, server.pid, `${name}: completed in the server's own thread`);
        else if (extra.includes('sqpoll'))
          t.not(r.tid, server.pid, `${name}: completed in the SQPOLL thread (its TID; COMM the process's)`);
      }
    }
    await stopAndCheckClean(t, tracer, before);
  },
);

t.test('io_uring accepts: -P and -p apply', kernelTest({ btf: true }), async (t) => {
  if (!hasIoUringTracepoints) {
    t.fail('this kernel has no io_uring tracepoints');
    return;
  }
  const command = serverCommand();
  const a = await startUringServer(command, 'multishot', 2);
  const b = await startUringServer(command, 'plain', 2);
  t.teardown(() => {
    a.kill();
    b.kill();
  });
  const before = snapshot();
  // One tracer that must see only port A, one that must see only process B: both at once.
  const onlyA = startTracer(['--json', '-P', String(a.port)]);
  const onlyB = startTracer(['--json', '-p', String(b.pid), '-P', `${a.port},${b.port}`]);
  t.teardown(async () => {
    await Promise.all([onlyA.stop('SIGKILL'), onlyB.stop('SIGKILL')]);
  });
  await Promise.all([onlyA.ready, onlyB.ready]);
  connectFromPython('127.0.0.1', a.port, 2);
  connectFromPython('127.0.0.1', b.port, 2);
  await a.accepted(2);
  await b.accepted(2);
  await waitJsonRows(onlyA, a.port, 2);
  await waitJsonRows(onlyB, b.port, 2);
  await sleep(300);
  t.equal(jsonRows(onlyA, a.port).length, 2, '-P A: both accepts on A');
  t.equal(jsonRows(onlyA, b.port).length, 0, '-P A: none on B');
  t.equal(jsonRows(onlyB, b.port).length, 2, "-p B: both of B's accepts");
  t.equal(jsonRows(onlyB, a.port).length, 0, "-p B: none of A's, though its port is listed");
  t.ok(
    jsonRows(onlyB, b.port).every((r) => r.pid === b.pid),
    "-p B: the rows are B's",
  );
  t.equal(await onlyB.stop('SIGINT'), 0, 'the second tracer exits 0');
  await stopAndCheckClean(t, onlyA, before);
});
