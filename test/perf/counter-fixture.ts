// Kernel side of the reader tests and the benchmark: the counter program loaded and attached to
// syscalls:sys_enter_getppid, triggered by real getppid(2) calls through the FFI backend.
import {
  MapType,
  ProgType,
  attachTracepoint,
  createMap,
  ffi,
  loadProgram,
  possibleCpus,
  syscallNumbers,
  type BpfMap,
  type BpfProgram,
  type PerfEvent,
} from '../../src/syscalls/index.ts';
import { readTracepoint } from '../../src/syscalls/tracefs.ts';
import { counterProgram, type CounterOutput } from './counter-program.ts';

export class CounterFixture {
  readonly counter: BpfMap;
  readonly events: BpfMap | undefined;
  readonly program: BpfProgram;
  private attachment: PerfEvent | undefined;
  private readonly getppid = syscallNumbers().getppid;

  constructor(output: CounterOutput, opts: { ringbufBytes?: number } = {}) {
    this.counter = createMap({ type: MapType.PercpuArray, name: 'perf_t_count', keySize: 4, valueSize: 8, maxEntries: 1 });
    try {
      this.events =
        output === 'perf'
          ? createMap({ type: MapType.PerfEventArray, name: 'perf_t_events', keySize: 4, valueSize: 4, maxEntries: possibleCpus().length })
          : output === 'ringbuf'
            ? createMap({ type: MapType.RingBuf, name: 'perf_t_rb', keySize: 0, valueSize: 0, maxEntries: opts.ringbufBytes ?? 256 * 1024 })
            : undefined;
      this.program = loadProgram({
        type: ProgType.Tracepoint,
        name: `perf_t_${output}`,
        instructions: counterProgram({ counterFd: this.counter.fd, eventsFd: this.events?.fd ?? 0, tgid: process.pid, output }),
      });
    } catch (error) {
      this.events?.close();
      this.counter.close();
      throw error;
    }
  }

  /** Attach after the reader exists: outputs before that would have nowhere to go. */
  attach(): void {
    this.attachment ??= attachTracepoint(readTracepoint('syscalls', 'sys_enter_getppid'), this.program);
  }

  detach(): void {
    this.attachment?.close();
    this.attachment = undefined;
  }

  /** `count` real getppid(2) syscalls, each one a hit of the tracepoint by this process. */
  trigger(count: number): void {
    const backend = ffi();
    for (let i = 0; i < count; i++) backend.syscall(this.getppid);
  }

  close(): void {
    this.detach();
    this.program.close();
    this.events?.close();
    this.counter.close();
  }
}

/** Checks records of the counter program: per CPU, counts must rise (by exactly 1 without loss). */
export class CounterChecker {
  readonly delivered: number[] = [];
  private readonly last = new Map<number, number>();
  problems: string[] = [];
  total = 0;

  constructor(private readonly allowGaps: boolean) {}

  record(ringCpu: number, count: number, cpu: number): void {
    this.total++;
    if (ringCpu >= 0 && ringCpu !== cpu && this.problems.length < 5) {
      this.problems.push(`record from CPU ${cpu} arrived in the ring of CPU ${ringCpu}`);
    }
    const previous = this.last.get(cpu) ?? 0;
    const ok = this.allowGaps ? count > previous : count === previous + 1;
    if (!ok && this.problems.length < 5) this.problems.push(`CPU ${cpu}: count ${count} after ${previous}`);
    this.last.set(cpu, count);
  }

  /** Per CPU, the highest count seen (= records the program output there, when nothing was lost). */
  highest(): Record<number, number> {
    return Object.fromEntries(this.last);
  }
}
