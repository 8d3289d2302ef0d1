// Shared gate for tests that need the real kernel (bpf(2), perf_event_open, tracefs).
// Without privileges they skip with a reason, except when TS_TCPACCEPT_REQUIRE_BPF=1
// (set by .ci/run): there a skip would hide a broken kernel path, so it fails instead.
import { accessSync, constants } from 'node:fs';

export const bpfRequired = process.env.TS_TCPACCEPT_REQUIRE_BPF === '1';

/** Where the running kernel publishes its BTF (CONFIG_DEBUG_INFO_BTF). */
export const KERNEL_BTF = '/sys/kernel/btf/vmlinux';

/** Why the running kernel's BTF cannot be read here, or undefined when it can (no root needed). */
export function kernelBtfUnavailableReason(): string | undefined {
  try {
    accessSync(KERNEL_BTF, constants.R_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT'
      ? `${KERNEL_BTF} is missing (kernel built without CONFIG_DEBUG_INFO_BTF)`
      : `${KERNEL_BTF} is not readable (${code})`;
  }
}

/**
 * Why kernel tests cannot run here, or undefined when they can. `btf`: the test also reads the
 * kernel's BTF (planning the tcpaccept programs does).
 */
export function kernelUnavailableReason(options: { btf?: boolean } = {}): string | undefined {
  if (process.platform !== 'linux') return `platform is ${process.platform}, not linux`;
  if (typeof process.geteuid === 'function' && process.geteuid() !== 0) {
    return 'not running as root (bpf(2) and perf_event_open need CAP_BPF and CAP_PERFMON)';
  }
  return options.btf === true ? kernelBtfUnavailableReason() : undefined;
}

function gate(reason: string | undefined): { skip?: string } {
  if (reason === undefined) return {};
  if (bpfRequired) throw new Error(`TS_TCPACCEPT_REQUIRE_BPF=1 but kernel tests cannot run: ${reason}`);
  return { skip: reason };
}

/**
 * Options for `t.test(name, kernelTest(), fn)`: `{ skip: reason }` when the kernel is not
 * usable, `{}` when it is. With TS_TCPACCEPT_REQUIRE_BPF=1 an unusable kernel throws, so the
 * suite fails loudly instead of skipping. `{ btf: true }` also needs the kernel's BTF.
 */
export function kernelTest(options: { btf?: boolean } = {}): { skip?: string } {
  return gate(kernelUnavailableReason(options));
}

/** Options for a test that reads the running kernel's BTF only (any user may: no root needed). */
export function kernelBtfTest(): { skip?: string } {
  return gate(process.platform === 'linux' ? kernelBtfUnavailableReason() : `platform is ${process.platform}, not linux`);
}
