// The shortest path from an assembled program to a running tracer: find a tracepoint, make
// the perf event array a program outputs to, load and attach in one call that owns the result.
// TcpAcceptTracer does the same steps by hand; these exist so that other tools built on the
// library (examples/tcpstates.ts) need nothing below the package root.
import { describeVerifierRejection, locateVerifierRejection, type Program } from '../asm/index.ts';
import {
  KernelError,
  MapType,
  ProgType,
  attachTracepoint,
  createMap,
  loadProgram,
  locateTracefs,
  mountTracefs,
  pageSize,
  possibleCpus,
  readTracepoint,
  type BpfMap,
  type BpfProgram,
  type PerfEvent,
  type TracepointFormat,
  type TracepointRef,
} from '../syscalls/index.ts';

/**
 * Reads a tracepoint's id and record layout from tracefs, locating tracefs first and mounting
 * it on /sys/kernel/tracing when it is not mounted anywhere (which needs root).
 *
 * @param group - the directory under `events/`, e.g. `sock`
 * @param event - the tracepoint, e.g. `inet_sock_set_state`
 * @param tracefsRoot - a tracefs root to use instead of looking for one
 * @returns the format: pass it to {@link loadTracepointProgram} as an attach point, and take
 *   field offsets from `format.field('newstate').offset` for the program text.
 * @throws TracefsError when tracefs cannot be found or mounted, Error when the tracepoint or a
 *   file of it is missing.
 */
export function readTracepointFormat(group: string, event: string, tracefsRoot?: string): TracepointFormat {
  return readTracepoint(group, event, tracefsRoot ?? locateTracefs({ mount: mountTracefs }));
}

/**
 * Creates the BPF_MAP_TYPE_PERF_EVENT_ARRAY a program hands to `bpf_perf_event_output`, sized
 * with one slot per possible CPU (not per online CPU: the helper indexes by CPU number, and a
 * CPU brought online later must still find its slot). Read it with `PerfEventArrayReader`.
 *
 * @param name - at most 15 characters of [A-Za-z0-9_.]; shows in `bpftool map`
 */
export function createPerfEventArray(name: string): BpfMap {
  return createMap({ type: MapType.PerfEventArray, name, keySize: 4, valueSize: 4, maxEntries: Math.max(...possibleCpus()) + 1 });
}

/**
 * Creates the BPF_MAP_TYPE_RINGBUF (Linux 5.8+) a program hands to `bpf_ringbuf_output` or
 * `ringbufOutput()`'s text: one ring shared by every CPU, so records arrive in the order they
 * were written. Read it with `RingBufferReader`.
 *
 * @param name - at most 15 characters of [A-Za-z0-9_.]; shows in `bpftool map`
 * @param bytes - data size: rounded up to a power of two of at least one page, as the kernel requires
 */
export function createRingBuffer(name: string, bytes: number): BpfMap {
  if (!Number.isInteger(bytes) || bytes <= 0)
    throw new RangeError(`ring buffer ${name}: size ${bytes} is not a positive whole number of bytes`);
  let size = pageSize;
  while (size < bytes) size *= 2;
  return createMap({ type: MapType.RingBuf, name, keySize: 0, valueSize: 0, maxEntries: size });
}

/** What {@link loadTracepointProgram} loads and where it attaches it. */
export interface TracepointProgramOptions {
  /** BPF object name: at most 15 characters of [A-Za-z0-9_.]; shows in `bpftool prog`. */
  name: string;
  /** The assembled program (from `bpf\`…\``, `parse()` or `ProgramBuilder.build()`). */
  program: Program;
  /** One tracepoint or several; a format from {@link readTracepointFormat} is a TracepointRef. */
  attachTo: TracepointRef | readonly TracepointRef[];
  /**
   * The map behind every `map[name]` the program references, by that name. The maps stay
   * owned by the caller: close them after the program.
   */
  maps?: Readonly<Record<string, BpfMap>>;
  /** Default 'GPL': the tracing helpers (probe_read, perf_event_output) are GPL-only. */
  license?: string;
}

/**
 * A loaded BPF_PROG_TYPE_TRACEPOINT program and its attachments. It owns the program fd and
 * one perf event per tracepoint; close() detaches and unloads them, once.
 */
export class TracepointProgram {
  /** The loaded program: `info()` gives its id, tag and (with stats enabled) run time. */
  readonly program: BpfProgram;
  /** One perf event per attach point, in the order given; each holds one attachment. */
  readonly links: readonly PerfEvent[];
  #closed = false;

  private constructor(program: BpfProgram, links: PerfEvent[]) {
    this.program = program;
    this.links = links;
  }

  /**
   * Puts the map fds into the program, loads it (a rejection throws KernelError carrying the
   * verifier log) and attaches it to every tracepoint. On any failure, whatever was already
   * made is closed before the error is thrown.
   */
  static load(options: TracepointProgramOptions): TracepointProgram {
    const fds: Record<string, number> = {};
    for (const [name, map] of Object.entries(options.maps ?? {})) fds[name] = map.fd;
    let program: BpfProgram;
    try {
      program = loadProgram({
        type: ProgType.Tracepoint,
        name: options.name,
        instructions: options.program.bytecode(fds),
        ...(options.license === undefined ? {} : { license: options.license }),
      });
    } catch (error) {
      throw withVerifierSource(error, options.program);
    }
    const links: PerfEvent[] = [];
    try {
      const points: readonly TracepointRef[] = isTracepointList(options.attachTo) ? options.attachTo : [options.attachTo];
      for (const tp of points) links.push(attachTracepoint(tp, program));
    } catch (error) {
      for (const link of links.reverse()) link.close();
      program.close();
      throw error;
    }
    return new TracepointProgram(program, links);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Detaches from every tracepoint, then unloads the program; later calls do nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const link of [...this.links].reverse()) link.close();
    this.program.close();
  }
}

/**
 * A verifier rejection of `program` pointed at its source: the KernelError again, its hint now
 * naming the slot the log stopped at and that slot's line of the program text (with its
 * comment), or the instruction and its comment for a program built without text. Any other
 * error is returned as it is.
 */
export function withVerifierSource(error: unknown, program: Program): unknown {
  if (!(error instanceof KernelError) || error.verifierLog === undefined) return error;
  const rejection = locateVerifierRejection(program, error.verifierLog);
  if (rejection === undefined) return error;
  return new KernelError(error.operation, error.errno, {
    context: 'bpf',
    verifierLog: error.verifierLog,
    hint: `the verifier rejected the program at ${describeVerifierRejection(rejection)} (full log in .verifierLog); it ended with:`,
  });
}

function isTracepointList(value: TracepointRef | readonly TracepointRef[]): value is readonly TracepointRef[] {
  return Array.isArray(value);
}

/** Same as {@link TracepointProgram.load}. */
export function loadTracepointProgram(options: TracepointProgramOptions): TracepointProgram {
  return TracepointProgram.load(options);
}
