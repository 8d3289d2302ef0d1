// The perf ring reader: per-CPU perf rings and BPF ring buffers, read from their mmaps.
export { RingCorruptError, type RingCorruptReason } from './errors.ts';
export type { LostHandler, RecordHandler, RingSource } from './ring-source.ts';
export { PerfRing } from './perf-ring.ts';
export { BpfRingBuffer } from './bpf-ringbuf.ts';
export {
  DEFAULT_FLUSH_INTERVAL_MS,
  RecordReader,
  type Closeable,
  type RecordReaderOptions,
  type RecordReaderParts,
  type RingRecord,
  type WakeupSource,
} from './record-reader.ts';
export { DEFAULT_PERF_DATA_PAGES, PerfEventArrayReader, defaultWakeup, type PerfEventArrayOptions } from './perf-event-array.ts';
export { RingBufferReader } from './ringbuf-reader.ts';
