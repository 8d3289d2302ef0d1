// A fake kernel behind the FFI seam, for unit tests without root: native memory is plain
// ArrayBuffers at made-up addresses, and each syscall is answered by a handler the test
// scripts (`on('bpf', …)`, `onBpf('PROG_LOAD', …)`). Unscripted syscalls fail with ENOSYS.
// Every call is recorded, so a test can check the exact sequence src/syscalls made.
//
//     const kernel = new FakeBackend().onBpf('PROG_LOAD', (attr) => kernel.openFd());
//     const restore = useFfiBackend(kernel);
//     try { loadProgram({ … }) } finally { restore() }
import { BpfCommand, type BpfCommandName } from './attrs.ts';
import { Errno } from './errors.ts';
import type { NativeMemory, ReadableWatch, SyscallArg } from './ffi-backend.ts';
import { OwnedNativeMemory, SyscallBackend } from './ffi-common.ts';
import type { SyscallNumbers } from './syscall-numbers.ts';

/** A syscall by the name SyscallNumbers gives it. */
export type FakeSyscallName = keyof SyscallNumbers;

/** Answers one syscall: the result, or -errno. */
export type FakeSyscallHandler = (args: readonly SyscallArg[], kernel: FakeBackend) => number;

/** Answers one bpf(2) command: `attr` views the caller's attr (`size` bytes). */
export type FakeBpfHandler = (attr: DataView, size: number, kernel: FakeBackend) => number;

/** One recorded call. */
export interface FakeCall {
  readonly name: FakeSyscallName | `nr ${number}`;
  readonly args: readonly SyscallArg[];
  /** For bpf(2): the command's name (PROG_LOAD, MAP_CREATE, …). */
  readonly bpfCommand?: BpfCommandName | undefined;
  /** For bpf(2): a copy of the attr bytes as the caller passed them. */
  readonly attr?: Uint8Array | undefined;
  readonly result: number;
}

interface Region {
  readonly address: bigint;
  readonly buffer: ArrayBuffer;
}

const PAGE = 4096;
/** Fake addresses start here, one page apart at least, so a stray 0 never resolves. */
const FIRST_ADDRESS = 0x7f00_0000_0000n;
/** Fake fds start here, far from the process's real ones. */
const FIRST_FD = 1000;
const SC_PAGESIZE = 30;
const SC_NPROCESSORS_ONLN = 84;

const bpfCommandName = new Map<number, BpfCommandName>(Object.entries(BpfCommand).map(([name, value]) => [value, name as BpfCommandName]));

/** A scripted kernel in plain memory, selectable with useFfiBackend. */
export class FakeBackend extends SyscallBackend {
  readonly name = 'fake' as const;
  /** Every syscall made, in order. */
  readonly calls: FakeCall[] = [];
  /** Fds the fake has handed out and not seen closed. */
  readonly openFds = new Set<number>();
  readonly #regions = new Map<bigint, Region>();
  readonly #handlers = new Map<number, FakeSyscallHandler>();
  readonly #bpf = new Map<number, FakeBpfHandler>();
  readonly #watches = new Map<number, Set<() => void>>();
  readonly #names = new Map<number, FakeSyscallName>();
  #nextAddress = FIRST_ADDRESS;
  #nextFd = FIRST_FD;
  #errno = 0;

  constructor() {
    super();
    for (const [name, nr] of Object.entries(this.nr)) this.#names.set(nr, name as FakeSyscallName);
    // What every kernel does the same way: close, mmap and munmap of fake memory, bpf by command.
    this.on('close', ([fd]) => (this.openFds.delete(Number(fd)) ? 0 : -Errno.EBADF));
    this.on('mmap', ([, length]) => Number(this.#map(Number(length))));
    this.on('munmap', ([address]) => (this.#regions.delete(BigInt(address as SyscallArg)) ? 0 : -Errno.EINVAL));
    this.on('bpf', ([cmd, attr, size]) => {
      const handler = this.#bpf.get(Number(cmd));
      if (handler === undefined) return -Errno.ENOSYS;
      return handler(this.dataView(BigInt(attr as SyscallArg), Number(size)), Number(size), this);
    });
  }

  // --- scripting ------------------------------------------------------------------------

  /** Answer syscall `name` with `handler` from now on (replacing the previous answer). */
  on(name: FakeSyscallName, handler: FakeSyscallHandler): this {
    this.#handlers.set(this.nr[name], handler);
    return this;
  }

  /** Answer bpf(2) command `command` with `handler` from now on. */
  onBpf(command: BpfCommandName, handler: FakeBpfHandler): this {
    this.#bpf.set(BpfCommand[command], handler);
    return this;
  }

  /** A new fd, as open(2) would hand out; close() of it succeeds once. */
  openFd(): number {
    const fd = this.#nextFd++;
    this.openFds.add(fd);
    return fd;
  }

  /** The bpf(2) calls made, by command, in order. */
  bpfCalls(command?: BpfCommandName): FakeCall[] {
    return this.calls.filter((call) => call.bpfCommand !== undefined && (command === undefined || call.bpfCommand === command));
  }

  /** Fire the watches on `fd`, as the kernel would on a wake-up (on the next turn of the loop). */
  wake(fd: number): void {
    const watches = this.#watches.get(fd);
    for (const callback of watches ?? []) setImmediate(() => watches?.has(callback) && callback());
  }

  /** Allocations of fake native memory still live (neither freed nor unmapped). */
  get liveRegions(): number {
    return this.#regions.size;
  }

  // --- the fake's memory ----------------------------------------------------------------

  /** A DataView over fake memory at `address` (which must lie in one allocation). */
  dataView(address: bigint, length: number): DataView {
    const { region, offset } = this.#find(address, length);
    return new DataView(region.buffer, offset, length);
  }

  /** A Uint8Array over fake memory at `address`. */
  bytes(address: bigint, length: number): Uint8Array {
    const { region, offset } = this.#find(address, length);
    return new Uint8Array(region.buffer, offset, length);
  }

  /** The NUL-terminated string at `address` (at most `max` bytes). */
  cString(address: bigint, max = 4096): string {
    const { region, offset } = this.#find(address, 1);
    const bytes = new Uint8Array(region.buffer, offset, Math.min(max, region.buffer.byteLength - offset));
    const end = bytes.indexOf(0);
    return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
  }

  /** Writes `text` and a NUL at `address`, cut to `capacity` bytes as the kernel cuts its log. */
  writeCString(address: bigint, capacity: number, text: string): void {
    if (capacity <= 0) return;
    const encoded = new TextEncoder().encode(text).subarray(0, capacity - 1);
    const target = this.bytes(address, encoded.length + 1);
    target.set(encoded);
    target[encoded.length] = 0;
  }

  #map(length: number): bigint {
    const address = this.#nextAddress;
    const size = Math.max(1, length);
    this.#nextAddress += BigInt(Math.ceil(size / PAGE) * PAGE + PAGE);
    this.#regions.set(address, { address, buffer: new ArrayBuffer(size) });
    return address;
  }

  #find(address: bigint, length: number): { region: Region; offset: number } {
    for (const region of this.#regions.values()) {
      const offset = Number(address - region.address);
      if (offset >= 0 && offset + length <= region.buffer.byteLength) return { region, offset };
    }
    throw new RangeError(`fake kernel: no allocation holds ${length} bytes at 0x${address.toString(16)}`);
  }

  // --- FfiBackend -----------------------------------------------------------------------

  syscall(nr: number, ...args: SyscallArg[]): number {
    const name = this.#names.get(nr) ?? (`nr ${nr}` as const);
    const handler = this.#handlers.get(nr);
    let bpfCommand: BpfCommandName | undefined;
    let attr: Uint8Array | undefined;
    if (nr === this.nr.bpf) {
      bpfCommand = bpfCommandName.get(Number(args[0]));
      try {
        attr = this.bytes(BigInt(args[1] ?? 0), Number(args[2] ?? 0)).slice();
      } catch {
        attr = undefined;
      }
    }
    const result = handler === undefined ? -Errno.ENOSYS : handler(args, this);
    this.#errno = result < 0 ? -result : 0;
    this.calls.push({ name, args, bpfCommand, attr, result });
    return result;
  }

  errno(): number {
    return this.#errno;
  }

  sysconf(name: number): number {
    if (name === SC_PAGESIZE) return PAGE;
    if (name === SC_NPROCESSORS_ONLN) return 2;
    return -1;
  }

  alloc(length: number): NativeMemory {
    const address = this.#map(length);
    const region = this.#regions.get(address) as Region;
    return new OwnedNativeMemory(address, region.buffer, 0, length, () => {
      this.#regions.delete(address);
    });
  }

  view(address: bigint, length: number): ArrayBuffer {
    const region = this.#regions.get(address);
    if (region === undefined || region.buffer.byteLength < length) {
      throw new RangeError(`fake kernel: no mapping of ${length} bytes starts at 0x${address.toString(16)}`);
    }
    return region.buffer;
  }

  watchReadable(fd: number, onReadable: () => void): ReadableWatch {
    const watches = this.#watches.get(fd) ?? new Set<() => void>();
    this.#watches.set(fd, watches);
    const callback = (): void => onReadable();
    watches.add(callback);
    return { close: () => void watches.delete(callback) };
  }
}
