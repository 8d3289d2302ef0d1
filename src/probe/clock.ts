// Event timestamps are CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns), the clock Node's
// process.hrtime reads, so one offset sampled at start-up turns them into wall-clock time.

// performance.timeOrigin + performance.now() is the wall clock with sub-millisecond resolution.
const wallMinusMonotonicMs = performance.timeOrigin + performance.now() - Number(process.hrtime.bigint()) / 1e6;

/** Wall-clock milliseconds since the epoch for a CLOCK_MONOTONIC timestamp in nanoseconds. */
export function monotonicToWallClockMs(monotonicNs: bigint): number {
  return Number(monotonicNs) / 1e6 + wallMinusMonotonicMs;
}
