// What both FFI backends share: the calls that are plain syscalls, expressed once over the
// backend's raw syscall().
import type { BackendName, FfiBackend, NativeMemory, ReadableWatch, SyscallArg } from './ffi-backend.ts';
import { syscallNumbers, type SyscallNumbers } from './syscall-numbers.ts';

/** Base of the FFI backends (and the fake): ioctl, mmap, munmap and close as plain syscalls over `syscall()`. */
export abstract class SyscallBackend implements FfiBackend {
  abstract readonly name: FfiBackend['name'];
  readonly nr: SyscallNumbers = syscallNumbers();

  abstract syscall(nr: number, ...args: SyscallArg[]): number;
  abstract errno(): number;
  abstract sysconf(name: number): number;
  abstract alloc(length: number): NativeMemory;
  abstract view(address: bigint, length: number): ArrayBuffer;
  abstract watchReadable(fd: number, onReadable: () => void): ReadableWatch;

  ioctl(fd: number, request: number, arg: SyscallArg): number {
    return this.syscall(this.nr.ioctl, fd, request, arg);
  }

  mmap(length: number, prot: number, flags: number, fd: number, offset: number): number {
    return this.syscall(this.nr.mmap, 0, length, prot, flags, fd, offset);
  }

  munmap(address: bigint, length: number): number {
    return this.syscall(this.nr.munmap, address, length);
  }

  close(fd: number): number {
    return this.syscall(this.nr.close, fd);
  }
}

/** NativeMemory over a block `release` frees; views are dropped on free so stale use throws. */
export class OwnedNativeMemory implements NativeMemory {
  readonly address: bigint;
  readonly length: number;
  #bytes: Uint8Array | undefined;
  #view: DataView | undefined;
  #release: (() => void) | undefined;

  constructor(address: bigint, buffer: ArrayBuffer, byteOffset: number, length: number, release: () => void) {
    this.address = address;
    this.length = length;
    this.#bytes = new Uint8Array(buffer, byteOffset, length);
    this.#view = new DataView(buffer, byteOffset, length);
    this.#release = release;
    this.#bytes.fill(0);
  }

  get bytes(): Uint8Array {
    if (this.#bytes === undefined) throw new Error('native memory used after free()');
    return this.#bytes;
  }

  get view(): DataView {
    if (this.#view === undefined) throw new Error('native memory used after free()');
    return this.#view;
  }

  free(): void {
    const release = this.#release;
    if (release === undefined) return;
    this.#release = undefined;
    this.#bytes = undefined;
    this.#view = undefined;
    release();
  }
}

/** Raw syscall results come back as number, or as bigint/string from some FFI return paths. */
export function toSyscallResult(raw: unknown): number {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'bigint' || typeof raw === 'string') return Number(raw);
  throw new TypeError(`unexpected syscall result ${String(raw)}`);
}

/** The selected backend's native module is not installed or failed to load. */
export class FfiUnavailableError extends Error {
  readonly backend: BackendName;
  constructor(backend: BackendName, cause: unknown) {
    const other: BackendName = backend === 'koffi' ? 'ffi-napi' : 'koffi';
    const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    super(
      `FFI backend "${backend}" is unavailable (${reason}). ` +
        (backend === 'koffi'
          ? `Reinstall the koffi package, or use the other backend: TS_TCPACCEPT_FFI=${other} ` +
            `(needs @2060.io/ffi-napi and @2060.io/ref-napi).`
          : `Install @2060.io/ffi-napi and @2060.io/ref-napi (they build with node-gyp), ` +
            `or use the other backend: TS_TCPACCEPT_FFI=${other} (the default).`),
      { cause },
    );
    this.name = 'FfiUnavailableError';
    this.backend = backend;
  }
}
