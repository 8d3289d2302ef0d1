// SockDiag against the real kernel: layouts checked against BTF, a listener that stops
// accepting compared with what `ss -tlnm` prints for it, the family filter, the fd's
// lifetime, and the cost of a poll with 1000 listeners. Loopback only.
import t, { type Test } from 'tap';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { Btf, KERNEL_BTF_PATH } from '../../src/syscalls/btf.ts';
import { SOCK_DIAG_LAYOUT, SockDiag, type TcpListener } from '../../src/syscalls/index.ts';
import { kernelTest } from '../helpers/kernel.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

t.test('every offset matches the kernel BTF', existsSync(KERNEL_BTF_PATH) ? {} : { skip: 'no /sys/kernel/btf/vmlinux' }, async (t) => {
  const btf = Btf.kernel();
  t.teardown(() => btf.close());
  for (const [struct, fields] of Object.entries(SOCK_DIAG_LAYOUT)) {
    let size: number;
    try {
      size = btf.sizeOf(`struct ${struct}`);
    } catch (error) {
      // Kernels that build inet_diag as a module (Debian's 6.1 and 6.12) keep its uapi structs
      // in the module's split BTF (/sys/kernel/btf/inet_diag), which Btf does not read: there
      // the layout is checked by the dumps below against ss, not here.
      if (existsSync('/sys/kernel/btf/inet_diag') && /has no type named/.test((error as Error).message)) {
        t.comment(`struct ${struct} is in the inet_diag module's BTF, not vmlinux's: not compared here`);
        continue;
      }
      throw error;
    }
    t.equal(size, fields.size, `sizeof(struct ${struct})`);
    for (const [member, offset] of Object.entries(fields)) {
      if (member === 'size') continue;
      t.equal(btf.offsetOf(struct, member).byteOffset, offset, `${struct}.${member}`);
    }
  }
});

/** A listener with an exact backlog that never accepts (Node's net.Server always accepts). */
interface BacklogServer {
  port: number;
  pid: number;
  /** socket:[inode] of its listening fd, from /proc/PID/fd. */
  inode: number;
  stop(): Promise<void>;
}

const backlogServerScript = `
import socket, sys
family = socket.AF_INET if sys.argv[1] == '4' else socket.AF_INET6
s = socket.socket(family, socket.SOCK_STREAM)
s.bind(('127.0.0.1' if sys.argv[1] == '4' else '::1', 0))
s.listen(int(sys.argv[2]))
print(s.getsockname()[1], s.fileno(), flush=True)
sys.stdin.read()
`;

const running = new Set<ChildProcessWithoutNullStreams>();
// A failed test must not leave a server waiting on its stdin: that would keep this file alive.
t.teardown(() => {
  for (const child of running) child.kill('SIGKILL');
});

async function startBacklogServer(family: 4 | 6, backlog: number): Promise<BacklogServer> {
  const child: ChildProcessWithoutNullStreams = spawn('python3', ['-c', backlogServerScript, String(family), String(backlog)]);
  running.add(child);
  child.on('exit', () => running.delete(child));
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const newline = stdout.indexOf('\n');
      if (newline >= 0) resolve(stdout.slice(0, newline));
    });
    child.on('exit', (code) => reject(new Error(`backlog server exited (${code}): ${stderr}`)));
  });
  const [port, fd] = line.trim().split(' ').map(Number) as [number, number];
  const link = readlinkSync(`/proc/${child.pid}/fd/${fd}`);
  const inode = Number(/^socket:\[(\d+)\]$/.exec(link)?.[1]);
  return {
    port,
    pid: child.pid!,
    inode,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.stdin.end();
      await exited;
    },
  };
}

/** What `ss -tlnm` prints for the listener on `port`: Recv-Q, Send-Q and skmem's d. */
function ssListener(family: 4 | 6, port: number): { recvQ: number; sendQ: number; drops: number } {
  const result = spawnSync('ss', ['-tlnmH', `-${family}`, `sport = :${port}`], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`ss failed: ${result.stderr}`);
  const head = /^LISTEN\s+(\d+)\s+(\d+)\s/m.exec(result.stdout);
  const drops = /skmem:\([^)]*\bd(\d+)\)/.exec(result.stdout);
  if (head === null || drops === null) throw new Error(`ss printed no listener on port ${port}:\n${result.stdout}`);
  return { recvQ: Number(head[1]), sendQ: Number(head[2]), drops: Number(drops[1]) };
}

/** The cgroup v2 id of process `pid`: the inode of its cgroup directory, or undefined without cgroup2. */
function cgroupIdOf(pid: number): bigint | undefined {
  const mount = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .find((f) => f[2] === 'cgroup2')?.[1];
  const path = /^0::(.*)$/m.exec(readFileSync(`/proc/${pid}/cgroup`, 'utf8'))?.[1];
  if (mount === undefined || path === undefined) return undefined;
  return statSync(`${mount}${path}`, { bigint: true }).ino;
}

function find(listeners: TcpListener[], family: 4 | 6, port: number): TcpListener | undefined {
  return listeners.find((l) => l.family === family && l.localPort === port);
}

async function waitFor<T>(what: string, fn: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function fullListener(t: Test, diag: SockDiag, family: 4 | 6): Promise<void> {
  const backlog = 3;
  const extra = 2;
  const server = await startBacklogServer(family, backlog);
  const host = family === 4 ? '127.0.0.1' : '::1';
  const clients: Socket[] = [];
  const connected = new Set<Socket>();
  t.teardown(async () => {
    for (const c of clients) c.destroy();
    await server.stop();
  });

  const idle = find(diag.tcpListeners(), family, server.port);
  t.ok(idle, 'the listener is listed');
  t.match(idle, {
    family,
    localAddr: host,
    localPort: server.port,
    queue: 0,
    queueMax: backlog,
    drops: 0,
    inode: server.inode,
    uid: process.getuid!(),
  });
  const cgroupId = cgroupIdOf(server.pid);
  if (cgroupId === undefined) t.comment('no cgroup2 mount: cgroupId not compared');
  else t.equal(idle?.cgroupId, cgroupId, "INET_DIAG_CGROUP_ID is the owner's cgroup v2 id");

  // backlog + 1 handshakes complete (the queue is full only when it holds more than the
  // backlog: sk_acceptq_is_full); the SYNs of the others are dropped and counted.
  for (let i = 0; i < backlog + 1 + extra; i++) {
    const socket = connect({ host, port: server.port });
    socket.on('error', () => {});
    socket.on('connect', () => connected.add(socket));
    clients.push(socket);
  }
  const full = await waitFor('a full accept queue with drops', () => {
    const l = find(diag.tcpListeners({ family }), family, server.port);
    return l !== undefined && l.queue === backlog + 1 && (l.drops ?? 0) >= extra && connected.size === backlog + 1 ? l : undefined;
  });
  t.equal(full.queue, backlog + 1, 'queue = backlog + 1 when full');
  t.equal(full.queueMax, backlog, 'queueMax = the backlog');

  // Stop the clients still in SYN_SENT so that no retransmitted SYN changes the count between
  // our read and ss's.
  for (const c of clients) if (!connected.has(c)) c.destroy();
  await sleep(50);
  let ours: TcpListener | undefined;
  let theirs: ReturnType<typeof ssListener> | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    ours = find(diag.tcpListeners(), family, server.port);
    theirs = ssListener(family, server.port);
    const again = find(diag.tcpListeners(), family, server.port);
    if (ours?.drops === again?.drops && ours?.queue === again?.queue) break;
    await sleep(200);
  }
  t.same(
    { queue: ours?.queue, queueMax: ours?.queueMax, drops: ours?.drops },
    { queue: theirs?.recvQ, queueMax: theirs?.sendQ, drops: theirs?.drops },
    `equal to ss -tlnm: Recv-Q ${theirs?.recvQ}, Send-Q ${theirs?.sendQ}, d${theirs?.drops}`,
  );
}

t.test('a listener that stops accepting, against ss -tlnm', kernelTest(), async (t) => {
  const diag = SockDiag.open();
  t.teardown(() => diag.close());
  await t.test('IPv4', (t) => fullListener(t, diag, 4));
  await t.test('IPv6', (t) => fullListener(t, diag, 6));
});

t.test('the family filter', kernelTest(), async (t) => {
  const diag = SockDiag.open();
  t.teardown(() => diag.close());
  const v4 = await startBacklogServer(4, 5);
  t.teardown(() => v4.stop());
  const v6 = await startBacklogServer(6, 5);
  t.teardown(() => v6.stop());
  const all = diag.tcpListeners();
  const only4 = diag.tcpListeners({ family: 4 });
  const only6 = diag.tcpListeners({ family: 6 });
  t.ok(find(all, 4, v4.port) && find(all, 6, v6.port), 'both without a filter');
  t.ok(only4.every((l) => l.family === 4) && find(only4, 4, v4.port), 'family 4: only IPv4, ours among them');
  t.ok(only6.every((l) => l.family === 6) && find(only6, 6, v6.port), 'family 6: only IPv6, ours among them');
  t.equal(all.length, only4.length + only6.length, 'the two families partition the list (no listener twice)');
});

t.test('one socket for every call, closed by close()', kernelTest(), async (t) => {
  const diag = SockDiag.open();
  const fd = diag.fd;
  const link = readlinkSync(`/proc/self/fd/${fd}`);
  t.match(link, /^socket:\[\d+\]$/, `fd ${fd} is a socket`);
  const flags = /^flags:\s+(\d+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
  t.ok(flags !== undefined && (parseInt(flags, 8) & 0o2000000) !== 0, 'opened with SOCK_CLOEXEC');
  for (let i = 0; i < 20; i++) diag.tcpListeners();
  t.equal(diag.fd, fd, 'the same fd after many calls');
  t.equal(readlinkSync(`/proc/self/fd/${fd}`), link, 'the same socket');
  diag.close();
  diag.close();
  t.equal(diag.closed, true);
  let now: string | undefined;
  try {
    now = readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    now = undefined;
  }
  t.not(now, link, 'the socket is gone from /proc/self/fd after close()');
  t.throws(() => diag.tcpListeners(), /NETLINK_SOCK_DIAG socket is closed/, 'use after close fails loudly');
});

t.test('benchmark: tcpListeners() with 1000 listeners (figure only, no time asserted)', kernelTest(), async (t) => {
  const servers: Server[] = [];
  t.teardown(async () => {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });
  for (let i = 0; i < 1000; i++) {
    const server = createServer();
    server.listen({ host: i % 2 === 0 ? '127.0.0.1' : '::1', port: 0, backlog: 16 });
    servers.push(server);
  }
  await Promise.all(servers.map((s) => (s.listening ? undefined : once(s, 'listening'))));
  const diag = SockDiag.open();
  t.teardown(() => diag.close());
  const listeners = diag.tcpListeners();
  const ports = new Set(listeners.map((l) => l.localPort));
  t.ok(
    servers.every((s) => ports.has((s.address() as { port: number }).port)),
    `all 1000 found among ${listeners.length}`,
  );

  for (let i = 0; i < 50; i++) diag.tcpListeners(); // warm-up: JIT, caches
  const runs = 500;
  const wall: number[] = [];
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    diag.tcpListeners();
    wall.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  const cpu = process.cpuUsage(cpuBefore);
  wall.sort((a, b) => a - b);
  const median = wall[runs >> 1]!;
  const p90 = wall[Math.floor(runs * 0.9)]!;
  const perCallUser = cpu.user / runs;
  const perCallSystem = cpu.system / runs;
  t.comment(
    `tcpListeners() with ${listeners.length} listeners: median ${median.toFixed(0)} µs wall (p90 ${p90.toFixed(0)} µs); ` +
      `CPU per call ${(perCallUser + perCallSystem).toFixed(0)} µs (user ${perCallUser.toFixed(0)}, system ${perCallSystem.toFixed(0)}) over ${runs} calls`,
  );
  t.pass('measured');
});
