// One error class for every failed kernel call, with a hint a person can act on.
import { constants as osConstants } from 'node:os';
import { getSystemErrorMap } from 'node:util';

/** What the failing call was about, to pick the right hint for an ambiguous errno. */
export type KernelCallContext = 'bpf' | 'tracepoint' | 'perf' | 'mmap' | 'mount' | 'other';

/** The errno values this project names in hints and handles specially (asm-generic/errno*.h). */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  E2BIG: 7,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ENOSPC: 28,
  ENOSYS: 38,
  EOPNOTSUPP: 95,
  ENOTSUPP: 524,
} as const;

const namesByNumber = new Map<number, string>();
for (const [name, value] of Object.entries(osConstants.errno)) {
  if (!namesByNumber.has(value)) namesByNumber.set(value, name);
}
// Kernel-internal code that bpf(2) leaks to user space; libc has no name for it.
namesByNumber.set(Errno.ENOTSUPP, 'ENOTSUPP');
// Aliases sharing a number: prefer the names the kernel sources use.
namesByNumber.set(Errno.EAGAIN, 'EAGAIN');
namesByNumber.set(Errno.EOPNOTSUPP, 'EOPNOTSUPP');

const descriptionOverrides = new Map<number, string>([[Errno.ENOTSUPP, 'Operation not supported by this kernel']]);
let systemErrors: Map<number, [string, string]> | undefined;

/** 'EPERM' for 1; `errno N` for numbers without a name here. */
export function errnoName(errno: number): string {
  return namesByNumber.get(errno) ?? `errno ${errno}`;
}

/** strerror-like text ("Operation not permitted"). */
export function errnoDescription(errno: number): string {
  const override = descriptionOverrides.get(errno);
  if (override !== undefined) return override;
  systemErrors ??= getSystemErrorMap();
  // libuv keys its table by the negated errno on Unix.
  const text = systemErrors.get(-errno)?.[1];
  if (text === undefined) return 'Unknown error';
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The hint for an errno from a call of the given kind; '' when we have nothing useful. */
export function hintFor(errno: number, context: KernelCallContext = 'other'): string {
  switch (errno) {
    case Errno.EPERM:
    case Errno.EACCES:
      if (context === 'mount') return 'run as root (mounting tracefs needs CAP_SYS_ADMIN)';
      if (context === 'mmap') {
        return 'run as root, or raise kernel.perf_event_mlock_kb for rings this large';
      }
      return (
        'run as root or grant CAP_BPF and CAP_PERFMON' +
        (context === 'bpf' ? ' (kernels before 5.11 also need a higher memlock limit: ulimit -l unlimited)' : '')
      );
    case Errno.ENOENT:
      if (context === 'tracepoint') {
        return 'the tracepoint does not exist: the kernel is too old for it or tracefs is missing';
      }
      return '';
    case Errno.E2BIG:
    case Errno.EINVAL:
      if (context === 'tracepoint' && errno === Errno.EINVAL) {
        // perf_trace_init() answers EINVAL when no tracepoint has the id in attr.config.
        return 'no tracepoint has this id on the running kernel (read it from tracefs events/<group>/<event>/id), or the kernel is too old for this attr';
      }
      return 'the kernel is too old for this attr (or an argument is out of range)';
    case Errno.EMFILE:
    case Errno.ENFILE:
      return 'too many open files: raise the limit with `ulimit -n`';
    case Errno.ENOMEM:
      return context === 'bpf' ? 'out of memory for BPF: use smaller maps, or on kernels before 5.11 raise `ulimit -l`' : 'out of memory';
    case Errno.ENOSYS:
      return 'this kernel was built without the syscall (CONFIG_BPF_SYSCALL / CONFIG_PERF_EVENTS)';
    case Errno.EBADF:
      return 'the file descriptor is not open (was the object already closed?)';
    case Errno.ENODEV:
      return context === 'mount' ? 'this kernel has no tracefs (CONFIG_TRACING)' : '';
    default:
      return '';
  }
}

/** Extras of a {@link KernelError}: which kind of call failed (picks the hint), a hint to use instead, the verifier log. */
export interface KernelErrorOptions {
  context?: KernelCallContext;
  /** Replaces the errno-derived hint. */
  hint?: string;
  verifierLog?: string;
}

/** How many trailing verifier-log lines go into the error message. */
const verifierSummaryLines = 6;

/** The last meaningful lines of a verifier log, where the reason for a rejection is printed. */
export function summarizeVerifierLog(log: string, lines = verifierSummaryLines): string {
  const meaningful = log
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line !== '');
  return meaningful.slice(-lines).join('\n');
}

/**
 * A failed kernel call: the operation, the errno (number and name) and a hint a person can act
 * on (EPERM: "run as root or grant CAP_BPF and CAP_PERFMON"). A program the verifier rejected
 * carries the whole log in `verifierLog` and its last lines in the message.
 */
export class KernelError extends Error {
  /** e.g. `BPF_PROG_LOAD(tcpaccept)` or `perf_event_open(tracepoint sock:inet_sock_set_state, cpu 0)`. */
  readonly operation: string;
  readonly errno: number;
  /** errno name, e.g. 'EPERM'. */
  readonly code: string;
  readonly hint: string;
  /** The verifier's full log when it rejected a program. */
  readonly verifierLog?: string;

  constructor(operation: string, errno: number, options: KernelErrorOptions = {}) {
    const code = errnoName(errno);
    const verifierLog = options.verifierLog !== undefined && options.verifierLog !== '' ? options.verifierLog : undefined;
    let hint = options.hint ?? hintFor(errno, options.context);
    if (verifierLog !== undefined && options.hint === undefined) {
      hint = 'the verifier rejected the program (full log in .verifierLog); it ended with:';
    }
    let message = `${operation} failed: ${code} (${errnoDescription(errno)})`;
    if (hint !== '') message += ` — ${hint}`;
    if (verifierLog !== undefined) {
      message +=
        '\n' +
        summarizeVerifierLog(verifierLog)
          .split('\n')
          .map((line) => `    ${line}`)
          .join('\n');
    }
    super(message);
    this.name = 'KernelError';
    this.operation = operation;
    this.errno = errno;
    this.code = code;
    this.hint = hint;
    if (verifierLog !== undefined) this.verifierLog = verifierLog;
  }
}
