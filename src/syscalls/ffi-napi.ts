// ffi-napi backend (@2060.io forks of ffi-napi/ref-napi, optionalDependencies): the binding the
// project's design first named. Slower per call than koffi; select with TS_TCPACCEPT_FFI=ffi-napi.
import { createRequire } from 'node:module';
import type { FfiBackend, NativeMemory, ReadableWatch, SyscallArg } from './ffi-backend.ts';
import { FfiUnavailableError, OwnedNativeMemory, SyscallBackend, toSyscallResult } from './ffi-common.ts';
import { EPOLL, epollEventLayout } from './syscall-numbers.ts';
import { kernelError } from './kernel-call.ts';

// The slice of the ffi-napi/ref-napi APIs this file uses (their bundled typings pull in
// packages we do not install).
type ForeignFunction = ((...args: unknown[]) => unknown) & {
  async(...argsThenCallback: unknown[]): void;
};
interface FfiNapi {
  DynamicLibrary: new (path?: string) => { get(symbol: string): Buffer };
  ForeignFunction(pointer: Buffer, returnType: string, argTypes: string[]): ForeignFunction;
  errno(): number;
}
interface RefNapi {
  address(buffer: Buffer): number;
  reinterpret(buffer: Buffer, size: number, offset?: number): Buffer;
  readPointer(buffer: Buffer, offset: number, size: number): Buffer;
}

const EFD_CLOEXEC = 0x80000;
const EFD_NONBLOCK = 0x800;
const { CLOEXEC: EPOLL_CLOEXEC, CTL_ADD: EPOLL_CTL_ADD, CTL_DEL: EPOLL_CTL_DEL, IN: EPOLLIN, ET: EPOLLET } = EPOLL;

class FfiNapiBackend extends SyscallBackend {
  readonly name = 'ffi-napi' as const;
  readonly #ffi: FfiNapi;
  readonly #ref: RefNapi;
  readonly #libc: { get(symbol: string): Buffer };
  readonly #syscallByArity: ForeignFunction[] = [];
  readonly #sysconf: ForeignFunction;
  readonly #calloc: ForeignFunction;
  readonly #free: ForeignFunction;
  #epoll: EpollDispatcher | undefined;

  constructor(ffiNapi: FfiNapi, ref: RefNapi) {
    super();
    this.#ffi = ffiNapi;
    this.#ref = ref;
    this.#libc = new ffiNapi.DynamicLibrary('libc.so.6');
    this.#sysconf = ffiNapi.ForeignFunction(this.#libc.get('sysconf'), 'long', ['int']);
    this.#calloc = ffiNapi.ForeignFunction(this.#libc.get('calloc'), 'pointer', ['size_t', 'size_t']);
    this.#free = ffiNapi.ForeignFunction(this.#libc.get('free'), 'void', ['pointer']);
    // Created eagerly so the two fds it owns exist for the backend's whole life and never
    // show up as a "leak" in a test that counts fds around its first watchReadable().
    this.#epoll = new EpollDispatcher(this, ffiNapi.ForeignFunction(this.#libc.get('epoll_wait'), 'int', ['int', 'long', 'int', 'int']));
  }

  syscall(nr: number, ...args: SyscallArg[]): number {
    if (args.length > 6) throw new RangeError('syscall takes at most 6 arguments');
    let fn = this.#syscallByArity[args.length];
    if (fn === undefined) {
      // Declared with fixed arguments: on x86-64 and arm64 Linux integer varargs use the same
      // registers, and ffi-napi converts each declared argument, so fewer is faster.
      fn = this.#ffi.ForeignFunction(this.#libc.get('syscall'), 'long', new Array<string>(args.length + 1).fill('long'));
      this.#syscallByArity[args.length] = fn;
    }
    // ref-napi's int64 writer takes numbers, not bigints; user-space addresses fit in 2^53.
    const result = toSyscallResult(fn(nr, ...args.map(Number)));
    return result === -1 ? -this.#ffi.errno() : result;
  }

  errno(): number {
    return this.#ffi.errno();
  }

  sysconf(name: number): number {
    return toSyscallResult(this.#sysconf(name));
  }

  alloc(length: number): NativeMemory {
    const size = Math.max(1, length);
    const pointer = this.#calloc(1, size) as Buffer;
    const address = this.#ref.address(pointer);
    if (address === 0) throw new Error(`calloc(${size}) failed: out of memory`);
    const whole = this.#ref.reinterpret(pointer, size, 0);
    return new OwnedNativeMemory(BigInt(address), whole.buffer as ArrayBuffer, whole.byteOffset, length, () => this.#free(pointer));
  }

  view(address: bigint, length: number): ArrayBuffer {
    const holder = Buffer.alloc(8);
    holder.writeBigUInt64LE(address);
    const bytes = this.#ref.readPointer(holder, 0, length);
    if (bytes.byteOffset !== 0 || bytes.buffer.byteLength !== length) {
      throw new Error('ref-napi returned a Buffer that does not cover the native memory exactly');
    }
    return bytes.buffer as ArrayBuffer;
  }

  watchReadable(fd: number, onReadable: () => void): ReadableWatch {
    if (this.#epoll === undefined) throw new Error('ffi-napi backend: epoll dispatcher missing');
    return this.#epoll.add(fd, onReadable);
  }
}

/**
 * One epoll instance for every watched fd, waited on by a single epoll_wait on the libuv thread
 * pool at a time (so a 64-CPU machine does not occupy 64 pool threads). An eventfd wakes that
 * wait when the last watch closes, so the pending call never keeps the process alive.
 */
class EpollDispatcher {
  readonly #backend: FfiNapiBackend;
  readonly #epollWait: ForeignFunction;
  readonly #epfd: number;
  readonly #wakeFd: number;
  readonly #layout = epollEventLayout();
  readonly #maxEvents = 64;
  readonly #events: NativeMemory;
  readonly #scratch: NativeMemory;
  readonly #handlers = new Map<number, () => void>();
  #nextToken = 1; // token 0 is the wake eventfd
  #waiting = false;

  constructor(backend: FfiNapiBackend, epollWait: ForeignFunction) {
    this.#backend = backend;
    this.#epollWait = epollWait;
    const nr = backend.nr;
    const epfd = backend.syscall(nr.epoll_create1, EPOLL_CLOEXEC);
    if (epfd < 0) throw kernelError(`epoll_create1`, -epfd, { context: 'other' });
    const wakeFd = backend.syscall(nr.eventfd2, 0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wakeFd < 0) {
      backend.close(epfd);
      throw kernelError(`eventfd2`, -wakeFd, { context: 'other' });
    }
    this.#epfd = epfd;
    this.#wakeFd = wakeFd;
    this.#events = backend.alloc(this.#layout.size * this.#maxEvents);
    this.#scratch = backend.alloc(16);
    this.#ctl(EPOLL_CTL_ADD, wakeFd, 0, EPOLLIN, 'eventfd');
  }

  add(fd: number, onReadable: () => void): ReadableWatch {
    const token = this.#nextToken++;
    // Edge-triggered: reported once per wake-up of the producer (its watermark or 64 KiB mark),
    // not on every wait while bytes are unread; the wait is re-armed before the handler drains,
    // so level-triggered it would return at once, again and again, until the drain ran.
    this.#ctl(EPOLL_CTL_ADD, fd, token, EPOLLIN | EPOLLET, `fd ${fd}`);
    this.#handlers.set(token, onReadable);
    this.#arm();
    let open = true;
    return {
      close: (): void => {
        if (!open) return;
        open = false;
        this.#handlers.delete(token);
        // ENOENT/EBADF here only mean the fd was closed first; epoll already forgot it.
        this.#backend.syscall(this.#backend.nr.epoll_ctl, this.#epfd, EPOLL_CTL_DEL, fd, this.#scratch.address);
        if (this.#handlers.size === 0 && this.#waiting) this.#wake();
      },
    };
  }

  #ctl(op: number, fd: number, token: number, events: number, what: string): void {
    const view = this.#scratch.view;
    view.setUint32(0, events, true);
    view.setBigUint64(this.#layout.dataOffset, BigInt(token), true);
    const result = this.#backend.syscall(this.#backend.nr.epoll_ctl, this.#epfd, op, fd, this.#scratch.address);
    if (result < 0) throw kernelError(`epoll_ctl(${what})`, -result, { context: 'other' });
  }

  #wake(): void {
    this.#scratch.view.setBigUint64(8, 1n, true);
    this.#backend.syscall(this.#backend.nr.write, this.#wakeFd, this.#scratch.address + 8n, 8);
  }

  #arm(): void {
    if (this.#waiting || this.#handlers.size === 0) return;
    this.#waiting = true;
    this.#epollWait.async(this.#epfd, Number(this.#events.address), this.#maxEvents, -1, (error: unknown, count: unknown) => {
      this.#waiting = false;
      if (error) throw error;
      // A negative count is EINTR (errno lives on the pool thread): just wait again.
      const ready: Array<() => void> = [];
      const n = toSyscallResult(count);
      const view = this.#events.view;
      for (let i = 0; i < n; i++) {
        const token = view.getUint32(i * this.#layout.size + this.#layout.dataOffset, true);
        if (token === 0) {
          this.#backend.syscall(this.#backend.nr.read, this.#wakeFd, this.#scratch.address + 8n, 8);
          continue;
        }
        const handler = this.#handlers.get(token);
        if (handler !== undefined) ready.push(handler);
      }
      this.#arm();
      for (const handler of ready) handler();
    });
  }
}

/** The @2060.io/ffi-napi backend; loads its native addon on first call. */
export function createFfiNapiBackend(): FfiBackend {
  let ffiNapi: FfiNapi;
  let ref: RefNapi;
  try {
    const require = createRequire(import.meta.url);
    ffiNapi = require('@2060.io/ffi-napi') as FfiNapi;
    ref = require('@2060.io/ref-napi') as RefNapi;
  } catch (error) {
    throw new FfiUnavailableError('ffi-napi', error);
  }
  return new FfiNapiBackend(ffiNapi, ref);
}
