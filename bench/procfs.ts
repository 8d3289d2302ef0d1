// What the kernel charged a process: CPU time from /proc/<pid>/stat (all threads), peak RSS
// from /proc/<pid>/status.
import { readFileSync, readdirSync } from 'node:fs';

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat (100 on every Linux ABI we run on). */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU time of the process (all its threads), in seconds: the scheduler's own nanosecond
 * account (/proc/PID/task/TID/schedstat, first field), or utime + stime (10 ms ticks) where
 * the kernel has no schedstat. Ticks could not see the C reader floor at all: 0 ticks over
 * 50 000 events, i.e. anything under 0.2 µs per event.
 */
export function processCpuSeconds(pid: number): number {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // The thread ended between the listing and the read.
      }
    }
    if (ns > 0) return ns / 1e9;
  } catch {
    // No schedstat: the ticks below.
  }
  return processTickSeconds(pid);
}

/** utime + stime of the process, in seconds (10 ms resolution). */
export function processTickSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // comm (field 2) may hold spaces and parentheses: split after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]); // field 14 overall
  const stime = Number(fields[12]); // field 15
  return (utime + stime) / CLOCK_TICKS_PER_SECOND;
}

/** VmHWM, the peak resident set size, in bytes. */
export function peakRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  if (match === null) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** RssAnon: resident memory not backed by a file (heap, stacks, rings), in bytes, now. */
export function anonymousRssBytes(pid: number): number {
  const match = /^RssAnon:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (match === null) throw new Error(`no RssAnon in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** The 1-, 5- and 15-minute load averages, to note how busy the machine was. */
export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}
