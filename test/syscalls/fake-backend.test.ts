// src/syscalls against a fake kernel (FakeBackend behind the FFI seam): the BPF_PROG_LOAD
// sequence, the verifier-log retry and its ENOSPC growth, EAGAIN retries, and the ENOENT paths
// of maps and id enumeration. No root, no native code: runs anywhere.
import t from 'tap';
import {
  BpfMap,
  Errno,
  FakeBackend,
  KernelError,
  MapType,
  ProgType,
  createMap,
  ffi,
  loadProgram,
  loadedProgramIds,
  useFfiBackend,
  verifierLogSizes,
  attachTracepoint,
} from '../../src/syscalls/index.ts';
import { attrSize, PERF_ATTR_SIZE, PerfIoctl, PerfType } from '../../src/syscalls/attrs.ts';
import { assemble } from '../../src/asm/index.ts';

const program = assemble('r0 = 0\nexit\n');

/** The BPF_PROG_LOAD fields the fake saw, read from the attr copy of one call. */
function progLoadFields(_kernel: FakeBackend, attr: Uint8Array | undefined) {
  if (attr === undefined) throw new Error('no attr recorded');
  const view = new DataView(attr.buffer, attr.byteOffset, attr.byteLength);
  let name = '';
  for (let i = 48; i < 64 && attr[i] !== 0; i++) name += String.fromCharCode(attr[i]!);
  return {
    type: view.getUint32(0, true),
    insnCount: view.getUint32(4, true),
    insns: view.getBigUint64(8, true),
    license: view.getBigUint64(16, true),
    logLevel: view.getUint32(24, true),
    logSize: view.getUint32(28, true),
    logBuf: view.getBigUint64(32, true),
    name,
  };
}

/** Runs `fn` with `kernel` as the FFI backend, then puts the previous one back. */
function withKernel<T>(kernel: FakeBackend, fn: () => T): T {
  const restore = useFfiBackend(kernel);
  try {
    return fn();
  } finally {
    restore();
  }
}

function thrown(fn: () => unknown): KernelError {
  try {
    fn();
  } catch (error) {
    if (error instanceof KernelError) return error;
    throw error;
  }
  throw new Error('expected a KernelError');
}

t.test('useFfiBackend selects a backend and gives the previous one back', async (t) => {
  const outer = new FakeBackend();
  const inner = new FakeBackend();
  const restoreOuter = useFfiBackend(outer);
  t.equal(ffi(), outer, 'the fake is selected');
  t.equal(ffi().name, 'fake');
  const restoreInner = useFfiBackend(inner);
  t.equal(ffi(), inner);
  restoreInner();
  t.equal(ffi(), outer, 'restore puts the earlier selection back');
  restoreOuter();
});

t.test('loadProgram: one load without a log when the verifier accepts', async (t) => {
  const kernel = new FakeBackend();
  let insnsSeen: Uint8Array | undefined;
  let license = '';
  kernel.onBpf('PROG_LOAD', (attr) => {
    const insns = attr.getBigUint64(8, true);
    insnsSeen = kernel.bytes(insns, attr.getUint32(4, true) * 8).slice();
    license = kernel.cString(attr.getBigUint64(16, true));
    return kernel.openFd();
  });
  const loaded = withKernel(kernel, () => loadProgram({ type: ProgType.Tracepoint, name: 'fake_prog', instructions: program }));
  const loads = kernel.bpfCalls('PROG_LOAD');
  t.equal(loads.length, 1, 'one BPF_PROG_LOAD');
  const fields = progLoadFields(kernel, loads[0]!.attr);
  t.equal(loads[0]!.args[2], attrSize.progLoad, 'attr size is offsetofend(expected_attach_type)');
  t.equal(fields.type, ProgType.Tracepoint, 'prog_type');
  t.equal(fields.insnCount, 2, 'insn_cnt in 8-byte slots');
  t.equal(fields.logLevel, 0, 'no log level on the first try');
  t.equal(fields.logSize, 0, 'no log size');
  t.equal(fields.logBuf, 0n, 'no log buffer');
  t.equal(fields.name, 'fake_prog', 'prog_name');
  t.same(insnsSeen, program, 'insns points at the instruction bytes');
  t.equal(license, 'GPL', 'license defaults to GPL, NUL-terminated');
  t.equal(loaded.fd, 1000, 'the fd the kernel returned');
  t.equal(kernel.liveRegions, 0, 'the attr block was freed');
  loaded.close();
  t.equal(kernel.openFds.size, 0, 'close() closed the fd');
  t.equal(kernel.calls.at(-1)!.name, 'close');
  loaded.close();
  t.equal(kernel.calls.filter((c) => c.name === 'close').length, 1, 'close() is idempotent');
});

t.test('loadProgram: a rejection loads again with a 64 KiB log and throws it', async (t) => {
  const kernel = new FakeBackend();
  const log = '0: (95) exit\nR0 !read_ok\nprocessed 1 insns (limit 1000000)\n';
  kernel.onBpf('PROG_LOAD', (attr) => {
    if (attr.getUint32(24, true) === 0) return -Errno.EACCES;
    kernel.writeCString(attr.getBigUint64(32, true), attr.getUint32(28, true), log);
    return -Errno.EACCES;
  });
  const error = thrown(() => withKernel(kernel, () => loadProgram({ type: ProgType.Tracepoint, name: 'bad', instructions: program })));
  const loads = kernel.bpfCalls('PROG_LOAD').map((c) => progLoadFields(kernel, c.attr));
  t.same(
    loads.map((l) => [l.logLevel, l.logSize]),
    [
      [0, 0],
      [1, verifierLogSizes.initial],
    ],
    'no log, then level 1 into 64 KiB',
  );
  t.equal(error.code, 'EACCES');
  t.equal(error.operation, 'BPF_PROG_LOAD(bad)');
  t.equal(error.verifierLog, log, 'the whole log');
  t.match(error.message, /R0 !read_ok/, "the message ends with the log's last lines");
  t.equal(kernel.liveRegions, 0, 'attr and log buffers freed on the error path');
});

t.test('loadProgram: ENOSPC grows the log buffer fourfold until the log fits', async (t) => {
  const kernel = new FakeBackend();
  const needed = 300_000;
  const log = `${'x'.repeat(needed - 20)}\nthe real reason\n`;
  kernel.onBpf('PROG_LOAD', (attr) => {
    const level = attr.getUint32(24, true);
    if (level === 0) return -Errno.EINVAL;
    const size = attr.getUint32(28, true);
    kernel.writeCString(attr.getBigUint64(32, true), size, log);
    return size < log.length + 1 ? -Errno.ENOSPC : -Errno.EINVAL;
  });
  const error = thrown(() => withKernel(kernel, () => loadProgram({ type: ProgType.Tracepoint, name: 'big_log', instructions: program })));
  const sizes = kernel.bpfCalls('PROG_LOAD').map((c) => progLoadFields(kernel, c.attr).logSize);
  t.same(sizes, [0, 65536, 262144, 1048576], 'no log, 64 KiB, 256 KiB (ENOSPC), 1 MiB (fits)');
  t.equal(error.code, 'EINVAL', "the verifier's errno, not ENOSPC");
  t.equal(error.verifierLog, log, 'the log from the buffer it fitted in');
  t.equal(kernel.liveRegions, 0);
});

t.test('loadProgram: ENOSPC at the largest log size gives up with what fitted', async (t) => {
  const kernel = new FakeBackend();
  kernel.onBpf('PROG_LOAD', (attr) => {
    if (attr.getUint32(24, true) === 0) return -Errno.EINVAL;
    kernel.writeCString(attr.getBigUint64(32, true), attr.getUint32(28, true), 'log that never fits');
    return -Errno.ENOSPC;
  });
  const error = thrown(() => withKernel(kernel, () => loadProgram({ type: ProgType.Tracepoint, name: 'huge', instructions: program })));
  const sizes = kernel.bpfCalls('PROG_LOAD').map((c) => progLoadFields(kernel, c.attr).logSize);
  t.same(sizes, [0, 65536, 262144, 1048576, 4194304, verifierLogSizes.max], 'grows to UINT_MAX >> 8 and stops');
  t.equal(error.code, 'ENOSPC');
  t.equal(error.verifierLog, 'log that never fits');
});

t.test('loadProgram: EAGAIN is retried up to 5 times per load', async (t) => {
  const kernel = new FakeBackend();
  const answers = [-Errno.EAGAIN, -Errno.EAGAIN, -Errno.EAGAIN];
  kernel.onBpf('PROG_LOAD', () => answers.shift() ?? kernel.openFd());
  const loaded = withKernel(kernel, () => loadProgram({ type: ProgType.Tracepoint, name: 'again', instructions: program }));
  t.equal(kernel.bpfCalls('PROG_LOAD').length, 4, 'three EAGAINs, then the load');
  t.ok(
    kernel.bpfCalls('PROG_LOAD').every((c) => progLoadFields(kernel, c.attr).logLevel === 0),
    'retries need no log',
  );
  loaded.close();

  const stubborn = new FakeBackend();
  stubborn.onBpf('PROG_LOAD', () => -Errno.EAGAIN);
  const error = thrown(() => withKernel(stubborn, () => loadProgram({ type: ProgType.Tracepoint, name: 'again', instructions: program })));
  const levels = stubborn.bpfCalls('PROG_LOAD').map((c) => progLoadFields(stubborn, c.attr).logLevel);
  t.same(levels, [0, 0, 0, 0, 0, 1, 1, 1, 1, 1], '5 tries without a log, then 5 with one');
  t.equal(error.code, 'EAGAIN');
});

t.test('loadProgram: failures a log cannot explain are not retried with one', async (t) => {
  for (const errno of [Errno.EPERM, Errno.ENOMEM, Errno.EFAULT]) {
    const kernel = new FakeBackend();
    kernel.onBpf('PROG_LOAD', () => -errno);
    const error = thrown(() => withKernel(kernel, () => loadProgram({ type: ProgType.Tracepoint, name: 'denied', instructions: program })));
    t.equal(kernel.bpfCalls('PROG_LOAD').length, 1, `${error.code}: one load`);
    t.equal(error.verifierLog, undefined, `${error.code}: no log`);
    if (errno === Errno.EPERM) t.match(error.hint, /CAP_BPF/, 'EPERM hints at the capabilities');
  }
});

t.test('loadProgram refuses a program that is not whole instructions, before any syscall', async (t) => {
  const kernel = new FakeBackend();
  t.throws(
    () => withKernel(kernel, () => loadProgram({ type: ProgType.Tracepoint, name: 'odd', instructions: new Uint8Array(12) })),
    RangeError,
  );
  t.equal(kernel.calls.length, 0);
});

/** A hash map in the fake kernel: keys and values by hex, ENOENT where the kernel says it. */
function fakeHashKernel(): { kernel: FakeBackend; entries: Map<string, Uint8Array> } {
  const kernel = new FakeBackend();
  const entries = new Map<string, Uint8Array>();
  let keySize = 0;
  let valueSize = 0;
  const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
  kernel.onBpf('MAP_CREATE', (attr) => {
    keySize = attr.getUint32(4, true);
    valueSize = attr.getUint32(8, true);
    return kernel.openFd();
  });
  kernel.onBpf('MAP_UPDATE_ELEM', (attr) => {
    entries.set(hex(kernel.bytes(attr.getBigUint64(8, true), keySize)), kernel.bytes(attr.getBigUint64(16, true), valueSize).slice());
    return 0;
  });
  kernel.onBpf('MAP_LOOKUP_ELEM', (attr) => {
    const value = entries.get(hex(kernel.bytes(attr.getBigUint64(8, true), keySize)));
    if (value === undefined) return -Errno.ENOENT;
    kernel.bytes(attr.getBigUint64(16, true), valueSize).set(value);
    return 0;
  });
  kernel.onBpf('MAP_DELETE_ELEM', (attr) => (entries.delete(hex(kernel.bytes(attr.getBigUint64(8, true), keySize))) ? 0 : -Errno.ENOENT));
  kernel.onBpf('MAP_GET_NEXT_KEY', (attr) => {
    const keys = [...entries.keys()];
    const keyAddress = attr.getBigUint64(8, true);
    const index = keyAddress === 0n ? 0 : keys.indexOf(hex(kernel.bytes(keyAddress, keySize))) + 1;
    const next = keys[index];
    if (next === undefined) return -Errno.ENOENT;
    kernel.bytes(attr.getBigUint64(16, true), keySize).set(Buffer.from(next, 'hex'));
    return 0;
  });
  return { kernel, entries };
}

t.test('maps: ENOENT is "absent" for lookup, delete and the end of iteration', async (t) => {
  const { kernel, entries } = fakeHashKernel();
  const map = withKernel(kernel, () => createMap({ type: MapType.Hash, name: 'fake_map', keySize: 2, valueSize: 4, maxEntries: 8 }));
  t.ok(map instanceof BpfMap);
  const create = kernel.bpfCalls('MAP_CREATE')[0]!;
  t.equal(create.args[2], attrSize.mapCreate, 'MAP_CREATE attr size');
  const attr = new DataView(create.attr!.buffer);
  t.same([attr.getUint32(0, true), attr.getUint32(4, true), attr.getUint32(8, true), attr.getUint32(12, true)], [MapType.Hash, 2, 4, 8]);
  t.equal(Buffer.from(create.attr!.subarray(28, 36)).toString(), 'fake_map', 'map_name at 28');

  t.equal(map.lookup(new Uint8Array([1, 0])), undefined, 'lookup of an absent key: undefined');
  t.equal(map.delete(new Uint8Array([1, 0])), false, 'delete of an absent key: false');
  t.equal(map.nextKey(), undefined, 'an empty map has no first key');
  map.update(new Uint8Array([1, 0]), new Uint8Array([7, 0, 0, 0]));
  map.update(new Uint8Array([2, 0]), new Uint8Array([9, 0, 0, 0]));
  t.equal(entries.size, 2);
  t.same(map.lookup(new Uint8Array([2, 0])), new Uint8Array([9, 0, 0, 0]), 'lookup copies the value out');
  t.same(
    [...map.keys()].map((k) => k[0]),
    [1, 2],
    'keys() walks until ENOENT',
  );
  t.equal(map.delete(new Uint8Array([1, 0])), true);
  t.throws(() => map.update(new Uint8Array([1]), new Uint8Array(4)), RangeError, 'a key of the wrong size never reaches the kernel');

  kernel.onBpf('MAP_LOOKUP_ELEM', () => -Errno.EFAULT);
  const error = thrown(() => map.lookup(new Uint8Array([2, 0])));
  t.equal(error.code, 'EFAULT', 'other errnos still throw');
  t.equal(error.operation, 'BPF_MAP_LOOKUP_ELEM(fake_map)');
  map.close();
  t.equal(kernel.openFds.size, 0, 'the map fd is closed');
  t.equal(kernel.liveRegions, 0, 'and its scratch block freed');
});

t.test('createMap: a failure closes nothing it did not open and names the map', async (t) => {
  const kernel = new FakeBackend();
  kernel.onBpf('MAP_CREATE', () => -Errno.EPERM);
  const error = thrown(() =>
    withKernel(kernel, () => createMap({ type: MapType.RingBuf, name: 'rb', keySize: 0, valueSize: 0, maxEntries: 4096 })),
  );
  t.equal(error.operation, 'BPF_MAP_CREATE(RingBuf rb)');
  t.match(error.hint, /CAP_BPF/);
  t.equal(kernel.liveRegions, 0);
});

t.test('loadedProgramIds: walks PROG_GET_NEXT_ID until ENOENT', async (t) => {
  const kernel = new FakeBackend();
  const ids = [3, 17, 42];
  kernel.onBpf('PROG_GET_NEXT_ID', (attr) => {
    const start = attr.getUint32(0, true);
    const next = ids.find((id) => id > start);
    if (next === undefined) return -Errno.ENOENT;
    attr.setUint32(4, next, true);
    return 0;
  });
  t.same(
    withKernel(kernel, () => loadedProgramIds()),
    ids,
  );
  t.same(
    kernel.bpfCalls('PROG_GET_NEXT_ID').map((c) => new DataView(c.attr!.buffer).getUint32(0, true)),
    [0, 3, 17, 42],
    'each call starts after the last id',
  );

  const denied = new FakeBackend();
  denied.onBpf('PROG_GET_NEXT_ID', () => -Errno.EPERM);
  t.equal(thrown(() => withKernel(denied, () => loadedProgramIds())).code, 'EPERM');
});

t.test('the fake kernel itself', async (t) => {
  const kernel = new FakeBackend();
  t.equal(kernel.syscall(kernel.nr.getppid), -Errno.ENOSYS, 'an unscripted syscall is ENOSYS');
  t.equal(kernel.errno(), Errno.ENOSYS);
  t.equal(kernel.close(5), -Errno.EBADF, 'closing an fd it never opened is EBADF');
  const address = kernel.mmap(8192, 3, 1, kernel.openFd(), 0);
  t.ok(address > 0, 'mmap gives an address');
  const ring = new DataView(kernel.view(BigInt(address), 8192));
  ring.setUint32(0, 0xabcd, true);
  t.equal(kernel.dataView(BigInt(address), 4).getUint32(0, true), 0xabcd, 'view() and dataView() share the bytes');
  t.equal(kernel.munmap(BigInt(address), 8192), 0);
  t.equal(kernel.munmap(BigInt(address), 8192), -Errno.EINVAL, 'unmapped twice: EINVAL');
  const memory = kernel.alloc(16);
  t.same([...memory.bytes], new Array(16).fill(0), 'alloc is zero-filled');
  memory.free();
  t.throws(() => memory.bytes, /after free/);
  let woken = 0;
  const watch = kernel.watchReadable(7, () => woken++);
  kernel.wake(7);
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(woken, 1, 'wake() fires the watch on the next turn');
  watch.close();
  kernel.wake(7);
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(woken, 1, 'a closed watch stays quiet');
  t.equal(kernel.sysconf(30), 4096, '_SC_PAGESIZE');
});

t.test('attachTracepoint: open disabled, SET_BPF, ENABLE; any failure closes the event', async (t) => {
  const kernel = new FakeBackend();
  kernel.onBpf('PROG_LOAD', () => kernel.openFd());
  let attrType = -1;
  let config = -1n;
  kernel.on('perf_event_open', ([attr, pid, cpu]) => {
    const view = kernel.dataView(BigInt(attr as bigint), PERF_ATTR_SIZE);
    attrType = view.getUint32(0, true);
    config = view.getBigUint64(8, true);
    t.equal(view.getBigUint64(40, true) & 1n, 1n, 'opened disabled');
    t.same([pid, cpu], [-1, 0], 'every process, on cpu 0');
    return kernel.openFd();
  });
  const ioctls: number[] = [];
  kernel.on('ioctl', ([, request]) => {
    ioctls.push(Number(request));
    return 0;
  });
  const tp = { group: 'sock', event: 'inet_sock_set_state', id: 1234 };
  withKernel(kernel, () => {
    const loaded = loadProgram({ type: ProgType.Tracepoint, name: 'attach_me', instructions: program });
    const event = attachTracepoint(tp, loaded);
    t.equal(attrType, PerfType.TRACEPOINT);
    t.equal(config, 1234n, 'config is the tracepoint id');
    t.same(ioctls, [PerfIoctl.SET_BPF, PerfIoctl.ENABLE], 'SET_BPF, then ENABLE');
    const setBpf = kernel.calls.find((c) => c.name === 'ioctl')!;
    t.equal(setBpf.args[2], loaded.fd, 'SET_BPF passes the program fd');
    event.close();
    loaded.close();
  });
  t.equal(kernel.openFds.size, 0, 'all closed');

  // ENOENT from perf_event_open: a tracepoint this kernel does not have.
  const missing = new FakeBackend();
  missing.onBpf('PROG_LOAD', () => missing.openFd());
  missing.on('perf_event_open', () => -Errno.ENOENT);
  withKernel(missing, () => {
    const loaded = loadProgram({ type: ProgType.Tracepoint, name: 'attach_me', instructions: program });
    const error = thrown(() => attachTracepoint(tp, loaded));
    t.equal(error.code, 'ENOENT');
    t.match(error.hint, /tracepoint does not exist/, 'ENOENT names the missing tracepoint');
    t.equal(error.operation, 'perf_event_open(tracepoint sock:inet_sock_set_state, cpu 0)');
    loaded.close();
  });
  t.equal(missing.liveRegions, 0, 'the attr was freed');

  // SET_BPF refused: the half-made event is closed before the error leaves.
  const refusing = new FakeBackend();
  refusing.onBpf('PROG_LOAD', () => refusing.openFd());
  refusing.on('perf_event_open', () => refusing.openFd());
  refusing.on('ioctl', () => -Errno.EINVAL);
  withKernel(refusing, () => {
    const loaded = loadProgram({ type: ProgType.Tracepoint, name: 'attach_me', instructions: program });
    t.equal(thrown(() => attachTracepoint(tp, loaded)).code, 'EINVAL');
    t.equal(refusing.openFds.size, 1, 'only the program is still open');
    loaded.close();
  });
});
