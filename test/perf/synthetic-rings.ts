// Producers that write rings byte-for-byte the way the kernel does, so the readers can be
// tested (and benchmarked) on plain ArrayBuffers laid out like the real mmaps.
import {
  BPF_RINGBUF_BUSY_BIT,
  BPF_RINGBUF_DISCARD_BIT,
  PERF_MMAP_DATA_HEAD,
  PERF_MMAP_DATA_OFFSET,
  PERF_MMAP_DATA_SIZE,
  PERF_MMAP_DATA_TAIL,
  PERF_RECORD_LOST,
  PERF_RECORD_SAMPLE,
} from '../../src/perf/layout.ts';

export const PAGE_SIZE = 4096;

/** The raw size the kernel writes for a payload: u32 size + data rounded up to 8, minus the u32. */
export function paddedRawSize(payloadLength: number): number {
  return ((payloadLength + 4 + 7) & ~7) - 4;
}

/** What the reader must hand out for a payload: the payload followed by the kernel's zero padding. */
export function expectedRaw(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(paddedRawSize(payload.length));
  out.set(payload);
  return out;
}

export function pattern(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (seed * 31 + i * 7 + 1) & 0xff;
  return bytes;
}

export class SyntheticPerfRing {
  readonly buffer: ArrayBuffer;
  readonly dataSize: number;
  readonly meta: DataView;
  private readonly data: Uint8Array;
  /** Producer position, published to data_head by publish(). */
  head: bigint;

  constructor(dataPages: number, opts: { startPosition?: bigint; pageSize?: number } = {}) {
    const pageSize = opts.pageSize ?? PAGE_SIZE;
    this.dataSize = dataPages * pageSize;
    this.buffer = new ArrayBuffer(pageSize + this.dataSize);
    this.meta = new DataView(this.buffer, 0, pageSize);
    this.meta.setBigUint64(PERF_MMAP_DATA_OFFSET, BigInt(pageSize), true);
    this.meta.setBigUint64(PERF_MMAP_DATA_SIZE, BigInt(this.dataSize), true);
    this.data = new Uint8Array(this.buffer, pageSize, this.dataSize);
    this.head = opts.startPosition ?? 0n;
    this.meta.setBigUint64(PERF_MMAP_DATA_HEAD, this.head, true);
    this.meta.setBigUint64(PERF_MMAP_DATA_TAIL, this.head, true);
  }

  get tail(): bigint {
    return this.meta.getBigUint64(PERF_MMAP_DATA_TAIL, true);
  }

  set tail(value: bigint) {
    this.meta.setBigUint64(PERF_MMAP_DATA_TAIL, value, true);
  }

  get free(): number {
    return this.dataSize - Number(this.head - this.tail);
  }

  /** Writes a PERF_RECORD_SAMPLE with PERF_SAMPLE_RAW as perf_prepare_sample lays it out; false when it does not fit. */
  writeSample(payload: Uint8Array): boolean {
    const raw = paddedRawSize(payload.length);
    const body = new Uint8Array(4 + raw);
    new DataView(body.buffer).setUint32(0, raw, true);
    body.set(payload, 4);
    return this.writeRecord(PERF_RECORD_SAMPLE, body);
  }

  writeLost(lost: bigint, id = 0n): boolean {
    const body = new Uint8Array(16);
    const view = new DataView(body.buffer);
    view.setBigUint64(0, id, true);
    view.setBigUint64(8, lost, true);
    return this.writeRecord(PERF_RECORD_LOST, body);
  }

  /**
   * Any record: header with `type` and `size`, then the body. The producer position advances by
   * the header plus body rounded up to 8, whatever `size` claims, so tests can lie in it.
   */
  writeRecord(type: number, body: Uint8Array, size = (8 + body.length + 7) & ~7): boolean {
    const total = (8 + body.length + 7) & ~7;
    if (total > this.free) return false;
    const record = new Uint8Array(total);
    const view = new DataView(record.buffer);
    view.setUint32(0, type, true);
    view.setUint16(4, 0, true);
    view.setUint16(6, size, true);
    record.set(body, 8);
    this.writeBytes(this.head, record);
    this.head += BigInt(total);
    return true;
  }

  writeBytes(position: bigint, bytes: Uint8Array): void {
    const mask = this.dataSize - 1;
    const offset = Number(position & BigInt(mask));
    const first = Math.min(bytes.length, this.dataSize - offset);
    this.data.set(bytes.subarray(0, first), offset);
    if (first < bytes.length) this.data.set(bytes.subarray(first), 0);
  }

  publish(): void {
    this.meta.setBigUint64(PERF_MMAP_DATA_HEAD, this.head, true);
  }

  /** Lets tests put an impossible head in place. */
  publishHead(head: bigint): void {
    this.meta.setBigUint64(PERF_MMAP_DATA_HEAD, head, true);
  }
}

export class SyntheticRingBuffer {
  readonly consumerPage: ArrayBuffer;
  readonly producerArea: ArrayBuffer;
  readonly dataSize: number;
  private readonly consumer: DataView;
  private readonly producer: DataView;
  private readonly data: Uint8Array;
  /** Whether the data pages appear twice in a row (the kernel's option) or once (the tracer's). */
  readonly mappedTwice: boolean;
  head: bigint;

  constructor(dataPages: number, opts: { startPosition?: bigint; mappedOnce?: boolean } = {}) {
    this.dataSize = dataPages * PAGE_SIZE;
    this.mappedTwice = opts.mappedOnce !== true;
    this.consumerPage = new ArrayBuffer(PAGE_SIZE);
    this.producerArea = new ArrayBuffer(PAGE_SIZE + (this.mappedTwice ? 2 : 1) * this.dataSize);
    this.consumer = new DataView(this.consumerPage);
    this.producer = new DataView(this.producerArea, 0, PAGE_SIZE);
    this.data = new Uint8Array(this.producerArea, PAGE_SIZE);
    this.head = opts.startPosition ?? 0n;
    this.consumer.setBigUint64(0, this.head, true);
    this.producer.setBigUint64(0, this.head, true);
  }

  get consumerPos(): bigint {
    return this.consumer.getBigUint64(0, true);
  }

  set consumerPos(value: bigint) {
    this.consumer.setBigUint64(0, value, true);
  }

  /** Reserves and (unless `busy`) commits a record like bpf_ringbuf_reserve/submit; false when full. */
  write(payload: Uint8Array, opts: { busy?: boolean; discard?: boolean; lengthOverride?: number } = {}): boolean {
    const total = (payload.length + 8 + 7) & ~7;
    if (total > this.dataSize - Number(this.head - this.consumerPos)) return false;
    const record = new Uint8Array(total);
    const view = new DataView(record.buffer);
    let header = opts.lengthOverride ?? payload.length;
    if (opts.busy) header |= BPF_RINGBUF_BUSY_BIT;
    if (opts.discard) header |= BPF_RINGBUF_DISCARD_BIT;
    view.setUint32(0, header >>> 0, true);
    view.setUint32(4, 0, true);
    record.set(payload, 8);
    this.writeBytes(this.head, record);
    this.head += BigInt(total);
    return true;
  }

  /** Mapped twice, the data pages appear twice in a row; a synthetic buffer keeps both copies equal. */
  writeBytes(position: bigint, bytes: Uint8Array): void {
    const mask = this.dataSize - 1;
    for (let i = 0; i < bytes.length; i++) {
      const offset = (Number(position & BigInt(mask)) + i) & mask;
      this.data[offset] = bytes[i]!;
      if (this.mappedTwice) this.data[offset + this.dataSize] = bytes[i]!;
    }
  }

  /** Clears BUSY on the record reserved at `position`, as bpf_ringbuf_submit does. */
  submit(position: bigint, length: number): void {
    const header = new Uint8Array(4);
    new DataView(header.buffer).setUint32(0, length, true);
    this.writeBytes(position, header);
  }

  publish(): void {
    this.producer.setBigUint64(0, this.head, true);
  }

  publishHead(head: bigint): void {
    this.producer.setBigUint64(0, head, true);
  }
}
