// perf_event_open(2): tracepoint events that run BPF programs, BPF_OUTPUT events feeding
// perf event arrays, their mmapped rings, and readiness notification.
import { readFileSync } from 'node:fs';
import { ffi, type FfiBackend, type ReadableWatch } from './ffi.ts';
import type { KernelCallContext } from './errors.ts';
import { checkedSyscall } from './kernel-call.ts';
import { syscallNumbers } from './syscall-numbers.ts';
import { FdOwner } from './fd-owner.ts';
import type { BpfProgram } from './bpf.ts';
import {
  PERF_ATTR_SIZE,
  PERF_COUNT_SW_BPF_OUTPUT,
  PERF_FLAG_FD_CLOEXEC,
  PERF_SAMPLE_RAW,
  PerfIoctl,
  PerfType,
  writePerfEventAttr,
  type PerfEventAttrFields,
} from './attrs.ts';

export { onlineCpus, possibleCpus, parseCpuList } from './cpus.ts';

const sys = syscallNumbers();

/** When the kernel wakes a reader of a BPF_OUTPUT ring: after N samples, or N bytes. */
export type Wakeup = { events: number } | { watermarkBytes: number };

/** A tracepoint by name and id; a TracepointFormat from readTracepoint() is one. */
export interface TracepointRef {
  group: string;
  event: string;
  /** From `<tracefs>/events/<group>/<event>/id`. */
  id: number;
}

/**
 * A perf event fd, owned: a tracepoint event carrying a BPF program (the attachment lasts as
 * long as the fd) or a BPF output event feeding a perf ring.
 */
export class PerfEvent extends FdOwner {
  /** e.g. `perf_event_open(tracepoint sock:inet_sock_set_state, cpu 0)`. */
  readonly label: string;
  readonly #context: KernelCallContext;

  /** @internal use openTracepointEvent() / openBpfOutputEvent() */
  constructor(backend: FfiBackend, fd: number, label: string, context: KernelCallContext) {
    super(backend, fd, label);
    this.label = label;
    this.#context = context;
  }

  /** PERF_EVENT_IOC_ENABLE: start counting (a tracepoint event starts running its program). */
  enable(): void {
    this.#ioctl('PERF_EVENT_IOC_ENABLE', PerfIoctl.ENABLE, 0);
  }

  /** PERF_EVENT_IOC_DISABLE: stop, keeping the fd and any attached program. */
  disable(): void {
    this.#ioctl('PERF_EVENT_IOC_DISABLE', PerfIoctl.DISABLE, 0);
  }

  /** PERF_EVENT_IOC_SET_BPF: run `program` on each hit of this (tracepoint) event. */
  setBpf(program: BpfProgram): void {
    this.#ioctl(`PERF_EVENT_IOC_SET_BPF(${program.name})`, PerfIoctl.SET_BPF, program.fd);
  }

  #ioctl(what: string, request: number, arg: number): void {
    checkedSyscall(this.backend, () => `${what} on ${this.label}`, this.#context, sys.ioctl, this.fd, request, arg);
  }
}

function openPerfEvent(fields: PerfEventAttrFields, pid: number, cpu: number, label: string, context: KernelCallContext): PerfEvent {
  const backend = ffi();
  const attr = backend.alloc(PERF_ATTR_SIZE);
  try {
    writePerfEventAttr(attr.view, fields);
    const fd = checkedSyscall(backend, label, context, sys.perf_event_open, attr.address, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
    return new PerfEvent(backend, fd, label, context);
  } finally {
    attr.free();
  }
}

function checkCpu(cpu: number): void {
  if (!Number.isInteger(cpu) || cpu < 0) throw new RangeError(`cpu must be a non-negative integer, got ${cpu}`);
}

/**
 * A PERF_TYPE_TRACEPOINT event for every process on `cpu`, opened disabled. For a BPF
 * program one such event is enough: the program runs wherever the tracepoint fires.
 */
export function openTracepointEvent(tp: TracepointRef, cpu = 0): PerfEvent {
  checkCpu(cpu);
  if (!Number.isInteger(tp.id) || tp.id <= 0) throw new RangeError(`tracepoint ${tp.group}:${tp.event} has invalid id ${tp.id}`);
  return openPerfEvent(
    { type: PerfType.TRACEPOINT, config: BigInt(tp.id), disabled: true },
    -1,
    cpu,
    `perf_event_open(tracepoint ${tp.group}:${tp.event}, cpu ${cpu})`,
    'tracepoint',
  );
}

/** Opens the tracepoint, attaches `program` and enables it; the returned event owns the attachment. */
export function attachTracepoint(tp: TracepointRef, program: BpfProgram): PerfEvent {
  const event = openTracepointEvent(tp, 0);
  try {
    event.setBpf(program);
    event.enable();
  } catch (error) {
    event.close();
    throw error;
  }
  return event;
}

/**
 * A PERF_COUNT_SW_BPF_OUTPUT event on `cpu` (for every process), the target of
 * bpf_perf_event_output through a perf event array. Samples carry PERF_SAMPLE_RAW.
 */
export function openBpfOutputEvent(cpu: number, wakeup: Wakeup): PerfEvent {
  checkCpu(cpu);
  const fields: PerfEventAttrFields = {
    type: PerfType.SOFTWARE,
    config: BigInt(PERF_COUNT_SW_BPF_OUTPUT),
    samplePeriod: 1n,
    sampleType: PERF_SAMPLE_RAW,
  };
  if ('events' in wakeup) {
    if (!Number.isInteger(wakeup.events) || wakeup.events < 1) throw new RangeError(`wakeup.events must be >= 1, got ${wakeup.events}`);
    fields.wakeupEvents = wakeup.events;
  } else {
    if (!Number.isInteger(wakeup.watermarkBytes) || wakeup.watermarkBytes < 1) {
      throw new RangeError(`wakeup.watermarkBytes must be >= 1, got ${wakeup.watermarkBytes}`);
    }
    fields.wakeupWatermark = wakeup.watermarkBytes;
  }
  return openPerfEvent(fields, -1, cpu, `perf_event_open(bpf output, cpu ${cpu})`, 'perf');
}

const PROT_READ = 0x1;
const PROT_WRITE = 0x2;
const MAP_SHARED = 0x01;
const MAP_PRIVATE = 0x02;

/** One mmap(2)ing; close() unmaps it. */
export class MappedMemory {
  readonly address: bigint;
  readonly length: number;
  readonly #backend: FfiBackend;
  #buffer: ArrayBuffer | undefined;

  /** @internal use mmapFd() */
  constructor(backend: FfiBackend, address: bigint, length: number) {
    this.#backend = backend;
    this.address = address;
    this.length = length;
    this.#buffer = backend.view(address, length);
  }

  /**
   * The mapped bytes. Views made from it must be dropped before close(): touching unmapped
   * memory kills the process, so only this getter can refuse after close.
   */
  get buffer(): ArrayBuffer {
    if (this.#buffer === undefined) throw new Error(`mapping of ${this.length} bytes is closed`);
    return this.#buffer;
  }

  get closed(): boolean {
    return this.#buffer === undefined;
  }

  close(): void {
    if (this.#buffer === undefined) return;
    this.#buffer = undefined;
    this.#backend.munmap(this.address, this.length);
  }
}

/**
 * mmap(fd), read-only unless `writable` (a perf ring reader writes data_tail). Shared unless
 * `private`: /sys/kernel/btf/vmlinux (Linux 6.16+) maps only privately and read-only.
 */
export function mmapFd(fd: number, length: number, opts: { writable?: boolean; offset?: number; private?: boolean } = {}): MappedMemory {
  if (!Number.isInteger(length) || length <= 0) throw new RangeError(`mmap length must be a positive integer, got ${length}`);
  const backend = ffi();
  const prot = PROT_READ | (opts.writable === true ? PROT_WRITE : 0);
  const address = checkedSyscall(
    backend,
    () => `mmap(fd ${fd}, ${length} bytes${opts.writable === true ? ', writable' : ''}${opts.private === true ? ', private' : ''})`,
    'mmap',
    sys.mmap,
    0,
    length,
    prot,
    opts.private === true ? MAP_PRIVATE : MAP_SHARED,
    fd,
    opts.offset ?? 0,
  );
  return new MappedMemory(backend, BigInt(address), length);
}

/** AT_PAGESZ from the aux vector: the page size without loading any FFI (sysconf reads the same). */
function readPageSize(): number {
  const AT_PAGESZ = 6n;
  try {
    const auxv = readFileSync('/proc/self/auxv');
    const view = new DataView(auxv.buffer, auxv.byteOffset, auxv.byteLength);
    for (let offset = 0; offset + 16 <= view.byteLength; offset += 16) {
      const type = view.getBigUint64(offset, true);
      if (type === 0n) break;
      if (type === AT_PAGESZ) return Number(view.getBigUint64(offset + 8, true));
    }
  } catch {
    // No /proc: fall through to the common size.
  }
  return 4096;
}

/** The system page size; perf rings are 1 + 2^n pages. */
export const pageSize: number = readPageSize();

/**
 * Calls `onReadable` on the event loop each time `fd` becomes readable, without ever blocking
 * it (koffi: a libuv poll handle on an edge-triggered epoll set holding `fd`; ffi-napi:
 * edge-triggered epoll_wait on the thread pool). Edge-triggered: one call per wake-up of the
 * fd (a ring's watermark), none while records stay unread, so a reader that drains on a timer
 * as well is not called back on every turn of the loop. Close the watch before the fd.
 */
export function watchReadable(fd: number, onReadable: () => void): ReadableWatch {
  let watch: ReadableWatch | undefined = ffi().watchReadable(fd, onReadable);
  return {
    close(): void {
      const open = watch;
      watch = undefined;
      open?.close();
    },
  };
}
