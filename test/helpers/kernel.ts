// Shared gate for tests that need the real kernel (bpf(2), perf_event_open, tracefs).
// Without privileges they skip with a reason, except when TS_TCPACCEPT_REQUIRE_BPF=1
// (set by .ci/run): there a skip would hide a broken kernel path, so it fails instead.
import { accessSync, constants } from 'node:fs';

export const bpfRequired = process.env.TS_TCPACCEPT_REQUIRE_BPF === '1';

/** Why kernel tests cannot run here, or undefined when they can. */
export function kernelUnavailableReason(): string | undefined {
  if (process.platform !== 'linux') return `platform is ${process.platform}, not linux`;
  if (typeof process.geteuid === 'function' && process.geteuid() !== 0) {
    return 'not running as root (bpf(2) and perf_event_open need CAP_BPF and CAP_PERFMON)';
  }
  try {
    accessSync('/sys/kernel/btf/vmlinux', constants.R_OK);
  } catch {
    // BTF is needed by the probe tests only; the rest can still run.
  }
  return undefined;
}

/**
 * Options for `t.test(name, kernelTest(), fn)`: `{ skip: reason }` when the kernel is not
 * usable, `{}` when it is. With TS_TCPACCEPT_REQUIRE_BPF=1 an unusable kernel throws, so the
 * suite fails loudly instead of skipping.
 */
export function kernelTest(): { skip?: string } {
  const reason = kernelUnavailableReason();
  if (reason === undefined) return {};
  if (bpfRequired) throw new Error(`TS_TCPACCEPT_REQUIRE_BPF=1 but kernel tests cannot run: ${reason}`);
  return { skip: reason };
}
