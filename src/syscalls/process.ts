// prctl(2) for the tool's own process.
import { ffi, type ReadableWatch } from './ffi.ts';
import { checkedSyscall } from './kernel-call.ts';
import { syscallNumbers } from './syscall-numbers.ts';

/** include/uapi/linux/prctl.h */
const PR_SET_PDEATHSIG = 1;

/**
 * Asks the kernel to send `signal` to this process when its parent exits (PR_SET_PDEATHSIG).
 * Started as `npx ts-tcpaccept`, the tool's parent is npm's shell: when npx is killed, npm does
 * not pass the signal on, and without this the tool would keep its programs attached,
 * reparented to init. The signal follows the parent *thread*; npm execs its child from its
 * main thread. Returns false when the parent had already gone before the call (the caller
 * should then end as if signalled): compare `process.ppid` with the parent seen at start.
 */
export function exitWithParent(signal: number, parentAtStart: number): boolean {
  checkedSyscall(ffi(), 'prctl(PR_SET_PDEATHSIG)', 'other', syscallNumbers().prctl, PR_SET_PDEATHSIG, signal);
  // The parent may have died between start-up and the prctl: then we are init's already.
  return process.ppid === parentAtStart;
}

/**
 * Calls `onExit` once, from the event loop, when process `pid` exits: a pidfd (pidfd_open,
 * Linux 5.3+) becomes readable then, and the FFI backend's readiness watch reports it. For a
 * process that is not our parent, which PR_SET_PDEATHSIG cannot follow: under `npx`, npm runs
 * the tool through a shell, and a SIGKILLed npm leaves that shell waiting for us. close() stops
 * watching and closes the pidfd.
 */
export function watchProcessExit(pid: number, onExit: () => void): ReadableWatch {
  const backend = ffi();
  const fd = checkedSyscall(backend, `pidfd_open(${pid})`, 'other', syscallNumbers().pidfd_open, pid, 0);
  let closed = false;
  let watch: ReadableWatch | undefined;
  const close = () => {
    if (closed) return;
    closed = true;
    watch?.close();
    backend.close(fd);
  };
  try {
    watch = backend.watchReadable(fd, () => {
      close();
      onExit();
    });
  } catch (error) {
    close();
    throw error;
  }
  return { close };
}
