// From parsed options to what the tracer is asked for: shared by the command line and by
// scripts/gen-docs.ts, which lists the programs for a recorded kernel exactly as --ebpf does.
import { describePlan, planPrograms, type CgroupTree, type PlanOptions, type TcpAcceptFilters } from '../src/internal.ts';
import type { Options } from './args.ts';

/**
 * The tracer filters these options ask for; `cgroupId` is the --cgroup-exact directory's id,
 * `cgroupTree` the --cgroup directory, `netnsInode` the --netns namespace's inode.
 */
export function tracerFiltersOf(
  options: Options,
  cgroupId: bigint | undefined,
  netnsInode?: number,
  cgroupTree?: CgroupTree,
): TcpAcceptFilters {
  // -c and -H count in the kernel and send no events: no per-event queue wait, no drop events.
  if (options.count || options.hist) {
    return {
      pid: options.pid,
      ports: options.ports,
      ipVersion: options.ipVersion,
      cgroupId,
      cgroupTree,
      netnsInode,
      count: options.count,
      hist: options.hist,
    };
  }
  return {
    pid: options.pid,
    ports: options.ports,
    ipVersion: options.ipVersion,
    // The queue-wait histogram is one of the metrics, so --metrics measures it as -q does; the
    // table still shows the QWAIT column only when -q asked for it.
    queueWait: options.queueWait || options.metrics !== undefined,
    handshake: options.handshake,
    cgroupId,
    cgroupTree,
    netnsInode,
    // --json and --metrics carry drop events too, where the kernel has them.
    drops: options.drops || options.json || options.metrics !== undefined,
  };
}

/** What --ebpf prints: the planned programs as annotated assembly. */
export function ebpfListing(filters: TcpAcceptFilters, kernel: Pick<PlanOptions, 'btfPath' | 'tracefsRoot' | 'cpuSlots'>): string {
  return describePlan(planPrograms({ ...filters, ...kernel }));
}
