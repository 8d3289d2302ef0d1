// prctl(2) for the tool's own process.
import { ffi } from './ffi.ts';
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
