// ListenerOwnerResolver against the real kernel with idle connections open: a Python child holds
// four loopback listeners (127.0.0.1, ::1, 0.0.0.0, dual-stack ::) and 500 accepted, idle
// connections to each, both ends (4 004 fds), plus a forked sleeper sharing the listeners. The
// owner must be the child (the lowest PID holding them), found through sock_diag, and misses on
// ports nobody listens on must rescan at most once per interval. Run it under
// `flock /tmp/ts-tcpaccept-kernel.lock` like every kernel test (2 shared cores).
import t from 'tap';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ListenerOwnerResolver, readSockDiagListeners } from '../../src/probe/owner.ts';
import { kernelTest } from '../helpers/kernel.ts';

const PER_LISTENER = 500;

// Blocking connect() + accept() pairs: on loopback the kernel completes the handshake inside
// connect(). SO_LINGER 0 on the clients: their close at exit is an RST, no TIME_WAIT left behind.
const CHILD = `
import json, os, signal, socket, struct, sys, time
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
held = []
ports = {}
for name, family, bind, target in [('v4', socket.AF_INET, '127.0.0.1', '127.0.0.1'), ('v6', socket.AF_INET6, '::1', '::1'),
                                   ('any4', socket.AF_INET, '0.0.0.0', '127.0.0.1'), ('any6', socket.AF_INET6, '::', '::1')]:
    server = socket.socket(family, socket.SOCK_STREAM)
    server.bind((bind, 0))
    server.listen(${PER_LISTENER})
    held.append(server)
    ports[name] = server.getsockname()[1]
    for _ in range(${PER_LISTENER}):
        client = socket.socket(family, socket.SOCK_STREAM)
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        client.connect((target, ports[name]))
        held.append(client)
    for _ in range(${PER_LISTENER}):
        held.append(server.accept()[0])
sharer = os.fork()
if sharer == 0:
    signal.sigwait({signal.SIGTERM})
    os._exit(0)
print('ready ' + json.dumps({'pid': os.getpid(), 'sharer': sharer, 'ports': ports, 'fds': len(held)}), flush=True)
signal.sigwait({signal.SIGTERM})
os.kill(sharer, signal.SIGTERM)
os.waitpid(sharer, 0)
`;

interface Ready {
  pid: number;
  sharer: number;
  ports: { v4: number; v6: number; any4: number; any6: number };
  fds: number;
}

t.test('owners found among idle connections; misses rescan once per interval', kernelTest(), async (t) => {
  const child = spawn('python3', ['-c', CHILD], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  t.teardown(async () => {
    child.kill('SIGTERM');
    await exited;
  });
  const ready = await new Promise<Ready>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('ready ')) resolve(JSON.parse(line.slice(6)) as Ready);
    });
    child.once('exit', (code) => reject(new Error(`the Python child exited ${code} before it was ready`)));
  });
  t.equal(ready.fds, 4 + 4 * 2 * PER_LISTENER);

  const resolver = new ListenerOwnerResolver({ rescanIntervalMs: 200 });
  const start = process.hrtime.bigint();
  resolver.rescan();
  t.comment(`cold rescan: ${(Number(process.hrtime.bigint() - start) / 1e6).toFixed(1)} ms, ${resolver.linksRead} links read`);
  const child4 = { pid: ready.pid, comm: 'python3' };
  t.same(resolver.resolve('127.0.0.1', ready.ports.v4), child4, 'the child, not the forked sharer (higher PID)');
  t.same(resolver.resolve('::1', ready.ports.v6), child4);
  t.same(resolver.resolve('127.0.0.1', ready.ports.any4), child4, 'through the 0.0.0.0 listener');
  t.same(resolver.resolve('::1', ready.ports.any6), child4, 'through the :: listener');
  t.same(resolver.resolve('127.0.0.1', ready.ports.any6), child4, 'IPv4 connection to the dual-stack listener');
  const inode = readSockDiagListeners().find((l) => l.port === ready.ports.v4)?.inode;
  t.ok(inode !== undefined, 'sock_diag lists the listener');
  t.same(resolver.ownerOfInode(inode!), child4);
  t.equal(resolver.scans, 1, 'every one of those was a hit');

  // Ports nobody listens on, a different one each time, for ~1.2 s.
  const listening = new Set(readSockDiagListeners().map((l) => l.port));
  const free = Array.from({ length: 20_000 }, (_, i) => 20_000 + i).filter((p) => !listening.has(p));
  const scans = resolver.scans;
  const began = Date.now();
  let misses = 0;
  let answered = 0;
  while (Date.now() - began < 1200) {
    if (resolver.resolve('127.0.0.1', free[misses % free.length]!) !== undefined) answered++;
    misses++;
    if (misses % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  const elapsed = Date.now() - began;
  const rescans = resolver.scans - scans;
  t.comment(`${misses} misses in ${elapsed} ms: ${rescans} rescans, last ${resolver.lastScanMs} ms`);
  t.equal(answered, 0);
  t.ok(rescans >= 2, 'misses still rescan, once per interval');
  t.ok(rescans <= Math.floor(elapsed / 200) + 1, `at most one rescan per 200 ms (${rescans} in ${elapsed} ms)`);
});
