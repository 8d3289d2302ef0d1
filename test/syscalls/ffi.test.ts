// The FFI backends without privileges: selection, lazy loading, native memory, raw syscalls,
// readiness watches, and the cost of one call.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { backendNameFromEnv, FfiUnavailableError } from '../../src/syscalls/ffi.ts';
import { Errno } from '../../src/syscalls/errors.ts';
import { pageSize } from '../../src/syscalls/perf-event.ts';
import { syscallNumbers } from '../../src/syscalls/syscall-numbers.ts';
import { eachBackend } from './backends.ts';
import { fdsLeftOpenSince, openFds } from '../helpers/fds.ts';
import { startTimeScale } from '../helpers/processes.ts';

const nr = syscallNumbers();
const linuxOnly = process.platform === 'linux' ? {} : { skip: 'FFI syscalls are Linux-only' };

t.test('backend selection from TS_TCPACCEPT_FFI', async (t) => {
  t.equal(backendNameFromEnv({}), 'koffi');
  t.equal(backendNameFromEnv({ TS_TCPACCEPT_FFI: '' }), 'koffi');
  t.equal(backendNameFromEnv({ TS_TCPACCEPT_FFI: 'ffi-napi' }), 'ffi-napi');
  t.throws(
    () => backendNameFromEnv({ TS_TCPACCEPT_FFI: 'libffi' }),
    /TS_TCPACCEPT_FFI=libffi is not a backend; use one of: koffi, ffi-napi/,
  );
});

t.test('a missing backend names the other one', async (t) => {
  const missingNapi = new FfiUnavailableError('ffi-napi', new Error("Cannot find module '@2060.io/ffi-napi'"));
  t.match(missingNapi.message, /"ffi-napi" is unavailable \(Cannot find module/);
  t.match(missingNapi.message, /TS_TCPACCEPT_FFI=koffi/);
  const missingKoffi = new FfiUnavailableError('koffi', new Error('no prebuilt binary'));
  t.match(missingKoffi.message, /TS_TCPACCEPT_FFI=ffi-napi/);
});

t.test('importing src/syscalls loads no native addon', async (t) => {
  const index = fileURLToPath(new URL('../../src/syscalls/index.ts', import.meta.url));
  const script = `
    import { createRequire } from 'node:module';
    await import(${JSON.stringify(index)});
    const cache = Object.keys(createRequire(import.meta.url).cache);
    console.log(JSON.stringify(cache.filter((path) => /koffi|ffi-napi|ref-napi/.test(path))));`;
  const output = execFileSync(process.execPath, ['--import=tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  t.same(JSON.parse(output), []);
});

eachBackend(t, 'raw syscalls and errno', linuxOnly, async (t, backend) => {
  t.equal(backend.syscall(nr.getppid), process.ppid, 'getppid through syscall(2)');
  t.equal(backend.syscall(nr.close, -1), -Errno.EBADF, 'failure comes back as -errno');
  t.equal(backend.close(-1), -Errno.EBADF);
  t.equal(backend.sysconf(30 /* _SC_PAGESIZE */), pageSize, 'pageSize (from the aux vector) agrees with sysconf');
});

eachBackend(t, 'native memory', linuxOnly, async (t, backend) => {
  const memory = backend.alloc(256);
  t.ok(memory.address > 0n);
  t.equal(memory.length, 256);
  t.ok(
    memory.bytes.every((byte) => byte === 0),
    'zero-filled',
  );
  memory.view.setUint32(4, 0xdeadbeef, true);
  const alias = new DataView(backend.view(memory.address, 256));
  t.equal(alias.getUint32(4, true), 0xdeadbeef, 'view() sees the same bytes');
  memory.free();
  memory.free();
  t.throws(() => memory.bytes, /used after free/);
});

eachBackend(t, 'anonymous mmap through the backend', linuxOnly, async (t, backend) => {
  const PROT_RW = 3;
  const MAP_PRIVATE_ANONYMOUS = 0x22;
  const address = backend.mmap(pageSize, PROT_RW, MAP_PRIVATE_ANONYMOUS, -1, 0);
  t.ok(address > 0, 'mapped');
  const bytes = new Uint8Array(backend.view(BigInt(address), pageSize));
  bytes[pageSize - 1] = 7;
  t.equal(bytes[pageSize - 1], 7);
  t.equal(backend.munmap(BigInt(address), pageSize), 0);
  t.equal(backend.mmap(pageSize, PROT_RW, 0x01 /* MAP_SHARED */, -1, 0), -Errno.EBADF, 'a bad fd is -EBADF');
});

eachBackend(t, 'watchReadable reports an eventfd becoming readable', linuxOnly, async (t, backend) => {
  const fdsBefore = openFds();
  const EFD_CLOEXEC_NONBLOCK = 0x80000 | 0x800;
  const fd = backend.syscall(nr.eventfd2, 0, EFD_CLOEXEC_NONBLOCK);
  t.ok(fd >= 0, 'eventfd opened');
  const counter = backend.alloc(8);
  let wakeups = 0;
  let resolveWake: () => void = () => {};
  const woke = new Promise<void>((resolve) => (resolveWake = resolve));
  const watch = backend.watchReadable(fd, () => {
    wakeups++;
    backend.syscall(nr.read, fd, counter.address, 8); // drain, so it stops polling readable
    resolveWake();
  });
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 1);
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.equal(wakeups, 0, 'nothing to read yet');
  t.ok(ticks > 0, 'the event loop keeps running while watching');
  counter.view.setBigUint64(0, 1n, true);
  t.equal(backend.syscall(nr.write, fd, counter.address, 8), 8);
  await woke;
  clearInterval(ticker);
  t.equal(wakeups, 1);
  t.equal(counter.view.getBigUint64(0, true), 1n, 'drained the value written');
  watch.close();
  watch.close();
  t.equal(backend.close(fd), 0);
  counter.free();
  t.same(await fdsLeftOpenSince(fdsBefore), [], 'no fd left open');
});

eachBackend(
  t,
  'watchReadable is edge-triggered: one report per wake-up, not one per loop turn while unread',
  linuxOnly,
  async (t, backend) => {
    // A ring reader drains only what it chooses; bytes left unread must not bring it back on
    // every turn of the event loop (level-triggered polling did: ~700 extra drains per 100 000
    // events in a storm). Only a new wake-up of the producer does.
    const fdsBefore = openFds();
    const fd = backend.syscall(nr.eventfd2, 0, 0x80000 | 0x800);
    t.ok(fd >= 0, 'eventfd opened');
    const counter = backend.alloc(8);
    counter.view.setBigUint64(0, 1n, true);
    let wakeups = 0;
    const watch = backend.watchReadable(fd, () => wakeups++); // never reads: stays readable
    const turns = async (ms: number) => {
      const end = Date.now() + ms;
      while (Date.now() < end) await new Promise((resolve) => setImmediate(resolve));
    };
    // Waits (loop turning) for the report, however slow the machine, then turns the loop on.
    const reported = async (count: number) => {
      const deadline = Date.now() + 5000 * startTimeScale;
      while (wakeups < count && Date.now() < deadline) await turns(5);
      await turns(60);
    };
    t.equal(backend.syscall(nr.write, fd, counter.address, 8), 8);
    await reported(1);
    t.equal(wakeups, 1, 'one report for one write, however many loop turns pass with it unread');
    t.equal(backend.syscall(nr.write, fd, counter.address, 8), 8);
    await reported(2);
    t.equal(wakeups, 2, 'a second write (a new wake-up) is reported again');
    watch.close();
    t.equal(backend.close(fd), 0);
    counter.free();
    t.same(await fdsLeftOpenSince(fdsBefore), [], 'no fd left open (the edge-triggered set is closed with the watch)');
  },
);

eachBackend(t, 'cost of one FFI call (getppid via syscall)', linuxOnly, async (t, backend) => {
  const calls = backend.name === 'koffi' ? 50_000 : 5_000;
  for (let i = 0; i < calls / 10; i++) backend.syscall(nr.getppid);
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) backend.syscall(nr.getppid);
  const nsPerCall = Number(process.hrtime.bigint() - start) / calls;
  t.comment(`${backend.name}: ${nsPerCall.toFixed(0)} ns per syscall(getppid) over ${calls} calls`);
  t.ok(nsPerCall > 0);
});
