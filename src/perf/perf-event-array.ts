import {
  MapType,
  mmapFd,
  onlineCpus,
  openBpfOutputEvent,
  pageSize,
  watchReadable,
  type BpfMap,
  type MappedMemory,
  type PerfEvent,
  type Wakeup,
} from '../syscalls/index.ts';
import { isPowerOfTwo } from './layout.ts';
import { PerfRing } from './perf-ring.ts';
import { RecordReader, type Closeable, type RecordReaderOptions, type RecordReaderParts } from './record-reader.ts';

/** Data pages per CPU ring: 256 KiB with 4 KiB pages, room for ~2 500 88-byte events per CPU. */
export const DEFAULT_PERF_DATA_PAGES = 64;

/**
 * Wake the reader once a quarter of the ring is full; the flush timer delivers the rest within
 * flushIntervalMs. Measured on this machine (bench/README.md, "Perf ring reader"): a wake-up per
 * event costs the traced code ~5.6 µs per output; from a 4 KiB watermark on, the wake-up cost
 * vanishes into the ~300 ns of the output itself, and a quarter ring leaves headroom for the
 * event loop's reaction time.
 */
export function defaultWakeup(dataPages: number): Wakeup {
  return { watermarkBytes: (dataPages * pageSize) / 4 };
}

/** Options of {@link PerfEventArrayReader}: ring size, wake-up policy and CPUs, plus delivery. */
export interface PerfEventArrayOptions extends RecordReaderOptions {
  /** Data pages per CPU, a power of two (the mapping is one more page). Default 64. */
  dataPages?: number;
  /** When the kernel wakes the reader; default: a quarter of the ring (see defaultWakeup). */
  wakeup?: Wakeup;
  /** CPUs to read; default every online CPU. The map needs max_entries above the highest. */
  cpus?: number[];
}

/**
 * Reads a BPF_MAP_TYPE_PERF_EVENT_ARRAY: one PERF_COUNT_SW_BPF_OUTPUT event and one mmapped ring
 * per CPU, the event fds stored in the map at their CPU index so that
 * bpf_perf_event_output(ctx, map, BPF_F_CURRENT_CPU, ...) lands in the ring of the CPU it ran on.
 * The map stays owned by the caller; close() removes this reader's entries from it.
 */
export class PerfEventArrayReader extends RecordReader {
  /** The CPU of each ring, in ring order (also the order of `lostPerRing`). */
  readonly cpus: readonly number[];
  readonly wakeup: Wakeup;
  readonly dataPages: number;

  constructor(map: BpfMap, options: PerfEventArrayOptions = {}) {
    const dataPages = options.dataPages ?? DEFAULT_PERF_DATA_PAGES;
    const wakeup = options.wakeup ?? defaultWakeup(dataPages);
    const cpus = options.cpus ?? onlineCpus();
    super(openPerCpuRings(map, cpus, dataPages, wakeup), options);
    this.cpus = cpus;
    this.wakeup = wakeup;
    this.dataPages = dataPages;
  }
}

function u32(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value, true);
  return bytes;
}

function openPerCpuRings(map: BpfMap, cpus: readonly number[], dataPages: number, wakeup: Wakeup): RecordReaderParts {
  if (map.type !== MapType.PerfEventArray) {
    throw new TypeError(
      `map ${map.name} has type ${MapType[map.type] ?? map.type}, not PerfEventArray: a perf reader needs BPF_MAP_TYPE_PERF_EVENT_ARRAY`,
    );
  }
  if (!isPowerOfTwo(dataPages)) throw new RangeError(`dataPages must be a power of two (1, 2, 4, …), got ${dataPages}`);
  if (cpus.length === 0) throw new RangeError('no CPUs to read');
  const highest = Math.max(...cpus);
  if (highest >= map.maxEntries) {
    throw new RangeError(
      `perf event array ${map.name} has ${map.maxEntries} entries but CPU ${highest} needs one: create it with maxEntries = the number of possible CPUs`,
    );
  }
  const parts: RecordReaderParts = { rings: [], wakeups: [], resources: [] };
  try {
    for (const cpu of cpus) {
      const owner = new CpuRingOwner(map, cpu);
      parts.resources.push(owner);
      owner.event = openBpfOutputEvent(cpu, wakeup);
      owner.mapping = mmapFd(owner.event.fd, (1 + dataPages) * pageSize, { writable: true });
      const ring = new PerfRing(owner.mapping.buffer, cpu, pageSize);
      map.update(u32(cpu), u32(owner.event.fd));
      owner.inMap = true;
      owner.event.enable();
      const fd = owner.event.fd;
      parts.rings.push(ring);
      parts.wakeups.push((onReadable) => watchReadable(fd, onReadable));
    }
  } catch (error) {
    for (const resource of parts.resources) {
      try {
        resource.close();
      } catch {
        // The original failure is the one worth reporting.
      }
    }
    throw error;
  }
  return parts;
}

/** Everything one CPU's ring holds, closed in the order that never leaves a dangling reference. */
class CpuRingOwner implements Closeable {
  event: PerfEvent | undefined;
  mapping: MappedMemory | undefined;
  inMap = false;
  private readonly map: BpfMap;
  private readonly cpu: number;

  constructor(map: BpfMap, cpu: number) {
    this.map = map;
    this.cpu = cpu;
  }

  close(): void {
    // The map holds its own reference to the event: without removing the entry, the event and
    // its ring would live on for as long as the map does.
    if (this.inMap && !this.map.closed) this.map.delete(u32(this.cpu));
    this.inMap = false;
    this.mapping?.close();
    this.event?.close();
  }
}
