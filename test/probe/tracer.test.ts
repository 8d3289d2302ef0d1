// TcpAcceptTracer through the library API: both ways out of the kernel (BPF ring buffer and
// per-CPU perf rings) deliver the same events, and a ring buffer too small for a burst reports
// the records it refused through the in-kernel lost counter instead of dropping them silently.
import t from 'tap';
import { spawn } from 'node:child_process';
import { kernelTest } from '../helpers/kernel.ts';
import { connectOnce, startServer, startTimeScale } from '../helpers/processes.ts';
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
  const server = await startServer({ family: 4, count: connections });
  t.teardown(() => server.kill());
  let delivered = 0;
  let reported = 0;
  // One page per CPU (an 8 KiB ring on 2 CPUs: ~90 records) and a consumer that stalls the
  // event loop for a millisecond per event: the kernel must refuse records, and count them.
  const tracer = TcpAcceptTracer.open({
    ports: [server.port],
    ring: { dataPages: 1, flushIntervalMs: 20 },
    onEvent: () => {
      delivered++;
      const until = performance.now() + 1;
      while (performance.now() < until);
    },
    onLost: (count) => {
      reported += count;
    },
  });
  t.teardown(() => tracer.close());
  // A separate client process, so the burst is not slowed by our stalled event loop.
  const client = spawn(
    'python3',
    [
      '-c',
      `
import socket, struct
for _ in range(${connections}):
    s = socket.create_connection(('127.0.0.1', ${server.port}))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    s.close()
`,
    ],
    { stdio: 'inherit' },
  );
  await new Promise((resolve) => client.on('exit', resolve));
  // The tracer traces accept(), so its count is the server's, which may be below the client's:
  // on a slow machine (TCG) the server falls behind, the accept queue fills, and a client whose
  // final ACK was dropped resets before it is ever accepted. 3000 accepts take ~40 s under TCG.
  const accepted = await server.acceptedSettled(connections, 3000 * startTimeScale, 60_000 * startTimeScale);
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
