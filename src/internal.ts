/**
 * Everything in src/, for the ts-tcpaccept command line, its scripts and its tests:
 * `import … from 'ts-tcpaccept/internal'`.
 *
 * Not the library API. These names are the tool's own parts (attribute writers, program text
 * generators, map names, syscall wrappers) and change whenever the tool needs them to; no
 * release keeps them stable. Build on the package root (src/index.ts, docs/api.md) instead, and
 * ask for a name to be made public if you need one from here.
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
export * from './probe/container.ts';
export * from './probe/task-cgroup.ts';
export * from './probe/clock.ts';
export * from './probe/privileges.ts';
export * from './probe/tracepoint-program.ts';
export * from './probe/listeners.ts';
export * from './features/index.ts';
