// perf_event_open on the real kernel, once per FFI backend: BPF_OUTPUT events per CPU with
// their mmapped rings, tracepoint events, and a program writing into those rings through a
// perf event array while watchReadable reports it.
import t from 'tap';
import { kernelTest } from '../helpers/kernel.ts';
import { createMap, loadProgram, MapType, ProgType } from '../../src/syscalls/bpf.ts';
import { KernelError } from '../../src/syscalls/errors.ts';
import { PERF_MMAP_DATA_HEAD, PERF_MMAP_DATA_OFFSET, PERF_MMAP_DATA_SIZE } from '../../src/perf/layout.ts';
import {
  attachTracepoint,
  mmapFd,
  onlineCpus,
  openBpfOutputEvent,
  openTracepointEvent,
  pageSize,
  watchReadable,
} from '../../src/syscalls/perf-event.ts';
import { eachBackend, inetSockSetState, insn, loopbackConnection } from './backends.ts';
import { fdsLeftOpenSince, openFds } from '../helpers/fds.ts';

const ringPages = 2;

eachBackend(t, 'a BPF output event per CPU, mmapped', kernelTest(), async (t) => {
  const fdsBefore = openFds();
  for (const cpu of onlineCpus()) {
    for (const wakeup of [{ events: 1 }, { watermarkBytes: pageSize / 2 }]) {
      const event = openBpfOutputEvent(cpu, wakeup);
      t.equal(event.label, `perf_event_open(bpf output, cpu ${cpu})`);
      const mapping = mmapFd(event.fd, (1 + ringPages) * pageSize, { writable: true });
      const page = new DataView(mapping.buffer);
      t.equal(page.getBigUint64(PERF_MMAP_DATA_OFFSET, true), BigInt(pageSize), 'data_offset: the ring follows the metadata page');
      t.equal(page.getBigUint64(PERF_MMAP_DATA_SIZE, true), BigInt(ringPages * pageSize), 'data_size');
      t.equal(page.getBigUint64(PERF_MMAP_DATA_HEAD, true), 0n, 'nothing written yet');
      event.disable();
      event.enable();
      mapping.close();
      mapping.close();
      t.throws(() => mapping.buffer, /closed/);
      event.close();
      event.close();
      t.throws(() => event.enable(), /perf_event_open\(bpf output, cpu \d+\) is closed/);
    }
  }
  t.throws(() => openBpfOutputEvent(0, { events: 0 }), RangeError);
  t.throws(() => openBpfOutputEvent(-1, { events: 1 }), RangeError);
  t.throws(() => mmapFd(-1, pageSize), { name: 'KernelError', code: 'EBADF', operation: `mmap(fd -1, ${pageSize} bytes)` });
  t.same(await fdsLeftOpenSince(fdsBefore), [], 'no fd left open');
});

eachBackend(t, 'tracepoint events', kernelTest(), async (t) => {
  const fdsBefore = openFds();
  const tracepoint = inetSockSetState();
  const event = openTracepointEvent(tracepoint, 1 % onlineCpus().length);
  t.match(event.label, /^perf_event_open\(tracepoint sock:inet_sock_set_state, cpu \d\)$/);
  event.enable();
  event.disable();
  event.close();
  const missing = { group: 'sock', event: 'no_such_event', id: 0x7ffffff0 };
  const error = t.throws(() => openTracepointEvent(missing));
  t.ok(error instanceof KernelError, 'a bad id is a KernelError');
  if (error instanceof KernelError) {
    t.equal(error.operation, 'perf_event_open(tracepoint sock:no_such_event, cpu 0)');
    t.equal(error.code, 'EINVAL', 'perf_trace_init finds no tracepoint with that id');
    t.match(error.hint, /no tracepoint has this id/);
  }
  t.same(await fdsLeftOpenSince(fdsBefore), [], 'no fd left open');
});

/**
 * On every hit: bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &u64 0x1234, 8); r0 = 0.
 * Opcodes from the eBPF instruction set (Documentation/bpf/standardization/instruction-set.rst).
 */
function outputProgram(mapFd: number): Uint8Array {
  return new Uint8Array([
    ...insn(0xbf, 6, 1, 0, 0), // r6 = r1 (ctx)
    ...insn(0x7a, 10, 0, -8, 0x1234), // *(u64 *)(r10 - 8) = 0x1234
    ...insn(0xbf, 1, 6, 0, 0), // r1 = r6
    ...insn(0x18, 2, 1, 0, mapFd), // r2 = map[events] ll (BPF_PSEUDO_MAP_FD)
    ...insn(0x00, 0, 0, 0, 0),
    ...insn(0xb4, 3, 0, 0, -1), // w3 = BPF_F_CURRENT_CPU (0xffffffff, zero-extended)
    ...insn(0xbf, 4, 10, 0, 0), // r4 = r10
    ...insn(0x07, 4, 0, 0, -8), // r4 += -8
    ...insn(0xb7, 5, 0, 0, 8), // r5 = 8
    ...insn(0x85, 0, 0, 0, 25), // call bpf_perf_event_output
    ...insn(0xb7, 0, 0, 0, 0), // r0 = 0
    ...insn(0x95, 0, 0, 0, 0), // exit
  ]);
}

eachBackend(t, 'bpf_perf_event_output lands in a mapped ring and watchReadable fires', kernelTest(), async (t) => {
  const fdsBefore = openFds();
  const cpus = onlineCpus();
  const events = createMap({ type: MapType.PerfEventArray, name: 't_out', keySize: 4, valueSize: 4, maxEntries: Math.max(...cpus) + 1 });
  const rings = cpus.map((cpu) => {
    const event = openBpfOutputEvent(cpu, { events: 1 });
    events.update(new Uint8Array(new Uint32Array([cpu]).buffer), new Uint8Array(new Uint32Array([event.fd]).buffer));
    const mapping = mmapFd(event.fd, (1 + ringPages) * pageSize, { writable: true });
    return { cpu, event, mapping };
  });
  let resolveReadable: (cpu: number) => void = () => {};
  const readable = new Promise<number>((resolve) => (resolveReadable = resolve));
  const watches = rings.map(({ cpu, event }) => watchReadable(event.fd, () => resolveReadable(cpu)));
  const program = loadProgram({ type: ProgType.Tracepoint, name: 't_output', instructions: outputProgram(events.fd) });
  const attachment = attachTracepoint(inetSockSetState(), program);

  await loopbackConnection();
  const cpu = await readable;
  const ring = rings.find((r) => r.cpu === cpu)!;
  const page = new DataView(ring.mapping.buffer);
  const head = page.getBigUint64(PERF_MMAP_DATA_HEAD, true);
  t.ok(head > 0n, `cpu ${cpu}: data_head advanced to ${head}`);
  // The first record: perf_event_header {type u32, misc u16, size u16}, then u32 size + raw data.
  const data = new DataView(ring.mapping.buffer, pageSize);
  t.equal(data.getUint32(0, true), 9, 'PERF_RECORD_SAMPLE');
  t.ok(data.getUint32(8, true) >= 8, 'raw size covers the 8 bytes written');
  t.equal(data.getBigUint64(12, true), 0x1234n, 'the value the program wrote');

  attachment.close();
  program.close();
  for (const watch of watches) {
    watch.close();
    watch.close();
  }
  for (const { event, mapping } of rings) {
    mapping.close();
    event.close();
  }
  events.close();
  t.same(await fdsLeftOpenSince(fdsBefore), [], 'no fd left open');
});
