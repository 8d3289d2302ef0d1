import { RingCorruptError } from './errors.ts';
import {
  BPF_RINGBUF_BUSY_BIT,
  BPF_RINGBUF_DISCARD_BIT,
  BPF_RINGBUF_HDR_SZ,
  BPF_RINGBUF_LEN_MASK,
  RECORD_ALIGNMENT,
  isPowerOfTwo,
} from './layout.ts';
import type { LostHandler, RecordHandler, RingSource } from './ring-source.ts';

/**
 * Reader side of a BPF_MAP_TYPE_RINGBUF laid out like its two mmaps (see the kernel's
 * Documentation/bpf/ringbuf.rst): a writable consumer page holding consumer_pos, and a
 * read-only area holding producer_pos in its first page followed by the data pages. The kernel
 * lets the data be mapped twice in a row, which makes every record contiguous; mapped once (the
 * tracer's choice: the pages are resident from the start, so a second view of a 2 MiB ring
 * costs 2 MiB of RSS), a record whose payload runs past the end is copied, once per lap of the
 * ring at most, and every other record is handed out as a view.
 *
 * One ring serves all CPUs; the kernel never writes lost-record notices into it (a full ring
 * makes bpf_ringbuf_output fail in the program instead), so `onLost` is never called.
 */
export class BpfRingBuffer implements RingSource {
  readonly cpu = -1;
  readonly dataSize: number;
  private readonly producerArea: ArrayBuffer;
  private readonly dataStart: number;
  private readonly mask: number;
  private readonly consumerPos: BigUint64Array;
  private readonly producerPos: BigUint64Array;
  private readonly headerWords: Uint32Array;
  /** The data pages, once (the first copy when they are mapped twice). */
  private readonly data: Uint8Array;
  /** True when the data pages are mapped twice in a row, so that no record wraps. */
  private readonly mirrored: boolean;
  private committedConsumer: bigint;
  private unreleasedBytes = 0;
  private stopped = false;

  /**
   * @param consumerPage the writable first page of the map (consumer_pos at offset 0)
   * @param producerArea the read-only mapping at file offset pageSize: producer_pos at offset 0,
   *   data from offset pageSize, dataSize bytes long (or 2 × dataSize, mapped twice)
   * @param dataSize the map's max_entries (a power-of-two multiple of the page size)
   */
  constructor(consumerPage: ArrayBuffer, producerArea: ArrayBuffer, dataSize: number, pageSize: number) {
    if (!isPowerOfTwo(dataSize) || dataSize < RECORD_ALIGNMENT) {
      throw new RangeError(`ring buffer data size ${dataSize} is not a power of two`);
    }
    if (producerArea.byteLength < pageSize + dataSize) {
      throw new RangeError(
        `ring buffer producer mapping of ${producerArea.byteLength} bytes cannot hold a page plus the data (${pageSize} + ${dataSize})`,
      );
    }
    if (consumerPage.byteLength < 8) throw new RangeError('ring buffer consumer mapping is smaller than consumer_pos');
    this.producerArea = producerArea;
    this.dataSize = dataSize;
    this.dataStart = pageSize;
    this.mask = dataSize - 1;
    this.consumerPos = new BigUint64Array(consumerPage, 0, 1);
    this.producerPos = new BigUint64Array(producerArea, 0, 1);
    this.mirrored = producerArea.byteLength >= pageSize + 2 * dataSize;
    // Headers are 8-byte aligned and the data a power of two ≥ 8: a header never wraps.
    this.headerWords = new Uint32Array(producerArea, pageSize, dataSize / 4);
    this.data = new Uint8Array(producerArea, pageSize, dataSize);
    this.committedConsumer = Atomics.load(this.consumerPos, 0);
  }

  readableBytes(): number {
    const unread = Atomics.load(this.producerPos, 0) - this.committedConsumer - BigInt(this.unreleasedBytes);
    return unread > 0n ? Number(unread) : 0;
  }

  stop(): void {
    this.stopped = true;
  }

  read(onRecord: RecordHandler, _onLost: LostHandler, maxRecords = Number.POSITIVE_INFINITY): number {
    if (this.stopped) return 0;
    const producer = Atomics.load(this.producerPos, 0);
    const consumer = this.committedConsumer;
    if (producer < consumer) {
      throw new RingCorruptError('tail-ahead-of-head', `consumer_pos ${consumer} is ahead of producer_pos ${producer}`, -1, consumer);
    }
    if (producer - consumer > BigInt(this.dataSize)) {
      throw new RingCorruptError(
        'overfull',
        `producer_pos ${producer} is ${producer - consumer} bytes past consumer_pos ${consumer}, more than the ${this.dataSize}-byte ring`,
        -1,
        consumer,
      );
    }
    if (consumer % BigInt(RECORD_ALIGNMENT) !== 0n) {
      throw new RingCorruptError('misaligned', `consumer_pos ${consumer} is not 8-byte aligned`, -1, consumer);
    }
    const available = Number(producer - consumer) - this.unreleasedBytes;
    const mask = this.mask;
    let offset = (Number(consumer & BigInt(mask)) + this.unreleasedBytes) & mask;
    let consumed = 0;
    let records = 0;
    try {
      while (consumed < available && records < maxRecords && !this.stopped) {
        const left = available - consumed;
        if (left < BPF_RINGBUF_HDR_SZ) {
          throw this.corrupt(`${left} bytes published, less than a record header`, consumer, consumed);
        }
        // producer_pos moves at reserve time; a record is only ours once the producer has
        // cleared BUSY with a release store on the header, hence an acquire load per record.
        const header = Atomics.load(this.headerWords, offset >>> 2);
        if ((header & BPF_RINGBUF_BUSY_BIT) !== 0) break;
        const length = header & BPF_RINGBUF_LEN_MASK;
        const size = (length + BPF_RINGBUF_HDR_SZ + RECORD_ALIGNMENT - 1) & ~(RECORD_ALIGNMENT - 1);
        if (size > left) {
          throw this.corrupt(`record of ${length} bytes with ${left} bytes published`, consumer, consumed);
        }
        const payload = (offset + BPF_RINGBUF_HDR_SZ) & mask;
        offset = (offset + size) & mask;
        consumed += size;
        if ((header & BPF_RINGBUF_DISCARD_BIT) !== 0) continue;
        records++;
        if (this.mirrored || payload + length <= this.dataSize) {
          onRecord(-1, new Uint8Array(this.producerArea, this.dataStart + payload, length));
        } else {
          // Mapped once and running past the end: the tail of the data, then its start.
          const copy = new Uint8Array(length);
          const first = this.dataSize - payload;
          copy.set(this.data.subarray(payload), 0);
          copy.set(this.data.subarray(0, length - first), first);
          onRecord(-1, copy);
        }
      }
    } finally {
      this.unreleasedBytes += consumed;
    }
    return records;
  }

  release(): void {
    if (this.unreleasedBytes === 0) return;
    this.committedConsumer += BigInt(this.unreleasedBytes);
    this.unreleasedBytes = 0;
    Atomics.store(this.consumerPos, 0, this.committedConsumer);
  }

  private corrupt(detail: string, consumer: bigint, at: number): RingCorruptError {
    return new RingCorruptError('bad-record-size', detail, -1, consumer + BigInt(this.unreleasedBytes + at));
  }
}
