// The public library API of ts-tcpaccept: the assembler, the kernel interface, the perf ring
// readers, and the tcpaccept tracer built from them.
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
