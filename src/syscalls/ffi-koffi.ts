// koffi backend (default): prebuilt binaries ship inside the npm package, so no compiler is
// needed at install time. Pointers are bigints in koffi 3.
import { createRequire } from 'node:module';
import type * as KoffiModule from 'koffi';
import type { FfiBackend, NativeMemory, ReadableWatch, SyscallArg } from './ffi.ts';
import { FfiUnavailableError, OwnedNativeMemory, SyscallBackend, toSyscallResult } from './ffi-common.ts';

type Koffi = typeof KoffiModule;
type NativeFunction = (...args: SyscallArg[]) => unknown;

class KoffiBackend extends SyscallBackend {
  readonly name = 'koffi' as const;
  readonly #koffi: Koffi;
  readonly #libc: KoffiModule.LibraryHandle;
  // One prototype per arity: koffi converts every declared argument, so fewer is faster.
  readonly #syscallByArity: NativeFunction[] = [];
  readonly #sysconf: NativeFunction;

  constructor(koffi: Koffi) {
    super();
    this.#koffi = koffi;
    this.#libc = koffi.load('libc.so.6');
    this.#sysconf = this.#libc.func('long sysconf(int)');
  }

  syscall(nr: number, ...args: SyscallArg[]): number {
    if (args.length > 6) throw new RangeError('syscall takes at most 6 arguments');
    let fn = this.#syscallByArity[args.length];
    if (fn === undefined) {
      // syscall(2) is variadic, but on x86-64 and arm64 Linux integer varargs travel in the
      // same registers as fixed ones, and glibc's syscall() reads them as registers.
      fn = this.#libc.func('syscall', 'long', new Array<string>(args.length + 1).fill('long'));
      this.#syscallByArity[args.length] = fn;
    }
    const result = toSyscallResult(fn(nr, ...args));
    return result === -1 ? -this.#koffi.errno() : result;
  }

  errno(): number {
    return this.#koffi.errno();
  }

  sysconf(name: number): number {
    return toSyscallResult(this.#sysconf(name));
  }

  alloc(length: number): NativeMemory {
    const koffi = this.#koffi;
    const size = Math.max(1, length);
    const pointer: unknown = koffi.alloc('uint8_t', size);
    const address = koffi.address(pointer);
    return new OwnedNativeMemory(address, koffi.view(pointer, size), 0, length, () => koffi.free(pointer));
  }

  view(address: bigint, length: number): ArrayBuffer {
    return this.#koffi.view(address, length);
  }

  watchReadable(fd: number, onReadable: () => void): ReadableWatch {
    // A libuv poll handle: readiness is reported on the event loop, nothing blocks.
    let handle: KoffiModule.node.PollHandle | undefined = this.#koffi.node.poll(fd, { readable: true }, () => {
      if (handle !== undefined) onReadable();
    });
    return {
      close(): void {
        const open = handle;
        handle = undefined;
        open?.close();
      },
    };
  }
}

/** The koffi backend (the default); loads koffi's native addon on first call. */
export function createKoffiBackend(): FfiBackend {
  let koffi: Koffi;
  try {
    koffi = createRequire(import.meta.url)('koffi') as Koffi;
  } catch (error) {
    throw new FfiUnavailableError('koffi', error);
  }
  return new KoffiBackend(koffi);
}
