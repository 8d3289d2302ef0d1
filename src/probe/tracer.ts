// TcpAcceptTracer: takes the plan for the options (plan.ts), creates its maps, loads and
// attaches its programs, reads events from the ring buffer (or per-CPU perf rings), counts what
// the kernel could not deliver (lost-counter.ts), and closes every kernel object it made,
// exactly once.
import { closeSync, openSync } from 'node:fs';
import { haveMapType } from '../features/index.ts';
import { PerfEventArrayReader, RingBufferReader, type RecordReader, type RecordReaderOptions } from '../perf/index.ts';
import {
  MapType,
  ProgType,
  attachTracepoint,
  createMap,
  loadProgram,
  possibleCpus,
  type BpfMap,
  type BpfProgram,
  type PerfEvent,
} from '../syscalls/index.ts';
import { IO_ACCEPT_KEY_SIZE, IO_ACCEPT_MAP_ENTRIES, IO_ACCEPT_VALUE_SIZE } from './io-uring-program.ts';
import { ListenerOwnerResolver, type ListenerOwner } from './owner.ts';
import { withVerifierSource } from './tracepoint-program.ts';
import { MAP_NAMES } from './programs.ts';
import { EventSource, RECORD, RECORD_SIZE, decodeRecord, type AcceptEvent } from './record.ts';
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
import { LostCounter } from './lost-counter.ts';
import { DEFAULT_RING_PAGES, HANDSHAKE_MAP_ENTRIES, planPrograms, type PlanOptions, type TracerMode, type TracerPlan } from './plan.ts';

export * from './summary.ts';
export * from './plan.ts';

export interface TcpAcceptTracerOptions extends PlanOptions {
  /** Called for every accepted connection, on the event loop. */
  onEvent: (event: AcceptEvent) => void;
  /**
   * The allocation-free path, for consumers that handle every accept of a storm (the CLI's
   * table rows, cli/record-row.ts): called instead of `onEvent` for each record of an accept
   * syscall or an io_uring accept, during the drain, in the ring's order, with the record's
   * bytes (AcceptRecord's layout, RECORD's offsets; valid only until it returns). Handshakes and
   * drops, whose owner is found in user space, are decoded and come through `onEvent`, also
   * during the drain and in ring order. Only with a BPF ring buffer: per-CPU perf rings
   * (Linux < 5.8) must be merged by timestamp, so there every record is decoded and `onEvent`
   * gets each drain sorted, as without this option.
   */
  onAcceptRecord?: (record: Uint8Array) => void;
  /** Called with each count of events the kernel had to drop (ring full). */
  onLost?: (count: number) => void;
  /** Called when reading fails; the tracer is closed by then. */
  onError?: (error: Error) => void;
}

/**
 * Events held at most behind an owner scan (~13 MB of AcceptEvents, 1.6 s of a 40 000/s storm);
 * past it they are delivered with the owners known so far rather than held without bound.
 */
const MAX_WAITING_FOR_OWNERS = 65_536;

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
        const counts = createMap({
          type: MapType.PercpuHash,
          name: 'tcpaccept_cnt',
          keySize: COUNT_KEY_SIZE,
          valueSize: COUNT_VALUE_SIZE,
          maxEntries: COUNT_MAP_ENTRIES,
        });
        owned.push(counts);
        maps.set(MAP_NAMES.counts, counts);
        summaryMaps.counts = counts;
      }
      if (plan.maps.includes(MAP_NAMES.hist)) {
        const hist = createMap({
          type: MapType.PercpuHash,
          name: 'tcpaccept_hist',
          keySize: HIST_KEY_SIZE,
          valueSize: 8,
          maxEntries: HIST_MAP_ENTRIES,
        });
        owned.push(hist);
        maps.set(MAP_NAMES.hist, hist);
        summaryMaps.hist = hist;
      }
      if (plan.maps.includes(MAP_NAMES.listenfds)) {
        const listenfds = createMap({
          type: MapType.LruHash,
          name: 'tcpaccept_lfd',
          keySize: 8,
          valueSize: 4,
          maxEntries: HANDSHAKE_MAP_ENTRIES,
        });
        owned.push(listenfds);
        maps.set(MAP_NAMES.listenfds, listenfds);
      }
      if (plan.maps.includes(MAP_NAMES.ioaccepts)) {
        const ioaccepts = createMap({
          type: MapType.LruHash,
          name: 'tcpaccept_ioacc',
          keySize: IO_ACCEPT_KEY_SIZE,
          valueSize: IO_ACCEPT_VALUE_SIZE,
          maxEntries: IO_ACCEPT_MAP_ENTRIES,
        });
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
        const handshakes = createMap({
          type: MapType.LruHash,
          name: 'tcpaccept_hshk',
          keySize: 8,
          valueSize: 8,
          maxEntries: HANDSHAKE_MAP_ENTRIES,
        });
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
      // Handshakes and drops come from softirq context: their owner is found in user space
      // (sock_diag and /proc/*/fd, owner.ts). Every handshake needs one, so that mode scans now;
      // drops are rare, and the scan, one readlink per fd of every process (1.4 s with 200 000
      // sockets open), waits for the first of them instead of delaying every start.
      const needOwners = plan.mode === 'handshake' || plan.programs.some((p) => p.name === 'tcpaccept_drop');
      const owners = needOwners ? new ListenerOwnerResolver() : undefined;
      if (plan.mode === 'handshake') owners?.rescan();
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
      // One ring holds every CPU's records in the order they were reserved: the raw path may
      // take them as they come (perf rings are per CPU and go through the sorted batch).
      const acceptRecord = plan.output.kind === 'ringbuf' ? options.onAcceptRecord : undefined;
      const emit = (event: AcceptEvent) => {
        // With the raw path every record keeps the ring's order: the decoded ones go out now too.
        if (acceptRecord !== undefined) {
          onEvent(event);
          return;
        }
        if (batch.length === 0) queueMicrotask(deliver);
        batch.push(event);
      };
      // (io_uring accepts, like the syscalls', carry the exact process already.)
      const needsOwner = (event: AcceptEvent) => owners !== undefined && (event.source === 'handshake' || event.source === 'drop');
      /** Sets the owner; false when -p (applied here in handshake mode) leaves the event out. */
      const takeOwner = (event: AcceptEvent, owner: ListenerOwner | undefined) => {
        if (pid !== undefined && owner?.pid !== pid) return false;
        event.pid = owner?.pid;
        event.comm = owner?.comm;
        return true;
      };
      // Events behind an owner scan that runs in slices (owner.ts, resolveWithoutBlocking), in
      // ring order: while one waits, every later record waits behind it, and the drains go on.
      let waiting: AcceptEvent[] = [];
      const releaseWaiting = () => {
        const events = waiting;
        waiting = [];
        for (const event of events) {
          if (needsOwner(event) && !takeOwner(event, owners!.cached(event.localAddr, event.localPort))) continue;
          emit(event);
        }
      };
      // Closed after the reader (closeAll goes in reverse): a scan still running is stopped and
      // the events behind it go out with the owners known so far.
      if (owners !== undefined) {
        owned.push({
          close: () => {
            owners.close();
            releaseWaiting();
          },
        });
      }
      const onRecord = (_cpu: number, bytes: Uint8Array) => {
        counts.records++;
        if (acceptRecord !== undefined && waiting.length === 0 && bytes.byteLength >= RECORD_SIZE) {
          const source = bytes[RECORD.source.offset];
          if (source === EventSource.AcceptSyscall || source === EventSource.IoUring) {
            acceptRecord(bytes);
            return;
          }
        }
        const event = decodeRecord(bytes);
        if (waiting.length > 0) {
          waiting.push(event);
          // A scan slower than this many events: out they go with the owners known so far.
          if (waiting.length >= MAX_WAITING_FOR_OWNERS) releaseWaiting();
          return;
        }
        if (needsOwner(event)) {
          const owner = owners!.resolveWithoutBlocking(event.localAddr, event.localPort, releaseWaiting);
          if (owner === 'scanning') {
            waiting.push(event);
            return;
          }
          if (!takeOwner(event, owner)) return;
        }
        emit(event);
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
      const reader =
        events === undefined
          ? undefined
          : plan.output.kind === 'ringbuf'
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
    return this.closed ? 0 : (this.lostCounter?.poll() ?? 0);
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
