// Leak checks for file descriptors of this process, by identity rather than by count.
//
// A count of /proc/self/fd taken at the start of a test includes descriptors the runtime is
// still closing on its own (tsx's cache directory and IPC sockets, ~50 ms after start-up; how
// many depends on the Node version), so "count after === count before" failed on Node 22/24
// without any leak, and a leak could hide behind one of them closing. Instead: note which
// descriptor numbers are open and what each points at, and after the test list those that are
// open now but were not before (or now point at something else). Descriptors that closed in
// between are not this test's business.
import { readdirSync, readlinkSync } from 'node:fs';

/** fd number -> its /proc/self/fd link, e.g. "anon_inode:bpf-map", "socket:[1234]", a path. */
export type FdSnapshot = ReadonlyMap<number, string>;

/** The open descriptors of this process and what each points at. */
export function openFds(): FdSnapshot {
  const fds = new Map<number, string>();
  for (const name of readdirSync('/proc/self/fd')) {
    try {
      fds.set(Number(name), readlinkSync(`/proc/self/fd/${name}`));
    } catch {
      // Closed since the listing: the listing's own directory fd, or one the runtime just closed.
    }
  }
  return fds;
}

/** Descriptors open now that were not open before (or now point at something else), as "fd N -> target". */
export function fdsOpenedSince(before: FdSnapshot): string[] {
  const opened: string[] = [];
  for (const [fd, target] of openFds()) {
    if (before.get(fd) !== target) opened.push(`fd ${fd} -> ${target}`);
  }
  return opened;
}

/**
 * Like fdsOpenedSince, but gives the event loop up to `settleMs` to close what the runtime
 * itself opened asynchronously (a tsx cache write, a socket whose close is still queued). A
 * descriptor our code leaked stays open however long this waits, so the check still fails.
 */
export async function fdsLeftOpenSince(before: FdSnapshot, settleMs = 1000): Promise<string[]> {
  const deadline = Date.now() + settleMs;
  let opened = fdsOpenedSince(before);
  while (opened.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    opened = fdsOpenedSince(before);
  }
  return opened;
}
