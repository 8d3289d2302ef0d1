// The single path every kernel call takes: run the syscall, turn a failure into KernelError.
import type { FfiBackend, SyscallArg } from './ffi.ts';
import { KernelError, type KernelCallContext, type KernelErrorOptions } from './errors.ts';

/**
 * Runs syscall `nr` on `backend`; returns its non-negative result or throws KernelError.
 * `operation` may be a function so labels are only formatted on failure.
 */
export function checkedSyscall(
  backend: FfiBackend,
  operation: string | (() => string),
  context: KernelCallContext,
  nr: number,
  ...args: SyscallArg[]
): number {
  const result = backend.syscall(nr, ...args);
  if (result >= 0) return result;
  throw kernelError(operation, -result, { context });
}

/** A {@link KernelError} for `operation` (a string, or a function called only now that it failed). */
export function kernelError(operation: string | (() => string), errno: number, options: KernelErrorOptions): KernelError {
  return new KernelError(typeof operation === 'string' ? operation : operation(), errno, options);
}
