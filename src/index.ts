/**
 * The public library API of ts-tcpaccept: everything importable from the package root, each
 * name listed below on purpose and documented in docs/api.md (test/docs/api.test.ts checks
 * both directions: every name here is documented, every documented name is here).
 *
 * - the assembler: `bpf\`…\``, `parse`, `assemble`, `disassemble`, `ProgramBuilder` (src/asm);
 * - the kernel interface: `createMap`, `loadProgram`, `attachTracepoint`, `readTracepoint`,
 *   `Btf`, `KernelError` (src/syscalls);
 * - the ring readers: `PerfEventArrayReader`, `RingBufferReader` (src/perf);
 * - shortcuts for new tracers: `readTracepointFormat`, `createPerfEventArray`,
 *   `loadTracepointProgram`;
 * - the tcpaccept tool's parts: `TcpAcceptTracer`, `ListenerMonitor`, `planPrograms`,
 *   `describePlan`, `decodeRecord`.
 *
 * The tool's own internals are at `ts-tcpaccept/internal` (src/internal.ts), with no promise
 * of stability. docs/api.md groups the names here by task; docs/how-it-works.md explains the
 * programs; examples/ has tracers built on this API alone.
 *
 * @packageDocumentation
 */

// Assemble a program.
export {
  assemble,
  bpf,
  parse,
  disassemble,
  ProgramBuilder,
  Program,
  Helper,
  AsmBuildError,
  AsmDecodeError,
  AsmSyntaxError,
} from './asm/index.ts';
export { R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, W0, W1, W2, W3, W4, W5, W6, W7, W8, W9, W10, B, H, W, DW } from './asm/index.ts';
export { fp, sizeName, copyToStack, loadField, ringbufOutput, mapUpdateElem } from './asm/index.ts';
export type { DisassembleOptions, MapFds, LoadableField } from './asm/index.ts';

// Define the records a program writes and user space reads.
export { defineRecord } from './asm/index.ts';
export type { FieldType, ScalarType, DecodedField, DecodedRecord, RecordFieldLayout, RecordLayout, StackRecord } from './asm/index.ts';

// Find tracepoints and kernel offsets.
export { readTracepoint, locateTracefs, mountTracefs, Btf, KERNEL_BTF_PATH } from './syscalls/index.ts';
export type { TracepointFormat, FormatField, TracepointRef, MemberOffset } from './syscalls/index.ts';
export { readTracepointFormat } from './probe/tracepoint-program.ts';

// Create maps.
export { createMap, MapType, BpfMap, UpdateFlags, MapFlags } from './syscalls/index.ts';
export type { CreateMapOptions } from './syscalls/index.ts';
export { createPerfEventArray, createRingBuffer } from './probe/tracepoint-program.ts';

// Load and attach.
export { loadProgram, ProgType, attachTracepoint, BpfProgram, PerfEvent, enableStats, KernelError } from './syscalls/index.ts';
export type { LoadProgramOptions, ProgramInfo, StatsHandle } from './syscalls/index.ts';
export { loadTracepointProgram, TracepointProgram, type TracepointProgramOptions } from './probe/tracepoint-program.ts';

// Test a tool without root: a scripted kernel behind the FFI seam.
export { FakeBackend, useFfiBackend, Errno } from './syscalls/index.ts';
export type { FakeBpfHandler, FakeCall, FakeSyscallHandler, FakeSyscallName } from './syscalls/index.ts';

// Ask what this kernel can do.
export { haveMapType, haveProgType, haveHelper } from './features/index.ts';

// Read what programs write.
export { PerfEventArrayReader, RingBufferReader, RecordReader, defaultWakeup, RingCorruptError } from './perf/index.ts';
export type { PerfEventArrayOptions, RecordReaderOptions } from './perf/index.ts';
export type { Wakeup } from './syscalls/index.ts';

// The tcpaccept tool's parts.
export { TcpAcceptTracer, planPrograms, describePlan } from './probe/tracer.ts';
export { IPPROTO_TCP } from './probe/programs.ts';
export type { TcpAcceptTracerOptions, TcpAcceptFilters, PlanOptions, TracerPlan } from './probe/tracer.ts';
export {
  decodeRecord,
  RECORD,
  RECORD_SIZE,
  EventSource,
  TCP_STATE_NAMES,
  TCP_CLOSE,
  formatIpv6,
  AF_INET,
  AF_INET6,
  type AcceptEvent,
} from './probe/record.ts';
export { ListenerMonitor, type ListenerFilters, type ListenerSnapshot } from './probe/listeners.ts';
export { monotonicToWallClockMs } from './probe/clock.ts';
