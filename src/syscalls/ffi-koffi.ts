// koffi backend (default): prebuilt binaries ship inside the npm package, so no compiler is
// needed at install time. Pointers are bigints in koffi 3.
import { createRequire } from 'node:module';
import type * as KoffiModule from 'koffi';
import type { FfiBackend, NativeMemory, ReadableWatch, SyscallArg } from './ffi-backend.ts';
import { FfiUnavailableError, OwnedNativeMemory, SyscallBackend, toSyscallResult } from './ffi-common.ts';
import { EPOLL, epollEventLayout } from './syscall-numbers.ts';
import { kernelError } from './kernel-call.ts';

type Koffi = typeof KoffiModule;

const { CLOEXEC: EPOLL_CLOEXEC, CTL_ADD: EPOLL_CTL_ADD, IN: EPOLLIN, ET: EPOLLET } = EPOLL;
/** Events taken per epoll_pwait on the ring's own set (it holds one fd: one is enough). */
const EPOLL_BATCH = 1;
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
    // libuv polls level-triggered: once a ring has been reported, every later turn of the
    // event loop asks the ring again and reports it again while any byte is unread, so under
    // steady load the reader woke for a handful of records at a time (~700 extra drains per
    // 100 000 events), whatever wake-up mark the producer chose. So the ring goes into an epoll
    // set of its own, edge-triggered: that set becomes readable only when the producer really
    // wakes (its watermark, the ring buffer's 64 KiB mark), and libuv watches the set.
    const nr = this.nr;
    const epfd = this.syscall(nr.epoll_create1, EPOLL_CLOEXEC);
    if (epfd < 0) throw kernelError(`epoll_create1`, -epfd, { context: 'other' });
    const layout = epollEventLayout();
    const events = this.alloc(layout.size * EPOLL_BATCH);
    events.view.setUint32(0, EPOLLIN | EPOLLET, true);
    const added = this.syscall(nr.epoll_ctl, epfd, EPOLL_CTL_ADD, fd, events.address);
    if (added < 0) {
      events.free();
      this.close(epfd);
      throw kernelError(`epoll_ctl(ADD fd ${fd})`, -added, { context: 'other' });
    }
    // A libuv poll handle on the set: readiness is reported on the event loop, nothing blocks.
    let handle: KoffiModule.node.PollHandle | undefined;
    try {
      handle = this.#koffi.node.poll(epfd, { readable: true }, () => {
        if (handle === undefined) return;
        // Take the edge off the set (timeout 0), so that it is quiet until the next wake-up.
        this.syscall(nr.epoll_pwait, epfd, events.address, EPOLL_BATCH, 0, 0, 8);
        onReadable();
      });
    } catch (error) {
      events.free();
      this.close(epfd);
      throw error;
    }
    return {
      close: (): void => {
        const open = handle;
        if (open === undefined) return;
        handle = undefined;
        open.close();
        this.close(epfd);
        events.free();
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
