import { RingCorruptError } from './errors.ts';
import {
  PERF_EVENT_HEADER_SIZE,
  PERF_MMAP_DATA_HEAD,
  PERF_MMAP_DATA_OFFSET,
  PERF_MMAP_DATA_SIZE,
  PERF_RECORD_LOST,
  PERF_RECORD_LOST_MIN_SIZE,
  PERF_RECORD_SAMPLE,
  PERF_SAMPLE_RAW_SIZE_FIELD,
  RECORD_ALIGNMENT,
  isPowerOfTwo,
} from './layout.ts';
import type { LostHandler, RecordHandler, RingSource } from './ring-source.ts';

const SAMPLE_MIN_SIZE = PERF_EVENT_HEADER_SIZE + PERF_SAMPLE_RAW_SIZE_FIELD;
const RAW_DATA_OFFSET = PERF_EVENT_HEADER_SIZE + PERF_SAMPLE_RAW_SIZE_FIELD;

/**
 * Reader side of one perf ring laid out like its mmap: the perf_event_mmap_page, then a
 * power-of-two data area. Only understands PERF_RECORD_SAMPLE with sample_type PERF_SAMPLE_RAW
 * (what PERF_COUNT_SW_BPF_OUTPUT events write) and PERF_RECORD_LOST.
 *
 * Positions are the kernel's free-running u64 byte counters; they are kept as bigint only at
 * the acquire/release points so the per-record work stays on small integers.
 */
export class PerfRing implements RingSource {
  readonly cpu: number;
  readonly dataSize: number;
  private readonly buffer: ArrayBuffer;
  private readonly dataOffset: number;
  private readonly mask: number;
  private readonly headTail: BigUint64Array;
  private readonly data: DataView;
  private readonly dataBytes: Uint8Array;
  private committedTail: bigint;
  private unreleasedBytes = 0;
  private stopped = false;

  /**
   * @param buffer the whole mapping: metadata page followed by the data pages
   * @param pageSize the size of the metadata page, used when the kernel leaves data_offset at 0
   */
  constructor(buffer: ArrayBuffer, cpu: number, pageSize: number) {
    this.buffer = buffer;
    this.cpu = cpu;
    if (buffer.byteLength < PERF_MMAP_DATA_SIZE + 8) {
      throw new RangeError(`perf mapping of ${buffer.byteLength} bytes is smaller than its metadata page`);
    }
    const meta = new DataView(buffer, 0, PERF_MMAP_DATA_SIZE + 8);
    // Kernels before 4.1 left these zero and always put the data right after the first page.
    const dataOffset = Number(meta.getBigUint64(PERF_MMAP_DATA_OFFSET, true)) || pageSize;
    const dataSize = Number(meta.getBigUint64(PERF_MMAP_DATA_SIZE, true)) || buffer.byteLength - pageSize;
    if (!isPowerOfTwo(dataSize) || dataSize < RECORD_ALIGNMENT || dataOffset + dataSize > buffer.byteLength) {
      throw new RangeError(
        `perf mapping of ${buffer.byteLength} bytes cannot hold data_offset ${dataOffset} + data_size ${dataSize}` +
          ' (the data area must be a power of two that fits): map 1 + 2^n pages',
      );
    }
    this.dataOffset = dataOffset;
    this.dataSize = dataSize;
    this.mask = dataSize - 1;
    // data_head and data_tail are adjacent u64s: index 0 is the head, 1 the tail.
    this.headTail = new BigUint64Array(buffer, PERF_MMAP_DATA_HEAD, 2);
    this.data = new DataView(buffer, dataOffset, dataSize);
    this.dataBytes = new Uint8Array(buffer, dataOffset, dataSize);
    this.committedTail = Atomics.load(this.headTail, 1);
  }

  readableBytes(): number {
    const head = Atomics.load(this.headTail, 0);
    const unread = head - this.committedTail - BigInt(this.unreleasedBytes);
    return unread > 0n ? Number(unread) : 0;
  }

  stop(): void {
    this.stopped = true;
  }

  read(onRecord: RecordHandler, onLost: LostHandler, maxRecords = Number.POSITIVE_INFINITY): number {
    if (this.stopped) return 0;
    // Acquire: every record byte below head is visible once head is.
    const head = Atomics.load(this.headTail, 0);
    const tail = this.committedTail;
    if (head < tail) {
      throw new RingCorruptError('tail-ahead-of-head', `data_tail ${tail} is ahead of data_head ${head}`, this.cpu, tail);
    }
    if (head - tail > BigInt(this.dataSize)) {
      throw new RingCorruptError(
        'overfull',
        `data_head ${head} is ${head - tail} bytes past data_tail ${tail}, more than the ${this.dataSize}-byte ring`,
        this.cpu,
        tail,
      );
    }
    if (tail % BigInt(RECORD_ALIGNMENT) !== 0n) {
      throw new RingCorruptError('misaligned', `data_tail ${tail} is not 8-byte aligned`, this.cpu, tail);
    }
    const available = Number(head - tail) - this.unreleasedBytes;
    const mask = this.mask;
    const data = this.data;
    let offset = (Number(tail & BigInt(mask)) + this.unreleasedBytes) & mask;
    let consumed = 0;
    let records = 0;
    try {
      while (consumed < available && records < maxRecords && !this.stopped) {
        const left = available - consumed;
        // Headers never wrap: every record starts 8-aligned and the ring size is a multiple of 8.
        const type = left >= PERF_EVENT_HEADER_SIZE ? data.getUint32(offset, true) : 0;
        const size = left >= PERF_EVENT_HEADER_SIZE ? data.getUint16(offset + 6, true) : 0;
        if (size < PERF_EVENT_HEADER_SIZE || size % RECORD_ALIGNMENT !== 0 || size > left) {
          throw this.corrupt('bad-record-size', `record size ${size} with ${left} bytes published`, tail, consumed);
        }
        if (type === PERF_RECORD_SAMPLE) {
          if (size < SAMPLE_MIN_SIZE) {
            throw this.corrupt('bad-record-size', `sample record of ${size} bytes has no raw size`, tail, consumed);
          }
          const rawSize = data.getUint32((offset + PERF_EVENT_HEADER_SIZE) & mask, true);
          if (rawSize > size - RAW_DATA_OFFSET) {
            throw this.corrupt('bad-record-size', `raw size ${rawSize} overflows its ${size}-byte record`, tail, consumed);
          }
          const payload = this.payload((offset + RAW_DATA_OFFSET) & mask, rawSize);
          // Counted as consumed before the handler runs, so a throwing handler cannot make the
          // same record come back forever.
          offset = (offset + size) & mask;
          consumed += size;
          records++;
          onRecord(this.cpu, payload);
        } else if (type === PERF_RECORD_LOST) {
          if (size < PERF_RECORD_LOST_MIN_SIZE) {
            throw this.corrupt('bad-record-size', `lost record of ${size} bytes has no count`, tail, consumed);
          }
          const lost = Number(data.getBigUint64((offset + PERF_EVENT_HEADER_SIZE + 8) & mask, true));
          offset = (offset + size) & mask;
          consumed += size;
          records++;
          onLost(this.cpu, lost);
        } else {
          throw this.corrupt(
            'unknown-record-type',
            `record type ${type} (only PERF_RECORD_SAMPLE and PERF_RECORD_LOST come from a BPF output event)`,
            tail,
            consumed,
          );
        }
      }
    } finally {
      this.unreleasedBytes += consumed;
    }
    return records;
  }

  release(): void {
    if (this.unreleasedBytes === 0) return;
    this.committedTail += BigInt(this.unreleasedBytes);
    this.unreleasedBytes = 0;
    // Release: the kernel may overwrite the space only after all our reads of it.
    Atomics.store(this.headTail, 1, this.committedTail);
  }

  /** A view when the payload is contiguous, a copy when it wraps the end of the ring. */
  private payload(start: number, length: number): Uint8Array {
    const end = start + length;
    if (end <= this.dataSize) return new Uint8Array(this.buffer, this.dataOffset + start, length);
    const copy = new Uint8Array(length);
    const firstPart = this.dataSize - start;
    copy.set(this.dataBytes.subarray(start), 0);
    copy.set(this.dataBytes.subarray(0, length - firstPart), firstPart);
    return copy;
  }

  private corrupt(reason: 'bad-record-size' | 'unknown-record-type', detail: string, tail: bigint, at: number): RingCorruptError {
    return new RingCorruptError(reason, detail, this.cpu, tail + BigInt(this.unreleasedBytes + at));
  }
}
