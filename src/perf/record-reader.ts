import type { LostHandler, RecordHandler, RingSource } from './ring-source.ts';

/** One record from the async iterator. `bytes` is a copy the caller may keep (it shares a larger buffer with other records). */
export interface RingRecord {
  /** CPU the record was written on; -1 for BPF ring buffers, which do not say. */
  cpu: number;
  bytes: Uint8Array;
}

/** Anything with an idempotent close(). */
export interface Closeable {
  close(): void;
}

/** How a {@link RecordReader} delivers records, lost counts and failures. */
export interface RecordReaderOptions {
  /**
   * Callback delivery: called for every record, on the event loop. `bytes` may point into the
   * mmapped ring and is only valid until the callback returns: copy (`bytes.slice()`) to keep.
   * Without it, read the records through the async iterator.
   */
  onRecord?: RecordHandler;
  /** Called with every lost-record count the kernel reports (also summed in `lost`). */
  onLost?: LostHandler;
  /**
   * Called when the reader fails (a RingCorruptError); the reader is closed by then. Without
   * it, a failure in callback mode is thrown from the event loop; the iterator rejects instead.
   */
  onError?: (error: Error) => void;
  /**
   * Longest time a record may sit in a ring before it is delivered, whatever the wake-up
   * policy: the rings are drained at least this often while someone is waiting. Default 100.
   */
  flushIntervalMs?: number;
  /** Records read per ring in one iterator batch; bounds the memory a lagging consumer holds. Default 4096. */
  iteratorBatch?: number;
}

/** Default `flushIntervalMs`: the longest a record waits in a ring when wake-ups are batched. */
export const DEFAULT_FLUSH_INTERVAL_MS = 100;
const DEFAULT_ITERATOR_BATCH = 4096;
const COPY_ARENA_BYTES = 64 * 1024;

/** Starts watching for the producer's wake-up; the watch ends with the returned handle's close(). */
export type WakeupSource = (onReadable: () => void) => Closeable;

/** What a concrete reader hands to {@link RecordReader}: its rings, their wake-up sources, what to close. */
export interface RecordReaderParts {
  rings: RingSource[];
  /** One per pollable fd (perf event fds, the ring buffer map fd). */
  wakeups: WakeupSource[];
  /** Mappings and fds the reader owns, closed in this order after the rings are stopped. */
  resources: Closeable[];
}

interface Waiter {
  /** Produces what the parked next() is waiting for (a record or a batch), if there is any yet. */
  take(): unknown;
  resolve(result: IteratorResult<unknown>): void;
  reject(error: unknown): void;
}

/**
 * Delivers records from a set of rings by callback or async iterator, draining on the
 * producer's wake-ups and on a flush timer so no record waits longer than flushIntervalMs.
 *
 * Back-pressure: the iterator only reads a new batch when the consumer asks for more, so a
 * consumer that lags leaves the rings full and the kernel counts what it had to drop; those
 * counts arrive as `onLost` calls and in `lost` once the rings are read again.
 */
export class RecordReader implements AsyncIterable<RingRecord>, Closeable {
  private readonly rings: RingSource[];
  private readonly wakeups: WakeupSource[];
  private readonly resources: Closeable[];
  private readonly onRecord: RecordHandler | undefined;
  private readonly onLost: LostHandler | undefined;
  private readonly onError: ((error: Error) => void) | undefined;
  private readonly iteratorBatch: number;
  private readonly lostByRing: number[];
  private readonly flushTimer: NodeJS.Timeout;
  private watches: Closeable[] = [];
  private batch: RingRecord[] = [];
  private batchIndex = 0;
  private waiter: Waiter | undefined;
  private iteratorTaken = false;
  private draining = false;
  private drainAgainScheduled = false;
  private closeRequested = false;
  private closed = false;
  private failure: Error | undefined;

  constructor(parts: RecordReaderParts, options: RecordReaderOptions = {}) {
    this.rings = parts.rings;
    this.wakeups = parts.wakeups;
    this.resources = parts.resources;
    this.onRecord = options.onRecord;
    this.onLost = options.onLost;
    this.onError = options.onError;
    this.iteratorBatch = options.iteratorBatch ?? DEFAULT_ITERATOR_BATCH;
    this.lostByRing = parts.rings.map(() => 0);
    const flushIntervalMs = options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
    if (!(flushIntervalMs > 0) || !Number.isFinite(flushIntervalMs)) {
      throw new RangeError(`flushIntervalMs must be a positive number of milliseconds, got ${flushIntervalMs}`);
    }
    if (!Number.isInteger(this.iteratorBatch) || this.iteratorBatch < 1) {
      throw new RangeError(`iteratorBatch must be a positive integer, got ${this.iteratorBatch}`);
    }
    // Referenced on purpose: an open reader is a reason for the process to stay alive.
    this.flushTimer = setInterval(() => this.onWakeup(), flushIntervalMs);
    if (this.onRecord !== undefined) this.startWatching();
  }

  /** Records the kernel reported lost, per ring (index i is rings[i], i.e. CPU order for perf). */
  get lostPerRing(): readonly number[] {
    return this.lostByRing;
  }

  /** Total records the kernel reported lost so far. */
  get lost(): number {
    let total = 0;
    for (const count of this.lostByRing) total += count;
    return total;
  }

  /** Bytes published by the producers and not yet read: 0 means the reader has caught up. */
  pendingBytes(): number {
    if (this.closeRequested) return 0;
    let total = 0;
    for (const ring of this.rings) total += ring.readableBytes();
    return total;
  }

  /** True once close() was called (or the reader failed and closed itself). */
  get isClosed(): boolean {
    return this.closed || this.closeRequested;
  }

  /**
   * Callback mode: reads every ring up to its current producer position now, delivering
   * through onRecord/onLost. Returns the number of records read. Useful before close() to
   * collect what is still in flight.
   */
  drain(): number {
    if (this.onRecord === undefined) throw new Error('drain() delivers through onRecord; this reader was opened for iteration');
    return this.drainInto(this.onRecord);
  }

  /**
   * Records one at a time. Only one iteration per reader (records or batches); leaving the
   * loop (break, return, throw) closes the reader.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<RingRecord> {
    return this.iterate(() => this.takeRecord());
  }

  /**
   * Records as arrays of whatever was ready, oldest first: one await per batch instead of one
   * per record, for consumers that keep up with high rates.
   */
  batches(): AsyncIterableIterator<RingRecord[]> {
    return this.iterate(() => this.takeBatch());
  }

  private iterate<T>(take: () => T | undefined): AsyncIterableIterator<T> {
    if (this.onRecord !== undefined) throw new Error('this reader delivers through onRecord; it cannot also be iterated');
    if (this.iteratorTaken) throw new Error('a reader can be iterated only once');
    this.iteratorTaken = true;
    const iterator: AsyncIterableIterator<T> = {
      next: () => this.next(take),
      return: async () => {
        this.close();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** Stops delivery, unmaps the rings and closes every fd the reader owns. Idempotent. */
  close(): void {
    if (this.closeRequested) return;
    this.closeRequested = true;
    clearInterval(this.flushTimer);
    this.stopWatching();
    for (const ring of this.rings) ring.stop();
    this.batch = [];
    // A close() from inside onRecord runs while a ring is still being read: the unmapping
    // waits until that read has returned, or it would continue on freed memory.
    if (!this.draining) this.releaseResources();
    this.settleWaiter({ done: true, value: undefined });
  }

  private releaseResources(): void {
    if (this.closed) return;
    this.closed = true;
    let firstError: unknown;
    for (const resource of this.resources) {
      try {
        resource.close();
      } catch (error) {
        firstError ??= error;
      }
    }
    if (firstError !== undefined) throw firstError;
  }

  private next<T>(take: () => T | undefined): Promise<IteratorResult<T>> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.closeRequested) return Promise.resolve({ done: true, value: undefined });
    if (this.waiter !== undefined) return Promise.reject(new Error('next() called again before the previous call settled'));
    let value: T | undefined;
    try {
      value = take();
    } catch (error) {
      return Promise.reject(error);
    }
    if (value !== undefined) return Promise.resolve({ done: false, value });
    return new Promise((resolve, reject) => {
      this.waiter = {
        take,
        resolve: resolve as (result: IteratorResult<unknown>) => void,
        reject,
      };
      this.startWatching();
    });
  }

  /** The next buffered record, reading a new batch from the rings when the last one is used up. */
  private takeRecord(): RingRecord | undefined {
    if (this.batchIndex >= this.batch.length) this.fillBatch();
    return this.batchIndex < this.batch.length ? this.batch[this.batchIndex++] : undefined;
  }

  /** Every buffered record not yet handed out, or a new batch when there are none. */
  private takeBatch(): RingRecord[] | undefined {
    if (this.batchIndex >= this.batch.length) this.fillBatch();
    if (this.batchIndex >= this.batch.length) return undefined;
    const rest = this.batchIndex === 0 ? this.batch : this.batch.slice(this.batchIndex);
    this.batch = [];
    this.batchIndex = 0;
    return rest;
  }

  private fillBatch(): void {
    const batch: RingRecord[] = [];
    this.batch = batch;
    this.batchIndex = 0;
    // Records are copied out of the ring (so the space can be released and a kept record never
    // points into unmapped memory) into shared arenas: one allocation per 64 KiB, not per record.
    let arena = new Uint8Array(0);
    let used = 0;
    this.readRings((cpu, bytes) => {
      if (used + bytes.length > arena.length) {
        arena = new Uint8Array(Math.max(COPY_ARENA_BYTES, bytes.length));
        used = 0;
      }
      arena.set(bytes, used);
      batch.push({ cpu, bytes: arena.subarray(used, used + bytes.length) });
      used += (bytes.length + 7) & ~7;
    }, this.iteratorBatch);
    if (this.failure !== undefined) throw this.failure;
  }

  private onWakeup(): void {
    if (this.closeRequested || this.draining) return;
    if (this.onRecord !== undefined) {
      this.drainInto(this.onRecord);
      return;
    }
    if (this.waiter === undefined) return;
    let value: unknown;
    try {
      value = this.waiter.take();
    } catch (error) {
      this.fail(error);
      return;
    }
    if (value !== undefined) this.settleWaiter({ done: false, value });
  }

  private drainInto(onRecord: RecordHandler): number {
    const records = this.readRings(onRecord, Number.POSITIVE_INFINITY);
    // A producer faster than one pass leaves data behind; come back after pending I/O rather
    // than looping here and starving the event loop.
    if (!this.closeRequested && this.rings.some((ring) => ring.readableBytes() > 0)) this.scheduleReadAfterPoll();
    return records;
  }

  /** One pass over every ring: read up to its producer position (or maxRecords), then release. */
  private readRings(onRecord: RecordHandler, maxRecords: number): number {
    if (this.closeRequested) return 0;
    this.draining = true;
    let records = 0;
    try {
      for (let i = 0; i < this.rings.length && !this.closeRequested; i++) {
        const ring = this.rings[i]!;
        records += ring.read(onRecord, (cpu, count) => this.countLost(i, cpu, count), maxRecords);
        if (!this.closeRequested) ring.release();
      }
    } catch (error) {
      this.draining = false;
      this.fail(error);
      return records;
    }
    this.draining = false;
    if (this.closeRequested) this.releaseResources();
    return records;
  }

  private countLost(ringIndex: number, cpu: number, count: number): void {
    this.lostByRing[ringIndex]! += count;
    this.onLost?.(cpu, count);
  }

  private fail(cause: unknown): void {
    const error = cause instanceof Error ? cause : new Error(String(cause));
    if (this.failure !== undefined) return;
    this.failure = error;
    const waiter = this.waiter;
    this.waiter = undefined;
    this.close();
    if (waiter !== undefined) {
      waiter.reject(error);
    } else if (this.onError !== undefined) {
      this.onError(error);
    } else if (this.onRecord !== undefined) {
      throw error;
    }
  }

  private settleWaiter(result: IteratorResult<unknown>): void {
    const waiter = this.waiter;
    if (waiter === undefined) return;
    this.waiter = undefined;
    if (this.onRecord === undefined) this.stopWatching();
    waiter.resolve(result);
  }

  private startWatching(): void {
    if (this.watches.length > 0 || this.closeRequested) return;
    // Level-triggered sources (a ring buffer map fd stays readable while unread data remains)
    // would spin while nobody reads, so the iterator only watches while a consumer waits.
    this.watches = this.wakeups.map((watch) => watch(() => this.onWakeup()));
    // libuv registers the fds with epoll only on its next poll phase, and a perf fd does not
    // report a wake-up that happened before it was registered (measured: the record waited for
    // the next event or the flush timer). One read right after that poll phase closes the gap.
    if (this.wakeups.length > 0) this.scheduleReadAfterPoll();
  }

  private scheduleReadAfterPoll(): void {
    if (this.drainAgainScheduled) return;
    this.drainAgainScheduled = true;
    setImmediate(() => {
      this.drainAgainScheduled = false;
      this.onWakeup();
    });
  }

  private stopWatching(): void {
    const watches = this.watches;
    this.watches = [];
    for (const watch of watches) watch.close();
  }
}
