// bpf(2): maps, program loading with the verifier log, program info and stats, id enumeration.
import { ffi, type FfiBackend, type NativeMemory } from './ffi.ts';
import { Errno } from './errors.ts';
import { checkedSyscall, kernelError } from './kernel-call.ts';
import { syscallNumbers } from './syscall-numbers.ts';
import { possibleCpus } from './cpus.ts';
import { FdOwner } from './fd-owner.ts';
import {
  attrSize,
  BpfCommand,
  BPF_STATS_RUN_TIME,
  parseProgramInfo,
  PROG_INFO_SIZE,
  readNextId,
  writeEnableStatsAttr,
  writeGetNextIdAttr,
  writeMapCreateAttr,
  writeMapElemAttr,
  writeObjInfoAttr,
  writeProgLoadAttr,
  type ProgramInfo,
} from './attrs.ts';

export type { ProgramInfo } from './attrs.ts';

/** enum bpf_map_type (include/uapi/linux/bpf.h), the kinds this project uses. */
export enum MapType {
  Hash = 1,
  Array = 2,
  PerfEventArray = 4,
  PercpuHash = 5,
  PercpuArray = 6,
  /** BPF_MAP_TYPE_CGROUP_ARRAY: cgroup directory fds, for bpf_current_task_under_cgroup. */
  CgroupArray = 8,
  LruHash = 9,
  RingBuf = 27,
}

/** enum bpf_prog_type (include/uapi/linux/bpf.h), the kinds this project can attach. */
export enum ProgType {
  SocketFilter = 1,
  Kprobe = 2,
  Tracepoint = 5,
  PerfEvent = 7,
  RawTracepoint = 17,
}

/** map_flags (include/uapi/linux/bpf.h). */
export const MapFlags = { NO_PREALLOC: 1 << 0 } as const;
/** flags of BPF_MAP_UPDATE_ELEM (include/uapi/linux/bpf.h). */
export const UpdateFlags = { ANY: 0, NOEXIST: 1, EXIST: 2 } as const;

const sys = syscallNumbers();

/** bpf(cmd, attr, size) through the one checked path. */
function bpfCall(
  backend: FfiBackend,
  command: keyof typeof BpfCommand,
  attr: NativeMemory,
  size: number,
  operation: string | (() => string),
): number {
  return checkedSyscall(backend, operation, 'bpf', sys.bpf, BpfCommand[command], attr.address, size);
}

/** bpf(cmd, attr, size) returning -errno instead of throwing, for expected failures. */
function bpfTry(backend: FfiBackend, command: keyof typeof BpfCommand, attr: NativeMemory, size: number): number {
  return backend.syscall(sys.bpf, BpfCommand[command], attr.address, size);
}

function withNative<T>(backend: FfiBackend, length: number, use: (memory: NativeMemory) => T): T {
  const memory = backend.alloc(length);
  try {
    return use(memory);
  } finally {
    memory.free();
  }
}

function isPerCpu(type: MapType): boolean {
  return type === MapType.PercpuArray || type === MapType.PercpuHash;
}

/** What {@link createMap} creates: BPF_MAP_CREATE's fields. */
export interface CreateMapOptions {
  type: MapType;
  /** At most 15 characters of [A-Za-z0-9_.]; shows in `bpftool map`. */
  name: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags?: number;
}

/**
 * A BPF map, owned: close() releases the fd (the kernel frees the map once no loaded program
 * holds it either). Element calls take and return raw bytes in the kernel's layout
 * (little-endian here); they allocate nothing per call.
 */
export class BpfMap extends FdOwner {
  readonly name: string;
  readonly type: MapType;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  /**
   * Bytes of a value as user space sees it: valueSize, or for per-CPU maps one 8-byte-aligned
   * slot per possible CPU (what the kernel copies in lookup/update).
   */
  readonly userValueSize: number;
  // attr | key | value | next key, allocated once: element calls allocate nothing.
  #scratch: NativeMemory | undefined;
  readonly #keyOffset: number;
  readonly #valueOffset: number;
  readonly #nextKeyOffset: number;

  /** @internal use createMap() */
  constructor(backend: FfiBackend, fd: number, options: CreateMapOptions, scratch: NativeMemory, userValueSize: number) {
    super(backend, fd, `BPF map ${options.name}`);
    this.name = options.name;
    this.type = options.type;
    this.keySize = options.keySize;
    this.valueSize = options.valueSize;
    this.maxEntries = options.maxEntries;
    this.userValueSize = userValueSize;
    this.#scratch = scratch;
    this.#keyOffset = attrSize.mapElem;
    this.#valueOffset = alignUp(this.#keyOffset + options.keySize, 8);
    this.#nextKeyOffset = alignUp(this.#valueOffset + userValueSize, 8);
  }

  /** Bytes of the per-map native scratch block: attr, key, value and next key, each 8-aligned. */
  static scratchSize(keySize: number, userValueSize: number): number {
    return alignUp(alignUp(attrSize.mapElem + keySize, 8) + userValueSize, 8) + keySize;
  }

  /** BPF_MAP_UPDATE_ELEM; flags are UpdateFlags (ANY creates or replaces). */
  update(key: Uint8Array, value: Uint8Array, flags: number = UpdateFlags.ANY): void {
    const scratch = this.#prepare(key, 'BPF_MAP_UPDATE_ELEM');
    if (value.length !== this.userValueSize) {
      throw new RangeError(`map ${this.name}: value has ${value.length} bytes, expected ${this.userValueSize}`);
    }
    scratch.bytes.set(value, this.#valueOffset);
    this.#writeAttr(scratch, scratch.address + BigInt(this.#valueOffset), BigInt(flags));
    bpfCall(this.backend, 'MAP_UPDATE_ELEM', scratch, attrSize.mapElem, () => `BPF_MAP_UPDATE_ELEM(${this.name})`);
  }

  /** BPF_MAP_LOOKUP_ELEM: a copy of the value, or undefined when the key is absent. */
  lookup(key: Uint8Array): Uint8Array | undefined {
    const scratch = this.#prepare(key, 'BPF_MAP_LOOKUP_ELEM');
    this.#writeAttr(scratch, scratch.address + BigInt(this.#valueOffset), 0n);
    const result = bpfTry(this.backend, 'MAP_LOOKUP_ELEM', scratch, attrSize.mapElem);
    if (result === -Errno.ENOENT) return undefined;
    if (result < 0) throw kernelError(`BPF_MAP_LOOKUP_ELEM(${this.name})`, -result, { context: 'bpf' });
    return scratch.bytes.slice(this.#valueOffset, this.#valueOffset + this.userValueSize);
  }

  /** BPF_MAP_DELETE_ELEM: false when the key was absent. Array maps cannot delete (EINVAL). */
  delete(key: Uint8Array): boolean {
    const scratch = this.#prepare(key, 'BPF_MAP_DELETE_ELEM');
    this.#writeAttr(scratch, 0n, 0n);
    const result = bpfTry(this.backend, 'MAP_DELETE_ELEM', scratch, attrSize.mapElem);
    if (result === -Errno.ENOENT) return false;
    if (result < 0) throw kernelError(`BPF_MAP_DELETE_ELEM(${this.name})`, -result, { context: 'bpf' });
    return true;
  }

  /** BPF_MAP_GET_NEXT_KEY: the key after `key` (the first key without one), or undefined at the end. */
  nextKey(key?: Uint8Array): Uint8Array | undefined {
    let scratch: NativeMemory;
    let keyAddress = 0n;
    if (key === undefined) {
      scratch = this.#live();
    } else {
      scratch = this.#prepare(key, 'BPF_MAP_GET_NEXT_KEY');
      keyAddress = scratch.address + BigInt(this.#keyOffset);
    }
    scratch.bytes.fill(0, 0, attrSize.mapElem);
    writeMapElemAttr(scratch.view, {
      mapFd: this.fd,
      key: keyAddress,
      valueOrNextKey: scratch.address + BigInt(this.#nextKeyOffset),
      flags: 0n,
    });
    const result = bpfTry(this.backend, 'MAP_GET_NEXT_KEY', scratch, attrSize.mapElem);
    if (result === -Errno.ENOENT) return undefined;
    if (result < 0) throw kernelError(`BPF_MAP_GET_NEXT_KEY(${this.name})`, -result, { context: 'bpf' });
    return scratch.bytes.slice(this.#nextKeyOffset, this.#nextKeyOffset + this.keySize);
  }

  /** Every key, in the kernel's iteration order. */
  *keys(): IterableIterator<Uint8Array> {
    for (let key = this.nextKey(); key !== undefined; key = this.nextKey(key)) yield key;
  }

  protected override releaseResources(): void {
    this.#scratch?.free();
    this.#scratch = undefined;
  }

  #live(): NativeMemory {
    if (this.#scratch === undefined) throw new Error(`BPF map ${this.name} is closed`);
    return this.#scratch;
  }

  #prepare(key: Uint8Array, operation: string): NativeMemory {
    const scratch = this.#live();
    if (key.length !== this.keySize) {
      throw new RangeError(`${operation}(${this.name}): key has ${key.length} bytes, expected ${this.keySize}`);
    }
    scratch.bytes.set(key, this.#keyOffset);
    return scratch;
  }

  #writeAttr(scratch: NativeMemory, valueAddress: bigint, flags: bigint): void {
    scratch.bytes.fill(0, 0, attrSize.mapElem);
    writeMapElemAttr(scratch.view, {
      mapFd: this.fd,
      key: scratch.address + BigInt(this.#keyOffset),
      valueOrNextKey: valueAddress,
      flags,
    });
  }
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

/** BPF_MAP_CREATE. */
export function createMap(options: CreateMapOptions): BpfMap {
  const backend = ffi();
  const perCpuSlots = isPerCpu(options.type) ? possibleCpus().length : 0;
  const userValueSize = perCpuSlots > 0 ? alignUp(options.valueSize, 8) * perCpuSlots : options.valueSize;
  const fd = withNative(backend, attrSize.mapCreate, (attr) => {
    writeMapCreateAttr(attr.view, {
      type: options.type,
      keySize: options.keySize,
      valueSize: options.valueSize,
      maxEntries: options.maxEntries,
      flags: options.flags ?? 0,
      name: options.name,
    });
    return bpfCall(
      backend,
      'MAP_CREATE',
      attr,
      attrSize.mapCreate,
      () => `BPF_MAP_CREATE(${MapType[options.type] ?? options.type} ${options.name})`,
    );
  });
  let scratch: NativeMemory;
  try {
    scratch = backend.alloc(BpfMap.scratchSize(options.keySize, userValueSize));
  } catch (error) {
    backend.close(fd);
    throw error;
  }
  return new BpfMap(backend, fd, options, scratch, userValueSize);
}

/** A loaded BPF program, owned: close() releases the fd (attachments hold their own reference). */
export class BpfProgram extends FdOwner {
  readonly name: string;
  readonly type: ProgType;

  /** @internal use loadProgram() */
  constructor(backend: FfiBackend, fd: number, name: string, type: ProgType) {
    super(backend, fd, `BPF program ${name}`);
    this.name = name;
    this.type = type;
  }

  /** BPF_OBJ_GET_INFO_BY_FD: id, tag, name and (with stats enabled) run time and count. */
  info(): ProgramInfo {
    const backend = this.backend;
    return withNative(backend, attrSize.objInfo + PROG_INFO_SIZE, (memory) => {
      writeObjInfoAttr(memory.view, this.fd, PROG_INFO_SIZE, memory.address + BigInt(attrSize.objInfo));
      bpfCall(backend, 'OBJ_GET_INFO_BY_FD', memory, attrSize.objInfo, () => `BPF_OBJ_GET_INFO_BY_FD(program ${this.name})`);
      return parseProgramInfo(new DataView(memory.view.buffer, memory.view.byteOffset + attrSize.objInfo, PROG_INFO_SIZE));
    });
  }
}

/** What {@link loadProgram} loads: BPF_PROG_LOAD's fields. */
export interface LoadProgramOptions {
  type: ProgType;
  name: string;
  /** Encoded instructions, 8 bytes each. */
  instructions: Uint8Array;
  /** Default 'GPL': the helpers tracing programs need are GPL-only. */
  license?: string;
  expectedAttachType?: number;
}

/** Verifier log buffer: first retry size, and the most a pre-5.2 kernel accepts (UINT_MAX >> 8). */
export const verifierLogSizes = { initial: 64 * 1024, max: (2 ** 32 - 1) >>> 8 } as const;

/** BPF_PROG_LOAD attempts while the kernel answers EAGAIN (libbpf uses 5 too). */
const PROG_LOAD_ATTEMPTS = 5;

// Failures a verifier log cannot explain: retrying with a log would only repeat them.
const noLogRetry = new Set<number>([Errno.EPERM, Errno.EMFILE, Errno.ENFILE, Errno.ENOMEM, Errno.ENOSYS, Errno.EFAULT]);

/**
 * BPF_PROG_LOAD, the libbpf way: load without a log first (cheap, no buffer), and only on
 * failure load again with log level 1 into a 64 KiB buffer, growing it while the kernel says the
 * log did not fit (ENOSPC). A rejection throws KernelError carrying the whole log.
 */
export function loadProgram(options: LoadProgramOptions): BpfProgram {
  const { instructions, name } = options;
  if (instructions.length === 0 || instructions.length % 8 !== 0) {
    throw new RangeError(`program ${name}: instructions must be a non-empty multiple of 8 bytes, got ${instructions.length}`);
  }
  const backend = ffi();
  const license = `${options.license ?? 'GPL'}\0`;
  const operation = `BPF_PROG_LOAD(${name})`;
  const licenseOffset = attrSize.progLoad + instructions.length;
  return withNative(backend, licenseOffset + license.length, (memory) => {
    memory.bytes.set(instructions, attrSize.progLoad);
    for (let i = 0; i < license.length; i++) memory.bytes[licenseOffset + i] = license.charCodeAt(i) & 0xff;
    const load = (logLevel: number, log: NativeMemory | undefined): number => {
      memory.bytes.fill(0, 0, attrSize.progLoad);
      writeProgLoadAttr(memory.view, {
        type: options.type,
        insnCount: instructions.length / 8,
        insns: memory.address + BigInt(attrSize.progLoad),
        license: memory.address + BigInt(licenseOffset),
        logLevel,
        logSize: log?.length ?? 0,
        logBuf: log?.address ?? 0n,
        name,
        expectedAttachType: options.expectedAttachType ?? 0,
      });
      // The verifier gives up with EAGAIN when a signal arrives while it works (seen here under
      // `node --cpu-prof`); like libbpf, try again a few times before calling it a failure.
      let result = bpfTry(backend, 'PROG_LOAD', memory, attrSize.progLoad);
      for (let attempt = 1; result === -Errno.EAGAIN && attempt < PROG_LOAD_ATTEMPTS; attempt++) {
        result = bpfTry(backend, 'PROG_LOAD', memory, attrSize.progLoad);
      }
      return result;
    };

    let result = load(0, undefined);
    if (result < 0 && !noLogRetry.has(-result)) {
      for (let logSize = verifierLogSizes.initial; ; logSize = Math.min(logSize * 4, verifierLogSizes.max)) {
        const log = backend.alloc(logSize);
        try {
          result = load(1, log);
          if (result >= 0) break;
          if (-result === Errno.ENOSPC && logSize < verifierLogSizes.max) continue;
          throw kernelError(operation, -result, { context: 'bpf', verifierLog: readCString(log.bytes) });
        } finally {
          log.free();
        }
      }
    }
    if (result < 0) throw kernelError(operation, -result, { context: 'bpf' });
    return new BpfProgram(backend, result, name, options.type);
  });
}

function readCString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}

/** Keeps BPF run-time statistics (run_time_ns, run_cnt) on while open. */
export class StatsHandle extends FdOwner {
  /** @internal use enableStats() */
  constructor(backend: FfiBackend, fd: number) {
    super(backend, fd, 'BPF stats handle');
  }
}

/** BPF_ENABLE_STATS(BPF_STATS_RUN_TIME), Linux 5.8+: stats stay on until the handle closes. */
export function enableStats(): StatsHandle {
  const backend = ffi();
  const fd = withNative(backend, attrSize.enableStats, (attr) => {
    writeEnableStatsAttr(attr.view, BPF_STATS_RUN_TIME);
    return bpfCall(backend, 'ENABLE_STATS', attr, attrSize.enableStats, 'BPF_ENABLE_STATS(BPF_STATS_RUN_TIME)');
  });
  return new StatsHandle(backend, fd);
}

function enumerateIds(command: 'PROG_GET_NEXT_ID' | 'MAP_GET_NEXT_ID'): number[] {
  const backend = ffi();
  const ids: number[] = [];
  withNative(backend, attrSize.getNextId, (attr) => {
    for (let id = 0; ;) {
      attr.bytes.fill(0);
      writeGetNextIdAttr(attr.view, id);
      const result = bpfTry(backend, command, attr, attrSize.getNextId);
      if (result === -Errno.ENOENT) break;
      if (result < 0) throw kernelError(`BPF_${command}`, -result, { context: 'bpf' });
      id = readNextId(attr.view);
      ids.push(id);
    }
  });
  return ids;
}

/** Ids of every BPF program loaded on the machine (BPF_PROG_GET_NEXT_ID). */
export function loadedProgramIds(): number[] {
  return enumerateIds('PROG_GET_NEXT_ID');
}

/** Ids of every BPF map on the machine (BPF_MAP_GET_NEXT_ID). */
export function loadedMapIds(): number[] {
  return enumerateIds('MAP_GET_NEXT_ID');
}
