// Event timestamps are CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns), the clock Node's
// process.hrtime reads, so one offset sampled once turns them into wall-clock time.

let wallMinusMonotonicMs: number | undefined;

/**
 * performance.timeOrigin + performance.now() is the wall clock with sub-millisecond resolution.
 * Sampled at the first conversion rather than when this module loads: the first use of
 * `performance` loads perf_hooks (0.75 ms), which the start-up (spawn to attached) can do without.
 */
function offsetMs(): number {
  wallMinusMonotonicMs ??= performance.timeOrigin + performance.now() - Number(process.hrtime.bigint()) / 1e6;
  return wallMinusMonotonicMs;
}

/** Wall-clock milliseconds since the epoch for a CLOCK_MONOTONIC timestamp in nanoseconds. */
export function monotonicToWallClockMs(monotonicNs: bigint): number {
  return Number(monotonicNs) / 1e6 + (wallMinusMonotonicMs ?? offsetMs());
}

/**
 * The same for a timestamp already read as a Number (the nearest double, as Number() of the
 * BigInt would give): for readers that take a record's u64 as two u32 halves instead of a BigInt.
 */
export function monotonicNumberToWallClockMs(monotonicNs: number): number {
  return monotonicNs / 1e6 + (wallMinusMonotonicMs ?? offsetMs());
}
