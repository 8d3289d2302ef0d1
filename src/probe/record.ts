// The event record: the one definition of the bytes the BPF programs write and the decoder
// reads, declared with defineRecord like any tool built on the library would declare its own.
// The programs take every store offset from RECORD (never a literal), and the decoder reads
// with the same table, so the two cannot drift apart.
//
// Layout (80 bytes, every field naturally aligned, so stores need no shifting):
//
//   0  u64 timestamp_ns     bpf_ktime_get_ns() (CLOCK_MONOTONIC) when the event was emitted
//   8  u64 queue_wait_ns    accept() time minus handshake completion; 0 when unknown
//  16  u32 pid              the accepting process (TGID); 0 in --handshake mode
//  20  u32 tid              the accepting thread; 0 in --handshake mode
//  24  u16 family           AF_INET (2) or AF_INET6 (10)
//  26  u16 local_port       host byte order
//  28  u16 remote_port      host byte order
//  30  u8  state            TCP state of the socket at accept (TCP_CLOSE = reset before accept)
//  31  u8  source           which program wrote it: 1 = accept syscall, 2 = handshake tracepoint,
//                           3 = a client the kernel dropped because the accept queue was full,
//                           4 = an io_uring accept completion
//  32  u8  local_addr[16]   IPv4 in the first 4 bytes, or IPv6
//  48  u8  remote_addr[16]
//  64  char comm[16]        task comm, NUL-padded; empty in --handshake mode
import { defineRecord, type RecordFieldLayout } from '../asm/record.ts';

export type RecordField = Pick<RecordFieldLayout, 'offset' | 'size'>;

/** The record's declaration; `AcceptRecord.decode` is the general decoder, decodeRecord the fast one. */
export const AcceptRecord = defineRecord({
  timestampNs: 'u64',
  queueWaitNs: 'u64',
  pid: 'u32',
  tid: 'u32',
  family: 'u16',
  localPort: 'u16',
  remotePort: 'u16',
  state: 'u8',
  source: 'u8',
  localAddr: 'u8[16]',
  remoteAddr: 'u8[16]',
  comm: 'char[16]',
});

/** Each field's offset and size: what the programs store at and the decoder reads from. */
export const RECORD = AcceptRecord.fields;

export const RECORD_SIZE = AcceptRecord.size;

export const AF_INET = 2;
export const AF_INET6 = 10;

/** Which program produced an event. */
export enum EventSource {
  AcceptSyscall = 1,
  Handshake = 2,
  /** skb:kfree_skb with reason TCP_LISTEN_OVERFLOW: a client's ACK dropped, the queue was full. */
  ListenDrop = 3,
  /** io_uring:io_uring_complete of an IORING_OP_ACCEPT: exact process, like the syscalls. */
  IoUring = 4,
}

/** TCP states as numbered by the kernel (include/net/tcp_states.h). */
export const TCP_STATE_NAMES: Readonly<Record<number, string>> = {
  1: 'ESTABLISHED',
  2: 'SYN_SENT',
  3: 'SYN_RECV',
  4: 'FIN_WAIT1',
  5: 'FIN_WAIT2',
  6: 'TIME_WAIT',
  7: 'CLOSE',
  8: 'CLOSE_WAIT',
  9: 'LAST_ACK',
  10: 'LISTEN',
  11: 'CLOSING',
  12: 'NEW_SYN_RECV',
};
export const TCP_ESTABLISHED = 1;
export const TCP_SYN_RECV = 3;
export const TCP_CLOSE = 7;
export const TCP_LISTEN = 10;

/** One accepted connection, decoded. */
export interface AcceptEvent {
  /** CLOCK_MONOTONIC nanoseconds (as process.hrtime.bigint()) when the kernel saw the accept. */
  timestampNs: bigint;
  /** Time the connection waited in the accept queue, or undefined when not measured. */
  queueWaitNs: bigint | undefined;
  /** Accepting process id (TGID); undefined when unknown (handshake mode before lookup). */
  pid: number | undefined;
  tid: number | undefined;
  comm: string | undefined;
  /** 4 or 6; IPv4-mapped IPv6 peers are reported as 4 with dotted addresses. */
  ipVersion: 4 | 6;
  family: number;
  localAddr: string;
  localPort: number;
  remoteAddr: string;
  remotePort: number;
  /** TCP state name at accept ('ESTABLISHED', or 'CLOSE' when reset before accept, …); 'LISTEN' for drops. */
  state: string;
  /**
   * Which program saw it: an accept syscall, an io_uring accept completion (`io_uring`), a handshake (--handshake mode), or a `drop`: a client
   * whose handshake-completing ACK the kernel dropped because the listener's accept queue was
   * full (local address and port are the listener's, PID/COMM its owner's, resolved in user space).
   */
  source: 'accept' | 'io_uring' | 'handshake' | 'drop';
}

function formatIpv4(bytes: Uint8Array, offset: number): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/** RFC 5952 text form: lower case, longest run of zero groups (≥ 2) collapsed to `::`. */
export function formatIpv6(bytes: Uint8Array, offset = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[offset + 2 * i]! << 8) | bytes[offset + 2 * i + 1]!);
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength && j - i >= 2) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** True for ::ffff:a.b.c.d. */
function isV4Mapped(bytes: Uint8Array, offset: number): boolean {
  for (let i = 0; i < 10; i++) if (bytes[offset + i] !== 0) return false;
  return bytes[offset + 10] === 0xff && bytes[offset + 11] === 0xff;
}

const commDecoder = new TextDecoder('utf-8', { fatal: false });

/**
 * The text of the last bytes seen in one record field. Consecutive events nearly always repeat
 * the local address, often the remote host and the server's name: comparing 16 bytes is much
 * cheaper than building the string again (decodeRecord went from ~700 to ~400 ns per event).
 */
class LastText {
  private readonly bytes: Uint8Array;
  private text: string | undefined;

  constructor(
    size: number,
    private readonly format: (bytes: Uint8Array) => string,
  ) {
    this.bytes = new Uint8Array(size);
  }

  /** The text of `record[offset .. offset + size)`; no allocation when it repeats. */
  of(record: Uint8Array, offset: number): string {
    const last = this.bytes;
    let same = this.text !== undefined;
    for (let i = 0; same && i < last.length; i++) same = last[i] === record[offset + i];
    if (!same) {
      const source = record.subarray(offset, offset + last.length);
      last.set(source);
      this.text = this.format(source);
    }
    return this.text!;
  }
}

const ADDRESS = RECORD.localAddr.size;
const ipv4Text = (b: Uint8Array) => formatIpv4(b, 0);
const lastLocal4 = new LastText(4, ipv4Text);
const lastRemote4 = new LastText(4, ipv4Text);
const lastLocal6 = new LastText(ADDRESS, addressText);
const lastRemote6 = new LastText(ADDRESS, addressText);
const lastComm = new LastText(RECORD.comm.size, (b) => {
  const nul = b.indexOf(0);
  return commDecoder.decode(nul < 0 ? b : b.subarray(0, nul));
});

/** An AF_INET6 address: dotted for ::ffff:a.b.c.d, RFC 5952 text otherwise. */
function addressText(bytes: Uint8Array): string {
  return isV4Mapped(bytes, 0) ? formatIpv4(bytes, 12) : formatIpv6(bytes, 0);
}

/**
 * The text decodeRecord gives an address field at `offset` of a record of this family: dotted
 * from the first 4 bytes unless AF_INET6, then dotted for ::ffff:a.b.c.d, RFC 5952 otherwise.
 */
export function recordAddressText(record: Uint8Array, offset: number, family: number): string {
  if (family !== AF_INET6) return formatIpv4(record, offset);
  return isV4Mapped(record, offset) ? formatIpv4(record, offset + 12) : formatIpv6(record, offset);
}

/** decodeRecord's ipVersion: 6 for AF_INET6 unless both ends are IPv4-mapped, 4 otherwise. */
export function recordIpVersion(record: Uint8Array): 4 | 6 {
  if (readU16(record, RECORD.family.offset) !== AF_INET6) return 4;
  return isV4Mapped(record, RECORD.remoteAddr.offset) && isV4Mapped(record, RECORD.localAddr.offset) ? 4 : 6;
}

// Records are views into one mmapped ring (or one scratch buffer): a DataView over that
// whole buffer is made once and reused, instead of one per record. With the cached texts
// above, a repeated connection allocates only the event and its timestamp.
let viewBuffer: ArrayBufferLike | undefined;
let bufferView: DataView | undefined;

function viewOf(bytes: Uint8Array): DataView {
  if (bytes.buffer !== viewBuffer) {
    viewBuffer = bytes.buffer;
    bufferView = new DataView(bytes.buffer);
  }
  return bufferView!;
}

/** True when the 8 bytes at `offset` are all zero (an unmeasured queue wait). */
function zero64(bytes: Uint8Array, offset: number): boolean {
  for (let i = 0; i < 8; i++) if (bytes[offset + i] !== 0) return false;
  return true;
}

/** The little-endian u16 at `offset` (records are written in the host's order: x86-64). */
export const readU16 = (bytes: Uint8Array, offset: number): number => bytes[offset]! | (bytes[offset + 1]! << 8);
/** The little-endian u32 at `offset`, as an unsigned number. */
export const readU32 = (bytes: Uint8Array, offset: number): number =>
  (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>> 0;

/** Decodes one record written by the programs in this room. */
export function decodeRecord(bytes: Uint8Array): AcceptEvent {
  if (bytes.byteLength < RECORD_SIZE) {
    throw new RangeError(`event record is ${bytes.byteLength} bytes, expected ${RECORD_SIZE}`);
  }
  const view = viewOf(bytes);
  const base = bytes.byteOffset;
  const family = readU16(bytes, RECORD.family.offset);
  const sourceCode = bytes[RECORD.source.offset];
  // Handshakes and drops happen in softirq context: their PID/COMM come from user space.
  const handshake = sourceCode === EventSource.Handshake || sourceCode === EventSource.ListenDrop;
  const local = RECORD.localAddr.offset;
  const remote = RECORD.remoteAddr.offset;
  let ipVersion: 4 | 6 = 4;
  let localAddr: string;
  let remoteAddr: string;
  if (family === AF_INET6) {
    // A dual-stack listener's IPv4 clients have ::ffff:a.b.c.d at both ends: IP 4, dotted.
    if (!(isV4Mapped(bytes, remote) && isV4Mapped(bytes, local))) ipVersion = 6;
    localAddr = lastLocal6.of(bytes, local);
    remoteAddr = lastRemote6.of(bytes, remote);
  } else {
    localAddr = lastLocal4.of(bytes, local);
    remoteAddr = lastRemote4.of(bytes, remote);
  }
  const state = bytes[RECORD.state.offset]!;
  return {
    timestampNs: view.getBigUint64(base + RECORD.timestampNs.offset, true),
    queueWaitNs: zero64(bytes, RECORD.queueWaitNs.offset) ? undefined : view.getBigUint64(base + RECORD.queueWaitNs.offset, true),
    pid: handshake ? undefined : readU32(bytes, RECORD.pid.offset),
    tid: handshake ? undefined : readU32(bytes, RECORD.tid.offset),
    comm: handshake ? undefined : lastComm.of(bytes, RECORD.comm.offset),
    ipVersion,
    family,
    localAddr,
    localPort: readU16(bytes, RECORD.localPort.offset),
    remoteAddr,
    remotePort: readU16(bytes, RECORD.remotePort.offset),
    state: TCP_STATE_NAMES[state] ?? `STATE_${state}`,
    source:
      sourceCode === EventSource.ListenDrop ? 'drop' : handshake ? 'handshake' : sourceCode === EventSource.IoUring ? 'io_uring' : 'accept',
  };
}
