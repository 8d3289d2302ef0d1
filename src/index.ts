/**
 * The public library API of ts-tcpaccept, everything importable from the package root:
 *
 * - the assembler: `bpf\`…\``, `parse`, `assemble`, `disassemble`, `ProgramBuilder` (src/asm);
 * - the kernel interface: `createMap`, `loadProgram`, `attachTracepoint`, `readTracepoint`,
 *   `Btf`, `KernelError` (src/syscalls);
 * - the ring readers: `PerfEventArrayReader`, `RingBufferReader` (src/perf);
 * - shortcuts for new tracers: `readTracepointFormat`, `createPerfEventArray`,
 *   `loadTracepointProgram`;
 * - the tcpaccept tool's parts: `TcpAcceptTracer`, `planPrograms`, `describePlan`, `decodeRecord`.
 *
 * docs/api.md groups them by task; docs/how-it-works.md explains the programs; examples/ has
 * two tracers built on this API alone.
 *
 * @packageDocumentation
 */
export * from './asm/index.ts';
export * from './syscalls/index.ts';
export * from './perf/index.ts';
export * from './probe/record.ts';
export * from './probe/owner.ts';
export * from './probe/programs.ts';
export * from './probe/layout.ts';
export * from './probe/tracer.ts';
export * from './probe/clock.ts';
export * from './probe/privileges.ts';
export * from './probe/tracepoint-program.ts';
export * from './probe/listeners.ts';
