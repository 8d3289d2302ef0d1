// Syscall numbers differ per architecture; glibc's syscall() takes the raw number.
// Sources: arch/x86/entry/syscalls/syscall_64.tbl and include/uapi/asm-generic/unistd.h
// (arm64 uses the generic table; it has no plain epoll_wait, only epoll_pwait).

/** The syscall numbers this project calls, for one architecture. */
export interface SyscallNumbers {
  readonly read: number;
  readonly write: number;
  readonly close: number;
  readonly mmap: number;
  readonly munmap: number;
  readonly ioctl: number;
  readonly mount: number;
  readonly getppid: number;
  readonly epoll_ctl: number;
  readonly epoll_pwait: number;
  readonly epoll_create1: number;
  readonly eventfd2: number;
  readonly perf_event_open: number;
  readonly bpf: number;
  /** sock-diag.ts: the NETLINK_SOCK_DIAG socket and its request/reply datagrams. */
  readonly socket: number;
  readonly setsockopt: number;
  readonly sendto: number;
  readonly recvfrom: number;
  /** process.ts: PR_SET_PDEATHSIG, so the tool ends with the process that started it. */
  readonly prctl: number;
  /** process.ts: a pidfd, readable when the process it names exits (Linux 5.3+). */
  readonly pidfd_open: number;
}

const x64: SyscallNumbers = {
  read: 0,
  write: 1,
  close: 3,
  mmap: 9,
  munmap: 11,
  ioctl: 16,
  mount: 165,
  getppid: 110,
  epoll_ctl: 233,
  epoll_pwait: 281,
  epoll_create1: 291,
  eventfd2: 290,
  perf_event_open: 298,
  bpf: 321,
  socket: 41,
  setsockopt: 54,
  sendto: 44,
  recvfrom: 45,
  prctl: 157,
  pidfd_open: 434,
};

const arm64: SyscallNumbers = {
  read: 63,
  write: 64,
  close: 57,
  mmap: 222,
  munmap: 215,
  ioctl: 29,
  mount: 40,
  getppid: 173,
  epoll_ctl: 21,
  epoll_pwait: 22,
  epoll_create1: 20,
  eventfd2: 19,
  perf_event_open: 241,
  bpf: 280,
  socket: 198,
  setsockopt: 208,
  sendto: 206,
  recvfrom: 207,
  prctl: 167,
  pidfd_open: 434,
};

/** The syscall table of the running architecture; throws on one we have no table for. */
export function syscallNumbers(arch: string = process.arch): SyscallNumbers {
  if (arch === 'x64') return x64;
  if (arch === 'arm64') return arm64;
  throw new Error(`ts-tcpaccept supports x64 and arm64 Linux; this is ${process.platform}/${arch}`);
}

/** The epoll flags both FFI backends use (include/uapi/linux/eventpoll.h; EPOLL_CLOEXEC = O_CLOEXEC). */
export const EPOLL = {
  CLOEXEC: 0x80000,
  CTL_ADD: 1,
  CTL_DEL: 2,
  IN: 0x1,
  ET: 0x8000_0000,
} as const;

/**
 * struct epoll_event is packed on x86-64 (12 bytes, data at offset 4) but naturally aligned
 * elsewhere (16 bytes, data at offset 8): include/uapi/linux/eventpoll.h, EPOLL_PACKED.
 */
export function epollEventLayout(arch: string = process.arch): { size: number; dataOffset: number } {
  return arch === 'x64' ? { size: 12, dataOffset: 4 } : { size: 16, dataOffset: 8 };
}
