// Summaries counted in the kernel (-c, -H): the key and value layouts the accept program writes
// into its per-CPU hash maps, one definition shared with the decoders below (as RECORD is for
// events), and the pure parts of reading them: summing the per-CPU slots, and diffing two reads
// so that each interval reports only its own connections.
//
// The maps are never cleared: deleting a key while a program on another CPU increments it would
// lose that increment. User space keeps the previous totals and subtracts, which is exact and
// costs per interval one BPF_MAP_GET_NEXT_KEY and one lookup per key, whatever the accept rate.
import { formatIpv6, type RecordField } from './record.ts';

/**
 * Key of the `counts` map (56 bytes): one entry per accepting thread, command name, listening
 * socket and local address:port.
 *
 *   0  u64 pid_tgid     bpf_get_current_pid_tgid(): tgid << 32 | tid
 *   8  u64 listener     the listening struct sock * that accept() was called on; 0 when unknown
 *  16  u8  laddr[16]    IPv4 in the first 4 bytes (the rest zero), or IPv6
 *  32  u16 lport        host byte order
 *  34  u16 family       AF_INET or AF_INET6
 *  36  u32 zero         padding, always 0 (hash keys compare every byte)
 *  40  char comm[16]    NUL-padded
 */
export const COUNT_KEY = {
  pidTgid: { offset: 0, size: 8 },
  listener: { offset: 8, size: 8 },
  localAddr: { offset: 16, size: 16 },
  localPort: { offset: 32, size: 2 },
  family: { offset: 34, size: 2 },
  zero: { offset: 36, size: 4 },
  comm: { offset: 40, size: 16 },
} as const satisfies Record<string, RecordField>;
export const COUNT_KEY_SIZE = 56;

/**
 * Value of the `counts` map, per CPU (24 bytes):
 *
 *   0  u64 count        connections accepted on this CPU
 *   8  u64 group        the listener's sk_reuseport_cb (struct sock_reuseport *), 0 if none
 *  16  u64 group_size   that group's num_socks when last seen
 */
export const COUNT_VALUE = {
  count: { offset: 0, size: 8 },
  group: { offset: 8, size: 8 },
  groupSize: { offset: 16, size: 8 },
} as const satisfies Record<string, RecordField>;
export const COUNT_VALUE_SIZE = 24;

/** Key of the `hist` map (8 bytes): u16 lport, u16 zero, u32 log2 slot. Value: a u64 count per CPU. */
export const HIST_KEY = {
  localPort: { offset: 0, size: 2 },
  zero: { offset: 2, size: 2 },
  slot: { offset: 4, size: 4 },
} as const satisfies Record<string, RecordField>;
export const HIST_KEY_SIZE = 8;

/** Entries of the summary maps. A full map refuses new keys; the program counts those as lost. */
export const COUNT_MAP_ENTRIES = 10240;
export const HIST_MAP_ENTRIES = 8192;

/**
 * The slot bcc's bpf_log2l() gives a value: floor(log2(v)) + 1, and 1 for 0. Slot s >= 1 holds
 * [2^(s-1), 2^s - 1]; print_log2_hist shows slot 1 as "0 -> 1". The program computes the same
 * with six shift-and-compare steps (see programs.ts); this is the reference the tests compare to.
 */
export function log2Slot(value: bigint | number): number {
  let v = BigInt(value);
  let slot = 0;
  for (const shift of [32n, 16n, 8n, 4n, 2n, 1n]) {
    if (v >> shift !== 0n) {
      slot += Number(shift);
      v >>= shift;
    }
  }
  return slot + 1;
}

/** The value range print_log2_hist prints for a slot (s >= 1). */
export function slotRange(slot: number): { low: number; high: number } {
  const high = 2 ** slot - 1;
  const low = 2 ** (slot - 1);
  return low === high ? { low: low - 1, high } : { low, high };
}

/** Sums the u64 per-CPU slots of one value at `offset` (each CPU's copy is `stride` bytes apart). */
export function sumPerCpu(values: Uint8Array, valueSize: number, offset = 0): bigint {
  const stride = (valueSize + 7) & ~7;
  const view = new DataView(values.buffer, values.byteOffset, values.byteLength);
  let sum = 0n;
  for (let at = offset; at + 8 <= values.byteLength; at += stride) sum += view.getBigUint64(at, true);
  return sum;
}

/** The largest of one u64 field over the per-CPU copies (for the group pointer and size). */
export function maxPerCpu(values: Uint8Array, valueSize: number, offset: number): bigint {
  const stride = (valueSize + 7) & ~7;
  const view = new DataView(values.buffer, values.byteOffset, values.byteLength);
  let max = 0n;
  for (let at = offset; at + 8 <= values.byteLength; at += stride) {
    const v = view.getBigUint64(at, true);
    if (v > max) max = v;
  }
  return max;
}

/** One entry of the counts map, decoded and summed over the CPUs. */
export interface CountEntry {
  pid: number;
  tid: number;
  comm: string;
  /** The listening socket (a kernel address, as an opaque id); 0n when not seen at sys_enter. */
  listener: bigint;
  ipVersion: 4 | 6;
  localAddr: string;
  localPort: number;
  /** The SO_REUSEPORT group (an opaque id), 0n when the listener is in none. */
  group: bigint;
  /** Sockets in that group when last seen. */
  groupSize: number;
  /** Connections since tracing started. */
  count: bigint;
}

const commDecoder = new TextDecoder('utf-8', { fatal: false });

function addressText(bytes: Uint8Array, family: number): { text: string; ipVersion: 4 | 6 } {
  const dotted = (at: number) => `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
  if (family !== 10) return { text: dotted(0), ipVersion: 4 };
  let mapped = bytes[10] === 0xff && bytes[11] === 0xff;
  for (let i = 0; mapped && i < 10; i++) mapped = bytes[i] === 0;
  return mapped ? { text: dotted(12), ipVersion: 4 } : { text: formatIpv6(bytes, 0), ipVersion: 6 };
}

/** Decodes a counts key and its per-CPU values. */
export function decodeCountEntry(key: Uint8Array, values: Uint8Array): CountEntry {
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
  const pidTgid = view.getBigUint64(COUNT_KEY.pidTgid.offset, true);
  const family = view.getUint16(COUNT_KEY.family.offset, true);
  const address = addressText(key.subarray(COUNT_KEY.localAddr.offset, COUNT_KEY.localAddr.offset + 16), family);
  const commBytes = key.subarray(COUNT_KEY.comm.offset, COUNT_KEY.comm.offset + COUNT_KEY.comm.size);
  const nul = commBytes.indexOf(0);
  return {
    pid: Number(pidTgid >> 32n),
    tid: Number(pidTgid & 0xffffffffn),
    comm: commDecoder.decode(nul < 0 ? commBytes : commBytes.subarray(0, nul)),
    listener: view.getBigUint64(COUNT_KEY.listener.offset, true),
    ipVersion: address.ipVersion,
    localAddr: address.text,
    localPort: view.getUint16(COUNT_KEY.localPort.offset, true),
    group: maxPerCpu(values, COUNT_VALUE_SIZE, COUNT_VALUE.group.offset),
    groupSize: Number(maxPerCpu(values, COUNT_VALUE_SIZE, COUNT_VALUE.groupSize.offset)),
    count: sumPerCpu(values, COUNT_VALUE_SIZE, COUNT_VALUE.count.offset),
  };
}

/** One log2 bucket of a port's histogram, summed over the CPUs. */
export interface HistEntry {
  localPort: number;
  slot: number;
  count: bigint;
}

export function decodeHistEntry(key: Uint8Array, values: Uint8Array): HistEntry {
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
  return {
    localPort: view.getUint16(HIST_KEY.localPort.offset, true),
    slot: view.getUint32(HIST_KEY.slot.offset, true),
    count: sumPerCpu(values, 8),
  };
}

/**
 * Turns cumulative totals into per-interval counts: `take` returns, for every key, how much its
 * total grew since the previous call (keys that did not grow are left out), and remembers the
 * new totals. A total that went down (a key deleted and recreated) counts from zero.
 */
export class IntervalDiff<T> {
  private previous = new Map<string, bigint>();

  take(entries: readonly T[], keyOf: (entry: T) => string, countOf: (entry: T) => bigint): Array<{ entry: T; delta: bigint }> {
    const next = new Map<string, bigint>();
    const grown: Array<{ entry: T; delta: bigint }> = [];
    for (const entry of entries) {
      const key = keyOf(entry);
      const total = countOf(entry) + (next.get(key) ?? 0n);
      next.set(key, total);
    }
    for (const entry of entries) {
      const key = keyOf(entry);
      const total = next.get(key);
      if (total === undefined) continue;
      next.delete(key);
      const before = this.previous.get(key) ?? 0n;
      const delta = total >= before ? total - before : total;
      this.previous.set(key, total);
      if (delta > 0n) grown.push({ entry, delta });
    }
    return grown;
  }
}
