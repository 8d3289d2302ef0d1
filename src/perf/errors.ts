/** What exactly was impossible about the ring; lets callers and tests tell cases apart. */
export type RingCorruptReason = 'tail-ahead-of-head' | 'overfull' | 'misaligned' | 'bad-record-size' | 'unknown-record-type';

/**
 * The ring's contents cannot have been written by the kernel's producer. The reader stops at the
 * offending position instead of guessing (a wrong guess means an endless loop or a read outside
 * the mapping); nothing past it is delivered and the tail is left where it was.
 */
export class RingCorruptError extends Error {
  override readonly name = 'RingCorruptError';
  readonly reason: RingCorruptReason;
  /** Which ring: the CPU of a perf ring, -1 for a BPF ring buffer. */
  readonly cpu: number;
  /** Producer/consumer position (not masked) where the problem was found. */
  readonly position: bigint;

  constructor(reason: RingCorruptReason, detail: string, cpu: number, position: bigint) {
    super(
      `${cpu >= 0 ? `perf ring of CPU ${cpu}` : 'BPF ring buffer'} is corrupt at position ${position}: ${detail}` +
        ' — the mapping was written by something other than the kernel producer, or this reader has a bug; close and reopen it',
    );
    this.reason = reason;
    this.cpu = cpu;
    this.position = position;
  }
}
