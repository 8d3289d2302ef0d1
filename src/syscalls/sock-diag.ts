// The NETLINK_SOCK_DIAG socket: lists TCP listeners with their accept-queue figures, the data
// `ss -tlnm` prints, without running ss. The messages and their meaning are in
// sock-diag-messages.ts; this file only does the socket calls.
//
// It is polled every second, possibly with thousands of listeners, so one socket and one
// native receive buffer serve every call, and a call costs two syscalls per request plus one
// per ~32 KiB of replies (netlink_dump fills skbs of at most SKB_WITH_OVERHEAD(32768) bytes).
// sock_diag answers for the caller's network namespace only.
import { ffi, type FfiBackend, type NativeMemory } from './ffi.ts';
import { Errno, KernelError } from './errors.ts';
import { FdOwner } from './fd-owner.ts';
import { ParseError } from '../parse/parse-error.ts';
import { syscallNumbers } from './syscall-numbers.ts';
import {
  INET_DIAG_REQUEST_SIZE,
  SOCK_DIAG,
  SOCK_DIAG_LAYOUT,
  parseSockDiagReplies,
  writeInetDiagRequest,
  type TcpListener,
} from './sock-diag-messages.ts';

const sys = syscallNumbers();

/** include/linux/net.h, include/uapi/asm-generic/fcntl.h (O_CLOEXEC is 0x80000 on x64 and arm64). */
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0x80000;
/** include/uapi/asm-generic/socket.h: SO_RCVTIMEO_OLD takes a struct timeval of two longs on 64-bit. */
const SOL_SOCKET = 1;
const SO_RCVTIMEO = 20;
const TIMEVAL_SIZE = 16;
/** include/linux/socket.h */
const MSG_TRUNC = 0x20;
const MSG_DONTWAIT = 0x40;

/**
 * Larger than any dump datagram: netlink_dump allocates at most max_recvmsg_len, capped at
 * SKB_WITH_OVERHEAD(32768), so ~32 KiB would do; MSG_TRUNC still catches a kernel that sends more.
 */
const RECEIVE_BUFFER_SIZE = 64 * 1024;
/**
 * The kernel answers a dump synchronously (the first part during sendto, each next one during
 * the recvfrom that reads the previous), so a wait this long means something is badly wrong;
 * it bounds how long the event loop can be blocked.
 */
const RECEIVE_TIMEOUT_S = 1;
/** How many datagrams a drain after a failed dump reads at most before giving up. */
const DRAIN_LIMIT = 100_000;

/** Which listeners tcpListeners() returns. */
export interface TcpListenerFilter {
  /** Only IPv4 (AF_INET) or only IPv6 (AF_INET6, which includes dual-stack `::`) listeners; both when absent. */
  family?: 4 | 6;
}

/**
 * A NETLINK_SOCK_DIAG socket, owned (close() closes it): lists the TCP listeners of the
 * caller's network namespace with their accept-queue length, limit and drop counter. One
 * socket and one receive buffer are reused by every call.
 */
export class SockDiag extends FdOwner {
  readonly #memory: NativeMemory;
  readonly #receive: Uint8Array;
  readonly #requestAddress: bigint;
  readonly #peerAddress: bigint;
  readonly #requestView: DataView;
  #seq = 0;

  private constructor(backend: FfiBackend, fd: number, memory: NativeMemory) {
    super(backend, fd, 'NETLINK_SOCK_DIAG socket');
    this.#memory = memory;
    // One block: [receive buffer][request][sockaddr_nl of the kernel].
    this.#receive = memory.bytes.subarray(0, RECEIVE_BUFFER_SIZE);
    this.#requestAddress = memory.address + BigInt(RECEIVE_BUFFER_SIZE);
    this.#requestView = new DataView(memory.bytes.buffer, memory.bytes.byteOffset + RECEIVE_BUFFER_SIZE, INET_DIAG_REQUEST_SIZE);
    const peerOffset = RECEIVE_BUFFER_SIZE + INET_DIAG_REQUEST_SIZE;
    this.#peerAddress = memory.address + BigInt(peerOffset);
    const nl = SOCK_DIAG_LAYOUT.sockaddr_nl;
    // nl_pid 0 and nl_groups 0: the kernel itself (the block is zero-filled).
    memory.view.setUint16(peerOffset + nl.nl_family, SOCK_DIAG.AF_NETLINK, true);
  }

  /** Opens the socket: `socket(AF_NETLINK, SOCK_DGRAM|SOCK_CLOEXEC, NETLINK_SOCK_DIAG)`. */
  static open(): SockDiag {
    const backend = ffi();
    const fd = backend.syscall(sys.socket, SOCK_DIAG.AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, SOCK_DIAG.NETLINK_SOCK_DIAG);
    if (fd < 0) {
      const errno = -fd;
      // EPROTONOSUPPORT: no sock_diag in this kernel (CONFIG_INET_DIAG), or it cannot be loaded.
      const hint = errno === 93 ? 'the kernel has no sock_diag (CONFIG_INET_DIAG); try `modprobe inet_diag`' : undefined;
      throw new KernelError('socket(AF_NETLINK, NETLINK_SOCK_DIAG)', errno, hint === undefined ? {} : { hint });
    }
    let memory: NativeMemory | undefined;
    try {
      memory = backend.alloc(RECEIVE_BUFFER_SIZE + INET_DIAG_REQUEST_SIZE + SOCK_DIAG_LAYOUT.sockaddr_nl.size + TIMEVAL_SIZE);
      const timeval = RECEIVE_BUFFER_SIZE + INET_DIAG_REQUEST_SIZE + SOCK_DIAG_LAYOUT.sockaddr_nl.size;
      memory.view.setBigInt64(timeval, BigInt(RECEIVE_TIMEOUT_S), true); // tv_sec
      const set = backend.syscall(sys.setsockopt, fd, SOL_SOCKET, SO_RCVTIMEO, memory.address + BigInt(timeval), TIMEVAL_SIZE);
      if (set < 0) throw new KernelError('setsockopt(NETLINK_SOCK_DIAG, SO_RCVTIMEO)', -set);
      return new SockDiag(backend, fd, memory);
    } catch (error) {
      memory?.free();
      backend.close(fd);
      throw error;
    }
  }

  /**
   * Every TCP listener of this network namespace (or of one family), with its accept-queue
   * figures: one SOCK_DIAG_BY_FAMILY dump per family, read until NLMSG_DONE. Throws
   * KernelError for a failed call or an NLMSG_ERROR, ParseError for a malformed reply.
   */
  tcpListeners(filter: TcpListenerFilter = {}): TcpListener[] {
    const listeners: TcpListener[] = [];
    if (filter.family !== 6) this.#dump(4, listeners);
    if (filter.family !== 4) this.#dump(6, listeners);
    return listeners;
  }

  #dump(family: 4 | 6, into: TcpListener[]): void {
    const fd = this.fd;
    const seq = (this.#seq = (this.#seq + 1) >>> 0);
    const operation = `NETLINK_SOCK_DIAG dump of TCP listeners (AF_INET${family === 4 ? '' : '6'})`;
    writeInetDiagRequest(this.#requestView, 0, family, seq);
    for (;;) {
      const sent = this.backend.syscall(
        sys.sendto,
        fd,
        this.#requestAddress,
        INET_DIAG_REQUEST_SIZE,
        0,
        this.#peerAddress,
        SOCK_DIAG_LAYOUT.sockaddr_nl.size,
      );
      if (sent >= 0) break;
      if (-sent !== Errno.EINTR) throw new KernelError(`sendto(${operation})`, -sent);
    }
    try {
      for (;;) {
        const length = this.#receiveOne(operation, 0);
        if (length > RECEIVE_BUFFER_SIZE) {
          throw new ParseError(
            'NETLINK_SOCK_DIAG reply',
            `datagram of ${length} bytes is larger than the ${RECEIVE_BUFFER_SIZE}-byte buffer`,
          );
        }
        if (parseSockDiagReplies(this.#receive.subarray(0, length), { seq, into, operation }).done) return;
      }
    } catch (error) {
      // The rest of this dump would otherwise be read by the next call.
      this.#drain();
      throw error;
    }
  }

  /** One datagram into the receive buffer; its full length (MSG_TRUNC), or -errno with `flags` MSG_DONTWAIT. */
  #receiveOne(operation: string, flags: number): number {
    for (;;) {
      const length = this.backend.syscall(sys.recvfrom, this.fd, this.#memory.address, RECEIVE_BUFFER_SIZE, MSG_TRUNC | flags, 0, 0);
      if (length >= 0) return length;
      const errno = -length;
      if (errno === Errno.EINTR) continue;
      if ((flags & MSG_DONTWAIT) !== 0) return length;
      const hint =
        errno === Errno.EAGAIN
          ? `no reply from the kernel within ${RECEIVE_TIMEOUT_S} s`
          : errno === 105 // ENOBUFS: the socket's receive queue overflowed and parts of the dump are lost
            ? 'the kernel dropped part of the reply (receive queue overrun); try again'
            : undefined;
      throw new KernelError(`recvfrom(${operation})`, errno, hint === undefined ? {} : { hint });
    }
  }

  /** Reads and discards whatever an aborted dump left queued (each read lets the kernel add the next part). */
  #drain(): void {
    if (this.closed) return;
    for (let i = 0; i < DRAIN_LIMIT; i++) {
      if (this.#receiveOne('drain', MSG_DONTWAIT) < 0) return;
    }
  }

  protected override releaseResources(): void {
    this.#memory.free();
  }
}
