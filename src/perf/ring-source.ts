/** Receives one record; `bytes` is only valid until the handler returns (it may point into the ring). */
export type RecordHandler = (cpu: number, bytes: Uint8Array) => void;
/** Receives the kernel's count of records it dropped because the ring was full. */
export type LostHandler = (cpu: number, count: number) => void;

/**
 * One mmapped ring as the delivery machinery sees it: perf rings (one per CPU) and BPF ring
 * buffers (one shared) both read in batches and then give the space back in one release store.
 */
export interface RingSource {
  /** The CPU whose records this ring holds; -1 for a BPF ring buffer, which all CPUs share. */
  readonly cpu: number;
  /**
   * Parses up to `maxRecords` records between the last read position and the producer position
   * loaded once (acquire) at the start of the call. The space stays owned by the reader until
   * `release()`. Throws RingCorruptError on contents the kernel cannot have produced.
   */
  read(onRecord: RecordHandler, onLost: LostHandler, maxRecords?: number): number;
  /** Hands everything read so far back to the producer with one release store. */
  release(): void;
  /** Bytes the producer has published that have not been read yet. */
  readableBytes(): number;
  /** Makes an ongoing or future `read()` return before delivering another record. */
  stop(): void;
}
