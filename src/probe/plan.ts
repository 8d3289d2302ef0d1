// Planning: from the options and this kernel (BTF, tracefs formats, CPUs) to the programs the
// tracer would load, assembled but not loaded, and the maps they need. Also what --ebpf and
// docs/how-it-works.md print (describePlan). Loading and attaching are in tracer.ts.
import type { Program } from '../asm/index.ts';
import type { PerfEventArrayOptions } from '../perf/index.ts';
import {
  Btf,
  KERNEL_BTF_PATH,
  locateTracefs,
  mountTracefs,
  pageSize,
  possibleCpus,
  readTracepoint,
  type CgroupTree,
  type TracepointFormat,
} from '../syscalls/index.ts';
import {
  ACCEPT_ENTER_TRACEPOINTS,
  ACCEPT_TRACEPOINTS,
  KFREE_SKB_TRACEPOINT,
  SET_STATE_TRACEPOINT,
  listenDropLayout,
  listenerLayoutFromBtf,
  netnsFilterFromBtf,
  setStateLayout,
  socketLayoutFromBtf,
  syscallFdField,
  syscallReturnField,
} from './layout.ts';
import {
  IO_URING_COMPLETE_TRACEPOINT,
  IO_URING_SUBMIT_SQE_TRACEPOINT,
  IO_URING_SUBMIT_TRACEPOINT,
  IO_URING_TASK_ADD_TRACEPOINT,
  ioUringStructLayout,
  ioUringTracepointLayout,
  type IoUringStructLayout,
} from './layout.ts';
import { IO_ACCEPT_MAP_ENTRIES, ioUringCompleteProgramText, ioUringSubmitProgramText } from './io-uring-program.ts';
import {
  MAP_NAMES,
  acceptProgramText,
  assembleProgram,
  handshakeReportProgramText,
  handshakeTimestampProgramText,
  listenDropProgramText,
  listenFdProgramText,
  type EventOutput,
  type ListenerLayout,
  type ListenDropLayout,
  type ProgramFilters,
  type SocketLayout,
} from './programs.ts';
import { COUNT_KEY_SIZE, COUNT_MAP_ENTRIES, HIST_MAP_ENTRIES } from './summary.ts';

export type TracerMode = 'accept' | 'handshake';

/** A tracepoint by name and by the id tracefs gave it. */
export interface TracepointName {
  readonly group: string;
  readonly event: string;
  readonly id: number;
}

export interface TcpAcceptFilters {
  /** Only accepts by this process (TGID). */
  pid?: number | undefined;
  /** Only these local ports. */
  ports?: readonly number[] | undefined;
  /** Only IPv4 (including IPv4-mapped IPv6 peers) or only IPv6. */
  ipVersion?: 4 | 6 | undefined;
  /** Measure the accept-queue wait (attaches the handshake program too). */
  queueWait?: boolean | undefined;
  /** Report at handshake completion from sock:inet_sock_set_state alone. */
  handshake?: boolean | undefined;
  /**
   * Only accepts by tasks in this cgroup v2 (exactly it, not its children): the id that
   * bpf_get_current_cgroup_id returns, which is the cgroup directory's inode number (see
   * cgroupIdOfPath). Accept mode only.
   */
  cgroupId?: bigint | undefined;
  /**
   * Only accepts by tasks in this cgroup v2 or any cgroup below it (a pod and its containers,
   * a systemd slice and its services): see cgroupTreeOfPath. Accept mode only.
   */
  cgroupTree?: CgroupTree | undefined;
  /**
   * How the kernel checks cgroupTree: bpf_current_task_under_cgroup (`under`, the default) or
   * bpf_get_current_ancestor_cgroup_id (`ancestor`); see CgroupSubtreeFilter. For benchmarks.
   */
  cgroupMethod?: 'under' | 'ancestor' | undefined;
  /**
   * Also report clients the kernel dropped because a listener's accept queue was full
   * (skb:kfree_skb, reason TCP_LISTEN_OVERFLOW; Linux 6.15+). Where the kernel cannot, a
   * notice says why and the rest runs as asked.
   */
  drops?: boolean | undefined;
  /**
   * -c: count accepts in the kernel per thread, command, listener and local address:port
   * (readCounts) instead of reporting each one. Accept mode only; no events are delivered.
   */
  count?: boolean | undefined;
  /** -H: log2 histograms of the accept-queue wait per local port in the kernel (readHistogram). */
  hist?: boolean | undefined;
  /**
   * Only sockets of the network namespace with this inode number (see netnsInodeOfPath),
   * checked in the kernel by every program that reports a socket: tracepoints are host-wide, so
   * an agent inside a namespace otherwise counts every namespace's accepts.
   */
  netnsInode?: number | undefined;
}

export interface PlanOptions extends TcpAcceptFilters {
  /** BTF to read struct offsets from; default /sys/kernel/btf/vmlinux. */
  btfPath?: string | undefined;
  /** tracefs root; default: found (and mounted if needed) by locateTracefs. */
  tracefsRoot?: string | undefined;
  /**
   * How events leave the kernel: a BPF ring buffer (default; falls back to perf when the kernel
   * has none) or per-CPU perf rings. See EventOutput for the measurements behind the default.
   */
  output?: 'ringbuf' | 'perf' | undefined;
  /**
   * Ring tuning. `dataPages` is per CPU (default 256): each perf ring has that many pages, the
   * ring buffer that many times the number of CPUs (rounded up to a power of two).
   */
  ring?: Pick<PerfEventArrayOptions, 'dataPages' | 'wakeup' | 'flushIntervalMs'> | undefined;
  /**
   * CPU slots (highest possible CPU + 1) to size the ring buffer for. Default: this machine's.
   * Set it only to plan for another machine, as the docs do from a recorded kernel.
   */
  cpuSlots?: number | undefined;
}

/** Unread bytes at which the ring-buffer programs wake the reader, at most. */
export const RINGBUF_WAKEUP_BYTES = 64 * 1024;

/** Default ring size in pages per CPU: with 64, bursts under load lost events (bench/README.md). */
export const DEFAULT_RING_PAGES = 256;

/** Bytes of the BPF ring buffer for `pagesPerCpu`: a power of two, as the kernel requires. */
export function ringBufferBytes(pagesPerCpu: number, cpuSlots: number = Math.max(...possibleCpus()) + 1): number {
  const wanted = pagesPerCpu * cpuSlots * pageSize;
  let bytes = pageSize;
  while (bytes < wanted) bytes *= 2;
  return bytes;
}

/** One program of a plan: its text, where it attaches, and the assembled instructions. */
export interface PlannedProgram {
  /** BPF object name (at most 15 characters). */
  name: string;
  attachTo: TracepointName[];
  text: string;
  program: Program;
}

export interface TracerPlan {
  mode: TracerMode;
  /** One-line notices for the user (e.g. the fallback to handshake mode). */
  notices: string[];
  programs: PlannedProgram[];
  /** Maps the programs reference. */
  maps: string[];
  filters: TcpAcceptFilters;
  /** How the programs send records; for a ring buffer, its size in bytes. */
  output: EventOutput;
  ringBytes: number;
}

export const HANDSHAKE_MAP_ENTRIES = 16384;

/** Decides which programs to run for these options on this kernel and assembles them. */
export function planPrograms(options: PlanOptions = {}): TracerPlan {
  const root = options.tracefsRoot ?? locateTracefs({ mount: mountTracefs });
  const notices: string[] = [];
  const filters: ProgramFilters = {
    pid: options.pid,
    portFilter: options.ports !== undefined && options.ports.length > 0,
    ipVersion: options.ipVersion,
    cgroupId: options.cgroupId,
    cgroupSubtree:
      options.cgroupTree === undefined
        ? undefined
        : options.cgroupMethod === 'ancestor'
          ? { method: 'ancestor', id: options.cgroupTree.id, level: options.cgroupTree.level }
          : { method: 'under' },
  };
  let mode: TracerMode = options.handshake ? 'handshake' : 'accept';
  const summary = options.count === true || options.hist === true;
  if (summary && options.handshake) throw new Error('-c and -H count in the accept program: they need accept mode, not --handshake');
  if (summary && options.drops) throw new Error('-c and -H report no events: drop events cannot be combined with them');
  let layout: SocketLayout | undefined;
  let listenerLayout: ListenerLayout | undefined;
  let dropLayout: ListenDropLayout | undefined;
  let ioUringStructs: IoUringStructLayout | string | undefined;
  const wantsNetns = options.netnsInode !== undefined;
  if (mode === 'accept' || options.drops || wantsNetns) {
    let btf: Btf | undefined;
    try {
      btf = Btf.fromFile(options.btfPath ?? KERNEL_BTF_PATH);
    } catch (error) {
      const why = (error as Error).message.split('\n')[0];
      if (mode === 'accept') {
        mode = 'handshake';
        notices.push(`kernel BTF is not readable (${why}); falling back to --handshake mode: PID/COMM are the listening socket's owner`);
      }
      if (options.drops) notices.push(`no drop events: kernel BTF is not readable (${why})`);
      // Without offsets the namespace cannot be checked: counting every namespace would be a lie.
      if (wantsNetns) throw new Error(`--netns reads the socket's namespace with offsets from kernel BTF, which is not readable (${why})`);
    }
    if (btf !== undefined) {
      // The offsets are all the programs need: the (mapped) blob goes right after.
      try {
        if (wantsNetns) filters.netns = netnsFilterFromBtf(btf, options.netnsInode!);
        if (mode === 'accept') layout = socketLayoutFromBtf(btf);
        if (mode === 'accept' && options.count) listenerLayout = listenerLayoutFromBtf(btf);
        if (mode === 'accept' && !summary) {
          try {
            ioUringStructs = ioUringStructLayout(btf);
          } catch (error) {
            ioUringStructs = (error as Error).message.split('\n')[0]!;
          }
        }
        if (options.drops) {
          let found: ListenDropLayout | string;
          try {
            found = listenDropLayout(btf, readTracepoint(KFREE_SKB_TRACEPOINT.group, KFREE_SKB_TRACEPOINT.event, root));
          } catch (error) {
            // A kernel (or tracefs) without skb:kfree_skb: the rest runs as asked.
            found = (error as Error).message.split('\n')[0]!;
          }
          if (typeof found === 'string') notices.push(`no drop events: ${found}; listener counters (queue length, drops) still work`);
          else dropLayout = found;
        }
      } finally {
        btf.close();
      }
    }
  }
  if (mode === 'handshake' && summary) {
    throw new Error(`-c and -H count in the accept program, which needs kernel BTF: ${notices[0]!.split(';')[0]}`);
  }
  if (mode === 'handshake' && (options.cgroupId !== undefined || options.cgroupTree !== undefined)) {
    // Handshakes complete in softirq context: the current task's cgroup says nothing about the server.
    throw new Error(
      options.handshake
        ? 'a cgroup filter needs accept mode: in handshake mode the current task is whatever ran on that CPU'
        : `a cgroup filter needs accept mode, which needs kernel BTF: ${notices[0]!.split(';')[0]}`,
    );
  }
  const ringBytes = ringBufferBytes(options.ring?.dataPages ?? DEFAULT_RING_PAGES, options.cpuSlots);
  // A wake-up when 64 KiB are unread (or a quarter of a smaller ring): drains of ~740 records
  // keep the reader's batches, and so its heap, small, while the wake-ups stay too rare to cost
  // the traced code anything measurable (bench/variants.ts measured this 64 KiB mark).
  const output: EventOutput =
    options.output === 'perf' ? { kind: 'perf' } : { kind: 'ringbuf', wakeupBytes: Math.min(ringBytes / 4, RINGBUF_WAKEUP_BYTES) };
  const programs: PlannedProgram[] = [];
  const plan = (name: string, attachTo: TracepointName[], text: string) =>
    programs.push({ name, attachTo, text, program: assembleProgram(name, text) });

  if (mode === 'accept') {
    // One program serves both accept tracepoints when their records agree on `ret`.
    const byText = new Map<string, TracepointName[]>();
    for (const name of ACCEPT_TRACEPOINTS) {
      const format = readTracepoint(name.group, name.event, root);
      const text = acceptProgramText(
        syscallReturnField(format),
        layout!,
        { ...filters, queueWait: options.queueWait === true },
        output,
        summary ? { count: listenerLayout, hist: options.hist } : undefined,
      );
      byText.set(text, [...(byText.get(text) ?? []), format]);
    }
    let index = 0;
    for (const [text, attachTo] of byText) plan(index++ === 0 ? 'tcpaccept_exit' : `tcpaccept_exit${index}`, attachTo, text);
    if (options.count) {
      // The listener of each accept: its fd, remembered at sys_enter. Measured against the
      // alternatives in docs/how-it-works.md ("Summaries in the kernel").
      const byFdText = new Map<string, TracepointName[]>();
      for (const name of ACCEPT_ENTER_TRACEPOINTS) {
        const format = readTracepoint(name.group, name.event, root);
        const text = listenFdProgramText(syscallFdField(format), filters);
        byFdText.set(text, [...(byFdText.get(text) ?? []), format]);
      }
      let fdIndex = 0;
      for (const [text, attachTo] of byFdText) plan(fdIndex++ === 0 ? 'tcpaccept_enter' : `tcpaccept_enter${fdIndex}`, attachTo, text);
    }
    if (ioUringStructs !== undefined) {
      // io_uring accepts (issue #18), where the kernel has its tracepoints: a kernel without
      // io_uring has nothing to miss, so only a layout this code cannot read gets a notice.
      let submit: TracepointFormat | undefined;
      let complete: TracepointFormat | undefined;
      // The submit tracepoint was io_uring_submit_sqe before Linux 6.5 (6.1 has that name).
      for (const name of [IO_URING_SUBMIT_TRACEPOINT, IO_URING_SUBMIT_SQE_TRACEPOINT]) {
        try {
          submit ??= readTracepoint(name.group, name.event, root);
        } catch {
          // not under this name
        }
      }
      try {
        complete = readTracepoint(IO_URING_COMPLETE_TRACEPOINT.group, IO_URING_COMPLETE_TRACEPOINT.event, root);
      } catch {
        // No io_uring tracepoints (CONFIG_IO_URING off): nothing accepts that way here.
      }
      if (submit !== undefined && complete !== undefined) {
        if (typeof ioUringStructs === 'string') {
          notices.push(`io_uring accepts are not reported: ${ioUringStructs}`);
        } else {
          let taskAdd: TracepointFormat | undefined;
          try {
            taskAdd = readTracepoint(IO_URING_TASK_ADD_TRACEPOINT.group, IO_URING_TASK_ADD_TRACEPOINT.event, root);
          } catch {
            // Without it, multishot accepts armed before tracing started are missed (docs/how-it-works.md).
          }
          const io = { ...ioUringTracepointLayout(submit, complete, taskAdd), ...ioUringStructs };
          plan('tcpaccept_iosub', [submit], ioUringSubmitProgramText(io, filters));
          if (io.taskAdd !== undefined && taskAdd !== undefined)
            plan('tcpaccept_iotwa', [taskAdd], ioUringSubmitProgramText(io, filters, 'taskAdd'));
          plan(
            'tcpaccept_iocqe',
            [complete],
            ioUringCompleteProgramText(io, layout!, { ...filters, queueWait: options.queueWait === true }, output),
          );
        }
      }
    }
    if (options.queueWait || options.hist) {
      const format = readTracepoint(SET_STATE_TRACEPOINT.group, SET_STATE_TRACEPOINT.event, root);
      plan('tcpaccept_hshk', [format], handshakeTimestampProgramText(setStateLayout(format)));
    }
  } else {
    const format = readTracepoint(SET_STATE_TRACEPOINT.group, SET_STATE_TRACEPOINT.event, root);
    plan('tcpaccept_hsrep', [format], handshakeReportProgramText(setStateLayout(format), filters, output));
  }
  if (dropLayout !== undefined) {
    const format = readTracepoint(KFREE_SKB_TRACEPOINT.group, KFREE_SKB_TRACEPOINT.event, root);
    plan('tcpaccept_drop', [format], listenDropProgramText(dropLayout, filters, output));
  }
  const maps = [...new Set(programs.flatMap((p) => p.program.mapNames))];
  return { mode, notices, programs, maps, filters: { ...options }, output, ringBytes };
}

/**
 * The programs as annotated assembly: what --ebpf prints. It assembles back to the same bytes.
 * `slots` (default true) numbers the instructions as the verifier log does; the golden
 * programs leave the numbers out, so that one inserted instruction is a one-line diff.
 */
export function describePlan(plan: TracerPlan, options: { slots?: boolean } = {}): string {
  const out: string[] = [];
  const describe = (name: string) =>
    name === MAP_NAMES.events && plan.output.kind === 'ringbuf'
      ? `events (RINGBUF, ${plan.ringBytes / 1024} KiB shared by all CPUs; wake-up when ${plan.output.wakeupBytes / 1024} KiB are unread)`
      : (MAP_DESCRIPTIONS[name] ?? name);
  out.push(`// ts-tcpaccept programs, ${plan.mode} mode; maps: ${plan.maps.map(describe).join('; ')}`);
  for (const note of plan.notices) out.push(`// note: ${note}`);
  for (const p of plan.programs) {
    out.push('');
    out.push(`// program ${p.name} (BPF_PROG_TYPE_TRACEPOINT, ${p.program.instructionCount} instructions)`);
    out.push(`// attached to: ${p.attachTo.map((tp) => `tracepoint:${tp.group}:${tp.event}`).join(', ')}`);
    out.push(p.program.disassemble({ slots: options.slots ?? true }).trimEnd());
  }
  return `${out.join('\n')}\n`;
}

const MAP_DESCRIPTIONS: Record<string, string> = {
  [MAP_NAMES.events]: 'events (PERF_EVENT_ARRAY, one ring per CPU)',
  [MAP_NAMES.handshakes]: `handshakes (LRU_HASH sock pointer -> handshake time, ${HANDSHAKE_MAP_ENTRIES} entries)`,
  [MAP_NAMES.ports]: 'ports (HASH u16 local port -> u8, the -P list)',
  [MAP_NAMES.lost]: 'lost (PERCPU_ARRAY, 1 u64: records the full ring buffer, or keys a full summary map, refused)',
  [MAP_NAMES.counts]: `counts (PERCPU_HASH ${COUNT_KEY_SIZE}-byte key thread/listener/address/port/comm -> count, group, group size; ${COUNT_MAP_ENTRIES} entries)`,
  [MAP_NAMES.hist]: `hist (PERCPU_HASH u16 port + u32 log2 slot -> u64 count, ${HIST_MAP_ENTRIES} entries)`,
  [MAP_NAMES.cgroups]: 'cgroups (CGROUP_ARRAY, 1 slot: the --cgroup directory, for bpf_current_task_under_cgroup)',
  [MAP_NAMES.listenfds]: `listenfds (LRU_HASH pid_tgid -> listening fd, ${HANDSHAKE_MAP_ENTRIES} entries)`,
  [MAP_NAMES.ioaccepts]: `ioaccepts (LRU_HASH io_uring ring + user_data -> accept file_slot, ${IO_ACCEPT_MAP_ENTRIES} entries)`,
};
