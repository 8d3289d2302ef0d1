// TcpAcceptTracer: plans the programs for the options, loads and attaches them, reads events
// from the perf rings, and closes every kernel object it made, exactly once.
import { closeSync, openSync, readFileSync, readlinkSync, realpathSync, statSync, statfsSync } from 'node:fs';
import type { Program } from '../asm/index.ts';
import { haveMapType } from '../features/index.ts';
import { PerfEventArrayReader, RingBufferReader, type PerfEventArrayOptions, type RecordReader, type RecordReaderOptions } from '../perf/index.ts';
import {
  Btf,
  KERNEL_BTF_PATH,
  MapType,
  ProgType,
  attachTracepoint,
  createMap,
  loadProgram,
  locateTracefs,
  mountTracefs,
  possibleCpus,
  readTracepoint,
  type BpfMap,
  type BpfProgram,
  type PerfEvent,
  type TracepointFormat,
  pageSize,
} from '../syscalls/index.ts';
import { ACCEPT_ENTER_TRACEPOINTS, ACCEPT_TRACEPOINTS, KFREE_SKB_TRACEPOINT, SET_STATE_TRACEPOINT, listenDropLayout, listenerLayoutFromBtf, netnsFilterFromBtf, setStateLayout, socketLayoutFromBtf, syscallFdField, syscallReturnField } from './layout.ts';
import { IO_URING_COMPLETE_TRACEPOINT, IO_URING_SUBMIT_SQE_TRACEPOINT, IO_URING_SUBMIT_TRACEPOINT, IO_URING_TASK_ADD_TRACEPOINT, ioUringStructLayout, ioUringTracepointLayout, type IoUringStructLayout } from './layout.ts';
import { IO_ACCEPT_KEY_SIZE, IO_ACCEPT_MAP_ENTRIES, IO_ACCEPT_VALUE_SIZE, ioUringCompleteProgramText, ioUringSubmitProgramText } from './io-uring-program.ts';
import { ListenerOwnerResolver } from './owner.ts';
import { withVerifierSource } from './tracepoint-program.ts';
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
import { decodeRecord, type AcceptEvent } from './record.ts';
import {
  COUNT_KEY_SIZE,
  COUNT_MAP_ENTRIES,
  COUNT_VALUE_SIZE,
  HIST_KEY_SIZE,
  HIST_MAP_ENTRIES,
  decodeCountEntry,
  decodeHistEntry,
  type CountEntry,
  type HistEntry,
} from './summary.ts';

export * from './summary.ts';

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

/** statfs f_type of nsfs, where /proc/PID/ns/* and `ip netns` bind mounts live (NSFS_MAGIC). */
const NSFS_MAGIC = 0x6e736673;

/**
 * The inode number of a network namespace file: `self` for this process's own
 * (/proc/self/ns/net), or a path such as /proc/PID/ns/net or /run/netns/NAME. That number is
 * the kernel's net->ns.inum, which the programs compare.
 */
export function netnsInodeOfPath(path: string): number {
  const file = path === 'self' ? '/proc/self/ns/net' : path;
  let stats;
  try {
    stats = statSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied (another process\'s namespace needs root or CAP_SYS_PTRACE)' : (error as Error).message}`);
  }
  if (statfsSync(file).type !== NSFS_MAGIC) {
    throw new Error(`${file} is not a namespace file: give self, /proc/PID/ns/net or an ip-netns file such as /run/netns/NAME`);
  }
  const link = path === 'self' || file.startsWith('/proc/') ? readlinkOrUndefined(file) : undefined;
  if (link !== undefined && !link.startsWith('net:')) throw new Error(`${file} is a ${link.split(':')[0]} namespace, not a network namespace`);
  return stats.ino;
}

function readlinkOrUndefined(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

/** statfs f_type of a cgroup v2 filesystem (CGROUP2_SUPER_MAGIC). */
const CGROUP2_SUPER_MAGIC = 0x63677270;

/**
 * The id bpf_get_current_cgroup_id reports for tasks in this cgroup v2 directory: on 64-bit
 * kernels the cgroup id is the kernfs node id, which is also the directory's inode number.
 */
export function cgroupIdOfPath(path: string): bigint {
  let stats;
  try {
    stats = statSync(path, { bigint: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`cgroup ${path}: ${code === 'ENOENT' ? 'no such directory' : (error as Error).message}`);
  }
  if (!stats.isDirectory()) throw new Error(`cgroup ${path}: not a directory (give the cgroup's directory, not a file in it)`);
  if (statfsSync(path).type !== CGROUP2_SUPER_MAGIC) {
    throw new Error(`cgroup ${path}: not in a cgroup v2 hierarchy (bpf_get_current_cgroup_id reports v2 ids); ` +
      'the v2 hierarchy is mounted at /sys/fs/cgroup, or at /sys/fs/cgroup/unified on hosts with hybrid cgroups (see the cgroup2 line of /proc/mounts)');
  }
  return stats.ino;
}

/** A cgroup v2 directory for a subtree filter: its path, id (inode number) and depth below the root. */
export interface CgroupTree {
  path: string;
  id: bigint;
  /** 0 for the root of the v2 hierarchy, 1 for its children, … (cgroup->level in the kernel). */
  level: number;
}

/**
 * The cgroup v2 directory as a subtree filter: its id, as cgroupIdOfPath, and its level, from
 * the cgroup2 mount it is under (/proc/self/mountinfo: the mount's root within the hierarchy,
 * plus the path's components below the mount point).
 */
export function cgroupTreeOfPath(path: string): CgroupTree {
  const id = cgroupIdOfPath(path);
  const real = realpathSync(path);
  let best: { mountPoint: string; root: string } | undefined;
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    // id parent major:minor root mount-point options [optional...] - fstype source super-options
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    if (dash < 0 || fields[dash + 1] !== 'cgroup2') continue;
    const root = unescapeMountinfo(fields[3]!);
    const mountPoint = unescapeMountinfo(fields[4]!);
    const inside = real === mountPoint || real.startsWith(mountPoint === '/' ? '/' : `${mountPoint}/`);
    if (inside && (best === undefined || mountPoint.length >= best.mountPoint.length)) best = { mountPoint, root };
  }
  if (best === undefined) throw new Error(`cgroup ${path}: no cgroup2 mount holds it in /proc/self/mountinfo`);
  const depth = (p: string) => p.split('/').filter(Boolean).length;
  return { path: real, id, level: depth(best.root) + depth(real.slice(best.mountPoint.length)) };
}

/** mountinfo escapes space, tab, newline and backslash as octal (\040 …). */
function unescapeMountinfo(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
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

const HANDSHAKE_MAP_ENTRIES = 16384;

/** Decides which programs to run for these options on this kernel and assembles them. */
export function planPrograms(options: PlanOptions = {}): TracerPlan {
  const root = options.tracefsRoot ?? locateTracefs({ mount: mountTracefs });
  const notices: string[] = [];
  const filters: ProgramFilters = {
    pid: options.pid,
    portFilter: options.ports !== undefined && options.ports.length > 0,
    ipVersion: options.ipVersion,
    cgroupId: options.cgroupId,
    cgroupSubtree: options.cgroupTree === undefined ? undefined
      : options.cgroupMethod === 'ancestor' ? { method: 'ancestor', id: options.cgroupTree.id, level: options.cgroupTree.level }
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
    throw new Error(options.handshake
      ? 'a cgroup filter needs accept mode: in handshake mode the current task is whatever ran on that CPU'
      : `a cgroup filter needs accept mode, which needs kernel BTF: ${notices[0]!.split(';')[0]}`);
  }
  const ringBytes = ringBufferBytes(options.ring?.dataPages ?? DEFAULT_RING_PAGES, options.cpuSlots);
  // A wake-up when 64 KiB are unread (or a quarter of a smaller ring): drains of ~740 records
  // keep the reader's batches, and so its heap, small, while the wake-ups stay too rare to cost
  // the traced code anything measurable (bench/variants.ts measured this 64 KiB mark).
  const output: EventOutput = options.output === 'perf'
    ? { kind: 'perf' }
    : { kind: 'ringbuf', wakeupBytes: Math.min(ringBytes / 4, RINGBUF_WAKEUP_BYTES) };
  const programs: PlannedProgram[] = [];
  const plan = (name: string, attachTo: TracepointName[], text: string) =>
    programs.push({ name, attachTo, text, program: assembleProgram(name, text) });

  if (mode === 'accept') {
    // One program serves both accept tracepoints when their records agree on `ret`.
    const byText = new Map<string, TracepointName[]>();
    for (const name of ACCEPT_TRACEPOINTS) {
      const format = readTracepoint(name.group, name.event, root);
      const text = acceptProgramText(syscallReturnField(format), layout!, { ...filters, queueWait: options.queueWait === true }, output,
        summary ? { count: listenerLayout, hist: options.hist } : undefined);
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
          if (io.taskAdd !== undefined && taskAdd !== undefined) plan('tcpaccept_iotwa', [taskAdd], ioUringSubmitProgramText(io, filters, 'taskAdd'));
          plan('tcpaccept_iocqe', [complete], ioUringCompleteProgramText(io, layout!, { ...filters, queueWait: options.queueWait === true }, output));
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
      : MAP_DESCRIPTIONS[name] ?? name;
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

export interface TcpAcceptTracerOptions extends PlanOptions {
  /** Called for every accepted connection, on the event loop. */
  onEvent: (event: AcceptEvent) => void;
  /** Called with each count of events the kernel had to drop (ring full). */
  onLost?: (count: number) => void;
  /** Called when reading fails; the tracer is closed by then. */
  onError?: (error: Error) => void;
}

/** How often the in-kernel lost counter of the ring buffer is read. */
const LOST_POLL_MS = 500;

interface Closeable {
  close(): void;
}

/**
 * Traces TCP accepts. `open` loads and attaches everything or, on any failure, closes what it
 * had made and throws; `close` releases every program, map, perf event and mapping.
 */
export class TcpAcceptTracer {
  readonly mode: TracerMode;
  readonly notices: readonly string[];
  private readonly owned: Closeable[];
  private readonly programs: BpfProgram[];
  private readonly reader: RecordReader | undefined;
  private readonly summaryMaps: { counts?: BpfMap; hist?: BpfMap };
  /** The ring buffer's lost counter (per-CPU array), when records go through a ring buffer. */
  private readonly lostCounter: LostCounter | undefined;
  private closed = false;

  private readonly counts: { readonly records: number };

  private constructor(
    plan: TracerPlan,
    owned: Closeable[],
    programs: BpfProgram[],
    reader: RecordReader | undefined,
    lostCounter: LostCounter | undefined,
    counts: { readonly records: number },
    summaryMaps: { counts?: BpfMap; hist?: BpfMap },
  ) {
    this.summaryMaps = summaryMaps;
    this.mode = plan.mode;
    this.counts = counts;
    this.plan = plan;
    this.notices = plan.notices;
    this.output = plan.output.kind;
    this.owned = owned;
    this.programs = programs;
    this.reader = reader;
    this.lostCounter = lostCounter;
  }

  /** How records leave the kernel in this tracer: 'ringbuf' or 'perf'. */
  readonly output: 'ringbuf' | 'perf';
  /** What was loaded and where it is attached (describePlan prints it). */
  readonly plan: TracerPlan;

  /**
   * Records read from the rings so far, before any user-space filter (in handshake mode -p is
   * applied after the owner is known): with `onEvent` calls, it tells a record that never
   * reached user space from one that did and was filtered.
   */
  get recordsRead(): number {
    return this.counts.records;
  }

  static open(options: TcpAcceptTracerOptions): TcpAcceptTracer {
    let plan = planPrograms(options);
    const owned: Closeable[] = [];
    try {
      const maps = new Map<string, BpfMap>();
      let events: BpfMap | undefined;
      // -c and -H send nothing through a ring: their programs reference no events map.
      const wantsEvents = plan.maps.includes(MAP_NAMES.events);
      // Ring buffers arrived in Linux 5.8; before that, per-CPU perf rings (src/features asks).
      if (wantsEvents && plan.output.kind === 'ringbuf' && !haveMapType(MapType.RingBuf)) {
        plan = planPrograms({ ...options, output: 'perf' });
        plan.notices.push('this kernel has no BPF ring buffer (Linux 5.8+); using per-CPU perf rings');
      }
      if (wantsEvents && plan.output.kind === 'ringbuf') {
        events = createMap({ type: MapType.RingBuf, name: 'tcpaccept_evts', keySize: 0, valueSize: 0, maxEntries: plan.ringBytes });
      }
      if (wantsEvents && events === undefined) {
        const cpuSlots = Math.max(...possibleCpus()) + 1;
        events = createMap({ type: MapType.PerfEventArray, name: 'tcpaccept_evts', keySize: 4, valueSize: 4, maxEntries: cpuSlots });
      }
      if (events !== undefined) {
        owned.push(events);
        maps.set(MAP_NAMES.events, events);
      }
      const summaryMaps: { counts?: BpfMap; hist?: BpfMap } = {};
      if (plan.maps.includes(MAP_NAMES.counts)) {
        const counts = createMap({ type: MapType.PercpuHash, name: 'tcpaccept_cnt', keySize: COUNT_KEY_SIZE, valueSize: COUNT_VALUE_SIZE, maxEntries: COUNT_MAP_ENTRIES });
        owned.push(counts);
        maps.set(MAP_NAMES.counts, counts);
        summaryMaps.counts = counts;
      }
      if (plan.maps.includes(MAP_NAMES.hist)) {
        const hist = createMap({ type: MapType.PercpuHash, name: 'tcpaccept_hist', keySize: HIST_KEY_SIZE, valueSize: 8, maxEntries: HIST_MAP_ENTRIES });
        owned.push(hist);
        maps.set(MAP_NAMES.hist, hist);
        summaryMaps.hist = hist;
      }
      if (plan.maps.includes(MAP_NAMES.listenfds)) {
        const listenfds = createMap({ type: MapType.LruHash, name: 'tcpaccept_lfd', keySize: 8, valueSize: 4, maxEntries: HANDSHAKE_MAP_ENTRIES });
        owned.push(listenfds);
        maps.set(MAP_NAMES.listenfds, listenfds);
      }
      if (plan.maps.includes(MAP_NAMES.ioaccepts)) {
        const ioaccepts = createMap({ type: MapType.LruHash, name: 'tcpaccept_ioacc', keySize: IO_ACCEPT_KEY_SIZE, valueSize: IO_ACCEPT_VALUE_SIZE, maxEntries: IO_ACCEPT_MAP_ENTRIES });
        owned.push(ioaccepts);
        maps.set(MAP_NAMES.ioaccepts, ioaccepts);
      }
      let lostCounter: LostCounter | undefined;
      if (plan.maps.includes(MAP_NAMES.lost)) {
        const lost = createMap({ type: MapType.PercpuArray, name: 'tcpaccept_lost', keySize: 4, valueSize: 8, maxEntries: 1 });
        owned.push(lost);
        maps.set(MAP_NAMES.lost, lost);
        lostCounter = new LostCounter(lost);
      }
      if (plan.maps.includes(MAP_NAMES.handshakes)) {
        const handshakes = createMap({ type: MapType.LruHash, name: 'tcpaccept_hshk', keySize: 8, valueSize: 8, maxEntries: HANDSHAKE_MAP_ENTRIES });
        owned.push(handshakes);
        maps.set(MAP_NAMES.handshakes, handshakes);
      }
      if (plan.maps.includes(MAP_NAMES.cgroups)) {
        // --cgroup: the directory's fd at index 0; the map keeps its own reference to the cgroup.
        const cgroups = createMap({ type: MapType.CgroupArray, name: 'tcpaccept_cgrp', keySize: 4, valueSize: 4, maxEntries: 1 });
        owned.push(cgroups);
        const path = options.cgroupTree!.path;
        let fd: number;
        try {
          fd = openSync(path, 'r');
        } catch (error) {
          throw new Error(`cgroup ${path}: cannot open the directory for the cgroup map: ${(error as Error).message}`);
        }
        try {
          const value = new Uint8Array(4);
          new DataView(value.buffer).setUint32(0, fd, true);
          cgroups.update(new Uint8Array(4), value);
        } finally {
          closeSync(fd);
        }
        maps.set(MAP_NAMES.cgroups, cgroups);
      }
      if (plan.maps.includes(MAP_NAMES.ports)) {
        const wanted = options.ports ?? [];
        const ports = createMap({ type: MapType.Hash, name: 'tcpaccept_port', keySize: 2, valueSize: 1, maxEntries: wanted.length });
        owned.push(ports);
        for (const port of wanted) {
          const key = new Uint8Array(2);
          new DataView(key.buffer).setUint16(0, port, true);
          ports.update(key, Uint8Array.of(1));
        }
        maps.set(MAP_NAMES.ports, ports);
      }

      const counts = { records: 0 };
      // Handshakes and drops come from softirq context: their owner is found from /proc.
      const needOwners = plan.mode === 'handshake' || plan.programs.some((p) => p.name === 'tcpaccept_drop');
      const owners = needOwners ? new ListenerOwnerResolver() : undefined;
      owners?.rescan();
      const onEvent = options.onEvent;
      const pid = options.pid;
      // Each drain reads the rings one CPU after another; events of one drain are delivered
      // in timestamp order once it is done (a microtask runs right after the synchronous drain).
      let batch: AcceptEvent[] = [];
      const deliver = () => {
        const events = batch;
        batch = [];
        if (!inTimeOrder(events)) events.sort((a, b) => (a.timestampNs < b.timestampNs ? -1 : a.timestampNs > b.timestampNs ? 1 : 0));
        for (const event of events) onEvent(event);
      };
      const onRecord = (_cpu: number, bytes: Uint8Array) => {
        counts.records++;
        const event = decodeRecord(bytes);
        if (owners !== undefined && event.source !== 'accept') {
          const owner = owners.resolve(event.localAddr, event.localPort);
          if (pid !== undefined && owner?.pid !== pid) return;
          event.pid = owner?.pid;
          event.comm = owner?.comm;
        }
        if (batch.length === 0) queueMicrotask(deliver);
        batch.push(event);
      };
      // The reader goes first, so that nothing the programs write before it exists is lost.
      let tracer: TcpAcceptTracer | undefined;
      const readerOptions: RecordReaderOptions = {
        onRecord,
        ...(options.ring?.flushIntervalMs === undefined ? {} : { flushIntervalMs: options.ring.flushIntervalMs }),
        ...(options.onLost ? { onLost: (_cpu: number, count: number) => options.onLost!(count) } : {}),
        onError: (error: Error) => {
          tracer?.close();
          if (options.onError) options.onError(error);
          else throw error;
        },
      };
      const reader = events === undefined ? undefined : plan.output.kind === 'ringbuf'
        ? new RingBufferReader(events, readerOptions)
        : new PerfEventArrayReader(events, {
          ...readerOptions,
          dataPages: options.ring?.dataPages ?? DEFAULT_RING_PAGES,
          ...(options.ring?.wakeup === undefined ? {} : { wakeup: options.ring.wakeup }),
        });
      if (reader !== undefined) owned.push(reader);
      if (lostCounter !== undefined) {
        const counter = lostCounter;
        const report = options.onLost;
        const timer = setInterval(() => {
          const added = counter.poll();
          if (added > 0 && report) report(added);
        }, LOST_POLL_MS);
        timer.unref();
        owned.push({ close: () => clearInterval(timer) });
      }

      const fds = Object.fromEntries([...maps].map(([name, map]) => [name, map.fd]));
      const programs: BpfProgram[] = [];
      for (const planned of plan.programs) {
        let program: BpfProgram;
        try {
          program = loadProgram({ type: ProgType.Tracepoint, name: planned.name, instructions: planned.program.bytecode(fds) });
        } catch (error) {
          throw withVerifierSource(error, planned.program);
        }
        owned.push(program);
        programs.push(program);
        for (const tp of planned.attachTo) {
          const link: PerfEvent = attachTracepoint(tp, program);
          owned.push(link);
        }
      }
      tracer = new TcpAcceptTracer(plan, owned, programs, reader, lostCounter, counts, summaryMaps);
      return tracer;
    } catch (error) {
      closeAll(owned);
      throw error;
    }
  }

  /** Events dropped because a ring was full, so far (as last read from the kernel). */
  get lost(): number {
    return (this.reader?.lost ?? 0) + (this.lostCounter?.total ?? 0);
  }

  /**
   * -c: every entry of the in-kernel counts, summed over the CPUs: totals since tracing started
   * (IntervalDiff turns them into per-interval counts). One map walk; its cost grows with the
   * number of keys, not with the accept rate.
   */
  readCounts(): CountEntry[] {
    const map = this.summaryMaps.counts;
    if (map === undefined || this.closed) return [];
    const entries: CountEntry[] = [];
    for (const key of map.keys()) {
      const values = map.lookup(key);
      if (values !== undefined) entries.push(decodeCountEntry(key, values));
    }
    return entries;
  }

  /** -H: every (port, log2 slot) bucket of the in-kernel histograms, summed over the CPUs. */
  readHistogram(): HistEntry[] {
    const map = this.summaryMaps.hist;
    if (map === undefined || this.closed) return [];
    const entries: HistEntry[] = [];
    for (const key of map.keys()) {
      const values = map.lookup(key);
      if (values !== undefined) entries.push(decodeHistEntry(key, values));
    }
    return entries;
  }

  /**
   * Reads the ring buffer's lost counter now and returns what it added since the last read
   * (0 for perf rings, whose losses arrive with the records).
   */
  pollLost(): number {
    return this.closed ? 0 : this.lostCounter?.poll() ?? 0;
  }

  /** Kernel ids of the loaded programs (for leak checks and bpftool). */
  programIds(): number[] {
    return this.programs.map((p) => p.info().id);
  }

  /** The loaded programs, e.g. to read run_time_ns / run_cnt. */
  loadedPrograms(): readonly BpfProgram[] {
    return this.programs;
  }

  /** Detaches and releases everything; idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeAll(this.owned);
  }
}

/** True when the events are already sorted by timestamp (a ring buffer's batches nearly always are). */
function inTimeOrder(events: readonly AcceptEvent[]): boolean {
  for (let i = 1; i < events.length; i++) if (events[i - 1]!.timestampNs > events[i]!.timestampNs) return false;
  return true;
}

/** The per-CPU `lost` array the ring-buffer programs count refused records in. */
class LostCounter {
  total = 0;
  private readonly key = new Uint8Array(4);

  constructor(private readonly map: BpfMap) {}

  /** Sums the per-CPU slots; returns the increase since the last poll. */
  poll(): number {
    const values = this.map.lookup(this.key);
    if (values === undefined) return 0;
    const view = new DataView(values.buffer, values.byteOffset, values.byteLength);
    let sum = 0;
    for (let offset = 0; offset + 8 <= values.byteLength; offset += 8) sum += Number(view.getBigUint64(offset, true));
    const added = sum - this.total;
    this.total = sum;
    return added;
  }
}

/** Closes in reverse order of creation (links before programs, reader before maps). */
function closeAll(owned: Closeable[]): void {
  let first: unknown;
  for (const item of [...owned].reverse()) {
    try {
      item.close();
    } catch (error) {
      first ??= error;
    }
  }
  if (first !== undefined) throw first;
}
