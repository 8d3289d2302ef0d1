// The FFI seam: everything that touches native code goes through one FfiBackend. Two
// implementations exist (koffi, the default, and @2060.io/ffi-napi); both load their native
// addon only when first selected, so importing src/syscalls loads neither.
import { createKoffiBackend } from './ffi-koffi.ts';
import { createFfiNapiBackend } from './ffi-napi.ts';

/** The FFI backends there are; pick one with TS_TCPACCEPT_FFI or {@link selectFfiBackend}. */
export type BackendName = 'koffi' | 'ffi-napi';
/** Every {@link BackendName}, the default first. */
export const backendNames: readonly BackendName[] = ['koffi', 'ffi-napi'];

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

/** The native calls src/syscalls needs, implemented once per FFI library. */
export interface FfiBackend {
  readonly name: BackendName;
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

export { FfiUnavailableError } from './ffi-common.ts';

const factories: Record<BackendName, () => FfiBackend> = {
  koffi: createKoffiBackend,
  'ffi-napi': createFfiNapiBackend,
};
const loaded = new Map<BackendName, FfiBackend>();
let selected: FfiBackend | undefined;

/** Whether `name` names a backend. */
export function isBackendName(name: string): name is BackendName {
  return (backendNames as readonly string[]).includes(name);
}

/** The backend named by TS_TCPACCEPT_FFI (default koffi); throws on an unknown name. */
export function backendNameFromEnv(env: NodeJS.ProcessEnv = process.env): BackendName {
  const value = env.TS_TCPACCEPT_FFI;
  if (value === undefined || value === '') return 'koffi';
  if (isBackendName(value)) return value;
  throw new Error(`TS_TCPACCEPT_FFI=${value} is not a backend; use one of: ${backendNames.join(', ')}`);
}

/** Loads a backend (once) without selecting it. Throws FfiUnavailableError naming the other. */
export function loadFfiBackend(name: BackendName): FfiBackend {
  let backend = loaded.get(name);
  if (backend === undefined) {
    backend = factories[name]();
    loaded.set(name, backend);
  }
  return backend;
}

/** Makes `name` the backend every later kernel call uses. Objects already open keep theirs. */
export function selectFfiBackend(name: BackendName): FfiBackend {
  selected = loadFfiBackend(name);
  return selected;
}

/** The selected backend; on first use, the one TS_TCPACCEPT_FFI names (default koffi). */
export function ffi(): FfiBackend {
  return selected ?? selectFfiBackend(backendNameFromEnv());
}
