import { MapType, mmapFd, pageSize, watchReadable, type BpfMap, type MappedMemory } from '../syscalls/index.ts';
import { BpfRingBuffer } from './bpf-ringbuf.ts';
import { isPowerOfTwo } from './layout.ts';
import { RecordReader, type RecordReaderOptions, type RecordReaderParts } from './record-reader.ts';

/**
 * Reads a BPF_MAP_TYPE_RINGBUF (Linux ≥ 5.8) through the same interface as the perf reader:
 * one ring shared by all CPUs, so records arrive in reservation order and carry cpu -1.
 * The kernel decides wake-ups per output (bpf_ringbuf_output flags; by default it wakes only
 * when the reader has caught up), so there is no wake-up policy to choose here. It reports no
 * lost records: a full ring makes the program's output call fail, and only the program can count that.
 */
export class RingBufferReader extends RecordReader {
  constructor(map: BpfMap, options: RecordReaderOptions = {}) {
    super(openRingBuffer(map), options);
  }
}

function openRingBuffer(map: BpfMap): RecordReaderParts {
  if (map.type !== MapType.RingBuf) {
    throw new TypeError(`map ${map.name} has type ${MapType[map.type] ?? map.type}, not RingBuf: this reader needs BPF_MAP_TYPE_RINGBUF`);
  }
  const dataSize = map.maxEntries;
  if (!isPowerOfTwo(dataSize) || dataSize % pageSize !== 0) {
    throw new RangeError(
      `ring buffer ${map.name} has max_entries ${dataSize}: the kernel requires a power-of-two multiple of the page size`,
    );
  }
  const fd = map.fd;
  const mappings: MappedMemory[] = [];
  try {
    // The kernel only lets the consumer page be writable; producer_pos and the data are
    // read-only and start one page into the map's file. The kernel would map the data twice in
    // a row (no record would wrap), but its pages are resident from the start: the second view
    // of the tracer's 2 MiB ring was 2 MiB of RSS, to spare a copy of one record per lap.
    mappings.push(mmapFd(fd, pageSize, { writable: true }));
    mappings.push(mmapFd(fd, pageSize + dataSize, { offset: pageSize }));
    const ring = new BpfRingBuffer(mappings[0]!.buffer, mappings[1]!.buffer, dataSize, pageSize);
    return { rings: [ring], wakeups: [(onReadable) => watchReadable(fd, onReadable)], resources: mappings };
  } catch (error) {
    for (const mapping of mappings) mapping.close();
    throw error;
  }
}
