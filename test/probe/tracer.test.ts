// TcpAcceptTracer through the library API: both ways out of the kernel (BPF ring buffer and
// per-CPU perf rings) deliver the same events, and a ring buffer too small for a burst reports
// the records it refused through the in-kernel lost counter instead of dropping them silently.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { kernelTest } from '../helpers/kernel.ts';
import { LineCollector, connectOnce, startServer, startTimeScale } from '../helpers/processes.ts';
import { TcpAcceptTracer, decodeRecord, planPrograms, ringBufferBytes, type AcceptEvent } from '../../src/internal.ts';
import { recordedKernel } from './golden/variants.ts';

// Planning is pure given a kernel's BTF and tracepoint formats: the planning tests use the
// recorded kernel (test/fixtures/kernel), so they run without root (tracefs is root's only).
const recorded = recordedKernel();

t.test('planning: ring buffer by default, perf on request; sizes are powers of two', async (t) => {
  t.equal(ringBufferBytes(1, 2), 8192);
  t.equal(ringBufferBytes(3, 2), 32768, '3 pages x 2 CPUs rounds up to 8 pages');
  t.equal(ringBufferBytes(256, 2), 2 * 1024 * 1024);
  const ring = planPrograms({ ...recorded });
  t.equal(ring.output.kind, 'ringbuf');
  t.ok(ring.maps.includes('lost'), 'the ring buffer program counts refused records');
  t.match(ring.programs[0]!.text, /call bpf_ringbuf_output/);
  const perf = planPrograms({ ...recorded, output: 'perf' });
  t.equal(perf.output.kind, 'perf');
  t.notOk(perf.maps.includes('lost'), 'perf rings count losses themselves');
  t.match(perf.programs[0]!.text, /call bpf_perf_event_output/);
});

for (const output of ['ringbuf', 'perf'] as const) {
  // Accept mode (the server's pid) plans from the kernel's BTF: without it, skip with that reason.
  t.test(`${output}: every accept arrives once, with the server's pid`, kernelTest({ btf: true }), async (t) => {
    const server = await startServer({ family: 4, count: 20, comm: `srv-${output}` });
    t.teardown(() => server.kill());
    const events: AcceptEvent[] = [];
    const tracer = TcpAcceptTracer.open({ output, ports: [server.port], ring: { flushIntervalMs: 20 }, onEvent: (e) => events.push(e) });
    t.teardown(() => tracer.close());
    t.equal(tracer.output, output);
    const clientPorts = [];
    for (let i = 0; i < 20; i++) clientPorts.push((await connectOnce('127.0.0.1', server.port)).localPort);
    await server.accepted(20);
    const deadline = Date.now() + 3000 * startTimeScale;
    while (events.length < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    t.same(events.map((e) => e.remotePort).sort(), clientPorts.sort());
    t.ok(events.every((e) => e.pid === server.pid && e.comm === `srv-${output}` && e.localPort === server.port));
    t.equal(tracer.lost, 0);
  });
}

t.test(
  'onAcceptRecord: accepts arrive as ring bytes, in connection order, decoding to the events',
  kernelTest({ btf: true }),
  async (t) => {
    const server = await startServer({ family: 6, count: 10, comm: 'srv-raw' });
    t.teardown(() => server.kill());
    const raw: AcceptEvent[] = [];
    const decoded: AcceptEvent[] = [];
    const tracer = TcpAcceptTracer.open({
      ports: [server.port],
      queueWait: true,
      ring: { flushIntervalMs: 20 },
      // The bytes are only valid during the call: decode them there, as a consumer copies what it keeps.
      onAcceptRecord: (record) => {
        raw.push(decodeRecord(record));
      },
      onEvent: (e) => decoded.push(e),
    });
    t.teardown(() => tracer.close());
    const clientPorts = [];
    for (let i = 0; i < 10; i++) clientPorts.push((await connectOnce('::1', server.port)).localPort);
    await server.accepted(10);
    const deadline = Date.now() + 3000 * startTimeScale;
    while (raw.length < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    t.same(
      raw.map((e) => e.remotePort),
      clientPorts,
      'every accept, in the order of the connections',
    );
    t.ok(raw.every((e) => e.pid === server.pid && e.comm === 'srv-raw' && e.source === 'accept' && e.queueWaitNs !== undefined));
    t.equal(decoded.length, 0, 'accepts do not also go to onEvent');
    t.equal(tracer.recordsRead, 10);
  },
);

t.test('a full ring buffer reports what it refused', kernelTest({ btf: true }), async (t) => {
  const connections = 3000;
  // Its own server, which prints nothing per accept: while this process's event loop is blocked
  // (below) nobody reads the server's stdout, and a line per accept fills that socket after
  // ~1 100 lines, stalling the server and then the client. It prints its total once no
  // connection has come for 3 s (x time scale) after the first.
  const server = spawn(
    'python3',
    [
      '-c',
      `
import select, socket
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(('127.0.0.1', 0))
srv.listen(1024)
print(f'PORT {srv.getsockname()[1]}', flush=True)
n = 0
while n < ${connections}:
    if not select.select([srv], [], [], None if n == 0 else ${3 * startTimeScale})[0]:
        break
    srv.accept()[0].close()
    n += 1
print(f'ACCEPTED_TOTAL {n}', flush=True)
`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  t.teardown(() => {
    if (server.exitCode === null) server.kill('SIGKILL');
  });
  const serverOut = new LineCollector(server.stdout);
  const port = Number((await serverOut.waitFor((l) => l.startsWith('PORT '), 10_000 * startTimeScale, 'the port')).split(' ')[1]);
  let delivered = 0;
  let reported = 0;
  // One page per CPU (an 8 KiB ring on 2 CPUs: ~90 records). The ring is drained by this
  // process's event loop, so a burst made while that loop cannot run must overflow it, however
  // fast the reader or the machine: the client runs synchronously (spawnSync), the server in its
  // own process. (A consumer that spun 1 ms per event was not enough: on a machine where the
  // client made ~1 000 connections a second, it kept up and nothing was lost.)
  const tracer = TcpAcceptTracer.open({
    ports: [port],
    ring: { dataPages: 1, flushIntervalMs: 20 },
    onEvent: () => {
      delivered++;
    },
    onLost: (count) => {
      reported += count;
    },
  });
  t.teardown(() => tracer.close());
  const client = spawnSync(
    'python3',
    [
      '-c',
      `
import socket, struct
for _ in range(${connections}):
    s = socket.create_connection(('127.0.0.1', ${port}))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    s.close()
`,
    ],
    { stdio: 'inherit', timeout: 120_000 * startTimeScale },
  );
  t.equal(client.status, 0, 'the client made every connection');
  // The tracer traces accept(), so its count is the server's, which may be below the client's:
  // on a slow machine (TCG) the server falls behind, the accept queue fills, and a client whose
  // final ACK was dropped resets before it is ever accepted. 3000 accepts take ~40 s under TCG.
  const total = await serverOut.waitFor((l) => l.startsWith('ACCEPTED_TOTAL '), 60_000 * startTimeScale, "the server's total");
  const accepted = Number(total.split(' ')[1]);
  // What is still in the ring arrives with the next wakeups; a refused record is counted in
  // the ring's lost counter, which pollLost reads.
  const deadline = Date.now() + 10_000 * startTimeScale;
  do {
    await new Promise((r) => setTimeout(r, 100));
    reported += tracer.pollLost();
  } while (delivered + reported < accepted && Date.now() < deadline);
  t.ok(reported > 0, `losses were reported (${reported})`);
  t.equal(tracer.lost, reported, 'tracer.lost agrees with what onLost was told');
  t.equal(
    delivered + reported,
    accepted,
    `delivered ${delivered} + lost ${reported} = every accept (${accepted} of ${connections} connections)`,
  );
});

t.test('every planned program: its listing (what --ebpf prints) assembles back to the same bytes', async (t) => {
  const { parse } = await import('../../src/internal.ts');
  const plans = [
    planPrograms({ ...recorded }),
    planPrograms({ ...recorded, queueWait: true, pid: 42, ports: [80, 443], ipVersion: 4 }),
    planPrograms({ ...recorded, ipVersion: 6, cgroupId: 123456789n }),
    planPrograms({ ...recorded, handshake: true, ports: [22] }),
    planPrograms({ ...recorded, output: 'perf', queueWait: true }),
  ];
  for (const plan of plans) {
    for (const p of plan.programs) {
      // An fd for every map the program names (the io_uring programs add their own).
      const fds = Object.fromEntries(p.program.mapNames.map((name, i) => [name, 3 + i]));
      const listing = p.program.disassemble({ slots: true });
      t.same(parse(listing).bytecode(fds), p.program.bytecode(fds), `${plan.mode} ${p.name} (${p.program.instructionCount} slots)`);
      t.ok(p.program.instructionCount < 4096, 'well within the verifier limits');
    }
  }
});
