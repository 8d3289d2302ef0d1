// The FFI seam's types: what a backend is. The backends (koffi, ffi-napi, the fake kernel for
// tests) import only this file, and ffi.ts imports the backends, so there is no import cycle.

/** The FFI backends there are; pick one with TS_TCPACCEPT_FFI or `selectFfiBackend`. */
export type BackendName = 'koffi' | 'ffi-napi';

/** Integer syscall argument: numbers for ints and flags, bigints or numbers for addresses. */
export type SyscallArg = number | bigint;

/**
 * A block of zero-filled malloc'd memory. Its address is stable (V8 may move small typed arrays
 * kept on the JS heap, so anything whose address goes into the kernel lives here).
 */
export interface NativeMemory {
  readonly address: bigint;
  readonly length: number;
  /** Views over the native bytes; they must not be used after free(). */
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** Idempotent. */
  free(): void;
}

/** A running readiness watch on an fd (see {@link FfiBackend.watchReadable}). */
export interface ReadableWatch {
  /** Idempotent. Close the watch before closing the fd it watches. */
  close(): void;
}

/** The native calls src/syscalls needs, implemented once per FFI library (or faked). */
export interface FfiBackend {
  /** A BackendName for the real ones; `'fake'` for FakeBackend. */
  readonly name: BackendName | 'fake';
  /**
   * glibc syscall(2) with up to six integer arguments. Returns the result, or -errno on
   * failure (errno is read immediately after the call, before any other native code runs).
   */
  syscall(nr: number, ...args: SyscallArg[]): number;
  ioctl(fd: number, request: number, arg: SyscallArg): number;
  /** mmap(2) with a kernel-chosen address: the address, or -errno. */
  mmap(length: number, prot: number, flags: number, fd: number, offset: number): number;
  munmap(address: bigint, length: number): number;
  close(fd: number): number;
  /** errno of the last native call on the main thread. */
  errno(): number;
  /** sysconf(3). */
  sysconf(name: number): number;
  alloc(length: number): NativeMemory;
  /** An ArrayBuffer over native memory the caller owns (e.g. an mmapped ring). */
  view(address: bigint, length: number): ArrayBuffer;
  /**
   * Calls onReadable from the event loop each time fd becomes readable (edge-triggered: once
   * per wake-up of the fd, not again while bytes stay unread); never blocks the loop.
   */
  watchReadable(fd: number, onReadable: () => void): ReadableWatch;
}
