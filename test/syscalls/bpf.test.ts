// bpf(2) on the real kernel, once per FFI backend: every map type, program load and
// rejection, program info and run-time stats, id enumeration, and no leaked fds.
import t from 'tap';
import { kernelTest } from '../helpers/kernel.ts';
import {
  createMap,
  enableStats,
  loadedMapIds,
  loadedProgramIds,
  loadProgram,
  MapType,
  ProgType,
  UpdateFlags,
} from '../../src/syscalls/bpf.ts';
import { KernelError } from '../../src/syscalls/errors.ts';
import { attachTracepoint, onlineCpus, openBpfOutputEvent, possibleCpus } from '../../src/syscalls/perf-event.ts';
import { eachBackend, exitWithoutR0, inetSockSetState, loopbackConnection, returnZero } from './backends.ts';
import { fdsLeftOpenSince, openFds } from '../helpers/fds.ts';

const u32 = (value: number): Uint8Array => new Uint8Array(new Uint32Array([value]).buffer);
const u64 = (value: bigint): Uint8Array => new Uint8Array(new BigUint64Array([value]).buffer);

eachBackend(t, 'hash and LRU hash maps', kernelTest(), async (t) => {
  const fdsBefore = openFds();
  for (const type of [MapType.Hash, MapType.LruHash]) {
    const map = createMap({ type, name: `t_${MapType[type]}`, keySize: 4, valueSize: 8, maxEntries: 8 });
    t.ok(map.fd >= 0, `${MapType[type]} created`);
    t.equal(map.lookup(u32(1)), undefined, 'absent key');
    t.equal(map.nextKey(), undefined, 'empty map has no first key');
    map.update(u32(1), u64(0x1122334455667788n));
    map.update(u32(2), u64(2n), UpdateFlags.NOEXIST);
    t.same(map.lookup(u32(1)), u64(0x1122334455667788n));
    t.throws(() => map.update(u32(2), u64(3n), UpdateFlags.NOEXIST), { name: 'KernelError', code: 'EEXIST' });
    const keys = [...map.keys()].map((key) => new DataView(key.buffer).getUint32(0, true)).sort();
    t.same(keys, [1, 2], 'nextKey walks every key');
    t.equal(map.delete(u32(1)), true);
    t.equal(map.delete(u32(1)), false, 'deleting an absent key');
    t.equal(map.lookup(u32(1)), undefined);
    t.throws(() => map.lookup(new Uint8Array(3)), /key has 3 bytes, expected 4/);
    t.throws(() => map.update(u32(1), new Uint8Array(4)), /value has 4 bytes, expected 8/);
    map.close();
    map.close();
    t.throws(() => map.lookup(u32(2)), /closed/, 'use after close');
    t.throws(() => map.fd, /BPF map t_\w+ is closed/);
  }
  t.same(await fdsLeftOpenSince(fdsBefore), [], 'no fd left open');
});

eachBackend(t, 'array and per-CPU array maps', kernelTest(), async (t) => {
  const fdsBefore = openFds();
  const array = createMap({ type: MapType.Array, name: 't_array', keySize: 4, valueSize: 4, maxEntries: 4 });
  t.same(array.lookup(u32(3)), u32(0), 'array slots start zeroed');
  array.update(u32(3), u32(42));
  t.same(array.lookup(u32(3)), u32(42));
  t.same(array.nextKey(), u32(0));
  t.same(array.nextKey(u32(3)), undefined, 'the last index has no next');
  t.throws(() => array.delete(u32(0)), { name: 'KernelError', code: 'EINVAL', operation: 'BPF_MAP_DELETE_ELEM(t_array)' });
  array.close();

  const slots = possibleCpus().length;
  const perCpu = createMap({ type: MapType.PercpuArray, name: 't_percpu', keySize: 4, valueSize: 4, maxEntries: 1 });
  t.equal(perCpu.userValueSize, 8 * slots, 'one 8-byte slot per possible CPU');
  const value = new Uint8Array(8 * slots);
  for (let cpu = 0; cpu < slots; cpu++) value[cpu * 8] = cpu + 1;
  perCpu.update(u32(0), value);
  t.same(perCpu.lookup(u32(0)), value);
  perCpu.close();
  t.same(await fdsLeftOpenSince(fdsBefore), [], 'no fd left open');
});

eachBackend(t, 'perf event array and ring buffer maps', kernelTest(), async (t) => {
  const fdsBefore = openFds();
  const cpus = onlineCpus();
  const events = createMap({ type: MapType.PerfEventArray, name: 't_events', keySize: 4, valueSize: 4, maxEntries: Math.max(...cpus) + 1 });
  const outputs = cpus.map((cpu) => openBpfOutputEvent(cpu, { events: 1 }));
  cpus.forEach((cpu, i) => events.update(u32(cpu), u32(outputs[i]!.fd)));
  t.equal(events.delete(u32(cpus[0]!)), true, 'an installed perf event can be removed');
  events.close();
  for (const output of outputs) output.close();

  const ring = createMap({ type: MapType.RingBuf, name: 't_ring', keySize: 0, valueSize: 0, maxEntries: 64 * 1024 });
  t.ok(ring.fd >= 0, 'ring buffer created');
  t.ok(loadedMapIds().length >= 1, 'map ids enumerate');
  ring.close();
  t.throws(() => createMap({ type: MapType.RingBuf, name: 't_ring', keySize: 0, valueSize: 0, maxEntries: 1000 }), {
    name: 'KernelError',
    code: 'EINVAL',
    message: /BPF_MAP_CREATE\(RingBuf t_ring\) failed: EINVAL/,
  });
  t.throws(() => createMap({ type: MapType.Hash, name: 'bad name', keySize: 4, valueSize: 4, maxEntries: 1 }), RangeError);
  t.same(await fdsLeftOpenSince(fdsBefore), [], 'no fd left open');
});

eachBackend(t, 'a program on sock:inet_sock_set_state counts a loopback connection', kernelTest(), async (t) => {
  const fdsBefore = openFds();
  const tracepoint = inetSockSetState();
  const program = loadProgram({ type: ProgType.Tracepoint, name: 't_return0', instructions: returnZero });
  const before = program.info();
  t.equal(before.name, 't_return0');
  t.match(before.tag, /^[0-9a-f]{16}$/);
  t.ok(before.id > 0);
  t.ok(loadedProgramIds().includes(before.id), 'enumerated while loaded');

  const stats = enableStats();
  const attachment = attachTracepoint(tracepoint, program);
  t.match(attachment.label, 'perf_event_open(tracepoint sock:inet_sock_set_state, cpu 0)');
  await loopbackConnection();
  const after = program.info();
  t.ok(after.runCnt > before.runCnt, `run_cnt grew by ${after.runCnt - before.runCnt} over one connection`);
  t.ok(after.runTimeNs > 0n, `run_time_ns ${after.runTimeNs}`);
  t.equal(after.id, before.id);

  attachment.close();
  stats.close();
  stats.close();
  program.close();
  program.close();
  t.throws(() => program.info(), /BPF program t_return0 is closed/);
  t.notOk(loadedProgramIds().includes(before.id), 'gone once closed');
  t.same(await fdsLeftOpenSince(fdsBefore), [], 'no fd left open');
});

eachBackend(t, 'the verifier rejects a program that exits without setting r0', kernelTest(), async (t) => {
  const fdsBefore = openFds();
  const error = t.throws(() => loadProgram({ type: ProgType.Tracepoint, name: 't_bad', instructions: exitWithoutR0 }));
  t.ok(error instanceof KernelError);
  if (error instanceof KernelError) {
    t.equal(error.operation, 'BPF_PROG_LOAD(t_bad)');
    t.equal(error.code, 'EACCES');
    t.match(error.verifierLog ?? '', /R0 !read_ok/, 'the full log is kept');
    t.match(error.message, /the verifier rejected the program[^]*R0 !read_ok/, 'and its end is in the message');
  }
  t.throws(() => loadProgram({ type: ProgType.Tracepoint, name: 't_bad', instructions: new Uint8Array(12) }), RangeError);
  t.same(await fdsLeftOpenSince(fdsBefore), [], 'no fd left open');
});
