// A clear refusal before any kernel object is made, instead of an EPERM from deep inside.
import { readFileSync } from 'node:fs';

const CAP_SYS_ADMIN = 21;
const CAP_PERFMON = 38;
const CAP_BPF = 39;

/** Effective capabilities of this process, from /proc/self/status (CapEff, hex). */
export function effectiveCapabilities(status = readFileSync('/proc/self/status', 'utf8')): bigint {
  const match = /^CapEff:\s*([0-9a-fA-F]+)$/m.exec(status);
  return match ? BigInt(`0x${match[1]}`) : 0n;
}

/** Why this process cannot trace, or undefined when it can (root, or CAP_BPF + CAP_PERFMON). */
export function missingPrivilegesReason(capabilities: bigint = effectiveCapabilities()): string | undefined {
  const has = (cap: number) => (capabilities & (1n << BigInt(cap))) !== 0n;
  if (has(CAP_SYS_ADMIN) || (has(CAP_BPF) && has(CAP_PERFMON))) return undefined;
  // CAP_DAC_READ_SEARCH is checked where it is needed (tracefs is mode 0700 on most hosts): the
  // tracefs reader says so precisely if it is missing.
  return (
    'permission denied: tracing needs root, or the capabilities CAP_BPF and CAP_PERFMON ' +
    '(plus CAP_DAC_READ_SEARCH where tracefs is readable by root only), e.g. sudo ts-tcpaccept, ' +
    'or a dedicated service with AmbientCapabilities=CAP_BPF CAP_PERFMON CAP_DAC_READ_SEARCH (docs/fleet.md has a ' +
    'systemd unit; setcap on the node binary would hand those capabilities to every Node script on the machine)'
  );
}
