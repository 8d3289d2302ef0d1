// The FFI seam: everything that touches native code goes through one FfiBackend. Two
// implementations exist (koffi, the default, and @2060.io/ffi-napi); both load their native
// addon only when first selected, so importing src/syscalls loads neither. Unit tests put a
// FakeBackend (ffi-fake.ts: a scripted kernel in plain memory) in their place with useFfiBackend.
import { createKoffiBackend } from './ffi-koffi.ts';
import { createFfiNapiBackend } from './ffi-napi.ts';
import type { BackendName, FfiBackend } from './ffi-backend.ts';

export type { BackendName, FfiBackend, NativeMemory, ReadableWatch, SyscallArg } from './ffi-backend.ts';

/** Every {@link BackendName}, the default first. */
export const backendNames: readonly BackendName[] = ['koffi', 'ffi-napi'];

export { FfiUnavailableError } from './ffi-common.ts';
export { FakeBackend, type FakeBpfHandler, type FakeCall, type FakeSyscallHandler, type FakeSyscallName } from './ffi-fake.ts';

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

/**
 * Makes `backend` — any FfiBackend, e.g. a FakeBackend in a unit test — the one every later
 * kernel call uses. Returns a function that puts the previous selection back.
 */
export function useFfiBackend(backend: FfiBackend): () => void {
  const previous = selected;
  selected = backend;
  return () => {
    selected = previous;
  };
}

/** The selected backend; on first use, the one TS_TCPACCEPT_FFI names (default koffi). */
export function ffi(): FfiBackend {
  return selected ?? selectFfiBackend(backendNameFromEnv());
}
