// The kernel interface: the only code in src/ that talks to the kernel.
export * from './errors.ts';
export * from './ffi.ts';
export * from './attrs.ts';
export * from './bpf.ts';
export * from './perf-event.ts';
export * from './mount.ts';
export { checkedSyscall } from './kernel-call.ts';
export { syscallNumbers, type SyscallNumbers } from './syscall-numbers.ts';
export * from '../parse/parse-error.ts';
export * from './tracefs.ts';
export * from './btf.ts';
export * from './sock-diag-messages.ts';
export * from './sock-diag.ts';
export * from './process.ts';
export * from './namespaces.ts';
