// The tcpaccept programs, written by hand in BPF assembly (the syntax of LLVM and of the
// verifier log, see src/asm/README.md). One comment per step says why it is there.
//
// Nothing here is a hard-coded kernel offset: tracepoint record offsets come from tracefs
// `format` files and kernel struct offsets from BTF, both read at start-up (layout.ts), and the
// event record offsets come from RECORD (record.ts), shared with the decoder.
import { copyToStack as copyBytes, fp, mapUpdateElem, parse, sizeName, type Program } from '../asm/index.ts';
import { BPF_RINGBUF_HDR_SZ } from '../perf/layout.ts';
import type { FormatField } from '../syscalls/index.ts';
import { AF_INET, AF_INET6, EventSource, RECORD, RECORD_SIZE, TCP_ESTABLISHED, TCP_LISTEN, TCP_SYN_RECV } from './record.ts';
import { COUNT_KEY, COUNT_KEY_SIZE, COUNT_VALUE, COUNT_VALUE_SIZE, HIST_KEY, HIST_KEY_SIZE } from './summary.ts';

/** Offsets of one kernel struct member, as BTF reports them. */
export interface MemberLayout {
  byteOffset: number;
  size: number;
  /** Set for bitfields: first bit (from the start of the struct) and width. */
  bitOffset?: number;
  bitSize?: number;
}

/** Everything the accept program needs to know about this kernel's structs. */
export interface SocketLayout {
  taskFiles: number;
  filesFdt: number;
  fdtableFd: number;
  filePrivateData: number;
  socketSk: number;
  /** struct sock members (sock_common sits at the start of struct sock). */
  skcDaddr: number;
  skcRcvSaddr: number;
  skcDport: number;
  skcFamily: number;
  skcState: number;
  skcV6Daddr: number;
  skcV6RcvSaddr: number;
  skProtocol: MemberLayout;
  inetSport: number;
}

/** What -c reads of the listening socket, from BTF. */
export interface ListenerLayout {
  /** sock.sk_reuseport_cb: the struct sock_reuseport * of the listener's SO_REUSEPORT group, or NULL. */
  skReuseportCb: number;
  /** sock_reuseport.num_socks (u16): listening sockets in that group. */
  reuseportNumSocks: number;
}

/**
 * The summaries the accept program counts in the kernel instead of emitting a record:
 * `count` (-c) per thread, listener and local address:port, with the layout it reads the
 * listener with; `hist` (-H) log2 buckets of the accept-queue wait per local port.
 */
export interface SummaryOutput {
  count?: ListenerLayout | undefined;
  hist?: boolean | undefined;
}

/** Offsets of the fields we read from sock:inet_sock_set_state records. */
export interface SetStateLayout {
  skaddr: FormatField;
  oldstate: FormatField;
  newstate: FormatField;
  protocol: FormatField;
  family: FormatField;
  sport: FormatField;
  dport: FormatField;
  saddr: FormatField;
  daddr: FormatField;
  saddrV6: FormatField;
  daddrV6: FormatField;
}

/** What the listen-drop program reads: skb:kfree_skb fields, and struct offsets from BTF. */
export interface ListenDropLayout {
  skbaddr: FormatField;
  rxSk: FormatField;
  reason: FormatField;
  /** enum skb_drop_reason's SKB_DROP_REASON_TCP_LISTEN_OVERFLOW on this kernel. */
  listenOverflowReason: number;
  /** sk_buff members: the buffer start and the two header offsets from it. */
  skbHead: number;
  skbNetworkHeader: number;
  skbTransportHeader: number;
  /** sock_common.skc_num of the listener: its local port, host byte order. */
  skcNum: number;
  /** Offsets in the packet's headers: source (the client) and destination addresses, TCP source port. */
  iphdrSaddr: number;
  iphdrDaddr: number;
  ipv6hdrSaddr: number;
  ipv6hdrDaddr: number;
  tcphdrSource: number;
}

/** Filters compiled into the programs (validated numbers only; no text from the user). */
export interface ProgramFilters {
  pid?: number | undefined;
  /** When set, the program looks the local port up in the `ports` hash map. */
  portFilter?: boolean;
  ipVersion?: 4 | 6 | undefined;
  /** Look the handshake time up in the `handshakes` map to report the accept-queue wait. */
  queueWait?: boolean;
  /** Only tasks in this cgroup v2 (its id: the directory's inode number). Accept program only. */
  cgroupId?: bigint | undefined;
  /** --cgroup: only tasks in this cgroup v2 or below it (see CgroupSubtreeFilter). Accept program only. */
  cgroupSubtree?: CgroupSubtreeFilter | undefined;
  /** --netns: only sockets of this network namespace (accept, handshake report and drop programs). */
  netns?: NetnsFilter | undefined;
}

/**
 * --netns: the namespace inode to keep (stat(2) st_ino of /proc/PID/ns/net, as `ls -L -i`
 * shows it) and the BTF offsets that lead from a socket to it: sk->__sk_common.skc_net.net is
 * the struct net *, and net->ns.inum that namespace's inode number.
 */
export interface NetnsFilter {
  inum: number;
  /** sock.__sk_common.skc_net.net (possible_net_t.net: a struct net *). */
  skcNet: number;
  /** net.ns.inum (u32). */
  nsInum: number;
}

/**
 * The netns check, with the struct net * of the socket in r3: reads net->ns.inum into the
 * 8-byte stack slot `slot` and leaves for `out` unless it is the namespace asked for. The
 * comparison is on 32 bits (w1): inode numbers pass 2^31, and a 64-bit compare would
 * sign-extend the immediate.
 */
function netnsCheck(netns: NetnsFilter, slot: number): string {
  if (!Number.isInteger(netns.inum) || netns.inum <= 0 || netns.inum > 0xffffffff)
    throw new RangeError(`netns inode ${netns.inum} is not a u32`);
  return `r3 += ${netns.nsInum}                              // &net->ns.inum
r1 = r10
r1 += ${slot}
r2 = 4
call bpf_probe_read_kernel                    // net->ns.inum: the namespace's inode (0 if unreadable)
r1 = *(u32 *)(${fp(slot)})
if w1 != ${netns.inum} goto out                // --netns net:[${netns.inum}] (a u32, listed signed): a socket of another namespace`;
}

/** The netns check from a struct sock * in r3 (the tracepoint's skaddr or rx_sk). */
function netnsFilterOfSock(netns: NetnsFilter, slot: number): string {
  return `// --netns: this socket's network namespace, sk->__sk_common.skc_net.net->ns.inum (BTF offsets).
r3 += ${netns.skcNet}                              // &sk->__sk_common.skc_net.net
r1 = r10
r1 += ${slot}
r2 = 8
call bpf_probe_read_kernel                    // the socket's struct net *
r3 = *(u64 *)(${fp(slot)})
${netnsCheck(netns, slot)}`;
}

/** The largest cgroup id a 64-bit immediate can carry. */
const U64_MAX = (1n << 64n) - 1n;

export const IPPROTO_TCP = 6;
/** bpf_perf_event_output flags: write to the ring of the CPU we run on. */
const BPF_F_CURRENT_CPU = 0xffffffff;
const BPF_ANY = 0;
const POINTER_SIZE = 8;

/** Maps the programs use, by the names they are referenced with (`map[events]`). */
export const MAP_NAMES = {
  events: 'events',
  handshakes: 'handshakes',
  ports: 'ports',
  lost: 'lost',
  counts: 'counts',
  hist: 'hist',
  listenfds: 'listenfds',
  cgroups: 'cgroups',
  ioaccepts: 'ioaccepts',
} as const;

/**
 * How records leave the kernel.
 * - `ringbuf` (Linux >= 5.8, the default): one BPF ring buffer shared by all CPUs. Records go in
 *   without a wake-up (BPF_RB_NO_WAKEUP) except for the one output that makes the unread data
 *   cross `wakeupBytes`; the reader's timer collects the rest. A full ring makes the output fail,
 *   and the program counts that in the per-CPU `lost` array. Measured (bench/README.md): 654 ns
 *   per accepted connection against 921 ns with perf output.
 * - `perf`: a perf event array, one ring per CPU; the kernel counts lost records itself and the
 *   watermark wake-up is set on the perf events, not here.
 */
export type EventOutput = { kind: 'perf' } | { kind: 'ringbuf'; wakeupBytes: number };

/**
 * Where a program's record goes: an EventOutput, or what bench/variants.ts measures besides.
 * `none` builds the record and sends it nowhere (the cost of all but the output); a ring
 * buffer's `wakeup` picks the flags: `crossing` (the default, as EventOutput), `adaptive` (flags
 * 0: the kernel wakes the reader when it has caught up), `never` (BPF_RB_NO_WAKEUP always: the
 * reader's timer only), `fromMark` (BPF_RB_FORCE_WAKEUP on every output once `wakeupBytes` are
 * unread).
 */
export type RecordSink =
  EventOutput | { kind: 'none' } | { kind: 'ringbuf'; wakeupBytes: number; wakeup: 'crossing' | 'adaptive' | 'never' | 'fromMark' };

/** A ring buffer record: its header (BPF_RINGBUF_HDR_SZ), then the payload rounded up to 8 bytes. */
export const RINGBUF_RECORD_BYTES = BPF_RINGBUF_HDR_SZ + ((RECORD_SIZE + 7) & ~7);

const BPF_RB_NO_WAKEUP = 1;
const BPF_RB_FORCE_WAKEUP = 2;
const BPF_RB_AVAIL_DATA = 0;

/** Stores zero over [offset, offset + length) of the stack, 8 bytes at a time where aligned. */
function zeroStack(offset: number, length: number, what: string): string {
  const lines: string[] = [];
  let done = 0;
  while (done < length) {
    let size = 8;
    while (size > 1 && (size > length - done || (offset + done) % size !== 0)) size /= 2;
    lines.push(`*(${sizeName(size)} *)(${fp(offset + done)}) = 0    // ${what}`);
    done += size;
  }
  return lines.join('\n');
}

/**
 * Sends the record at [REC, REC+80) to user space; ctx is in r6. `scratch` is an 8-byte stack
 * slot free for the lost counter's map key. Falls through to `out`.
 */
function emitRecord(output: RecordSink, scratch: number): string {
  if (output.kind === 'none') return '';
  if (output.kind === 'perf') {
    return `r1 = r6                                       // ctx
r2 = map[${MAP_NAMES.events}] ll
r3 = ${BPF_F_CURRENT_CPU} ll                   // BPF_F_CURRENT_CPU: this CPU's ring
r4 = r10
r4 += ${REC}
r5 = ${RECORD_SIZE}
call bpf_perf_event_output`;
  }
  const wake = output.wakeupBytes;
  const policy = 'wakeup' in output ? output.wakeup : 'crossing';
  const query = `r1 = map[${MAP_NAMES.events}] ll
r2 = ${BPF_RB_AVAIL_DATA}                                        // BPF_RB_AVAIL_DATA: bytes user space has not read yet
call bpf_ringbuf_query`;
  const flags = {
    crossing: `${query}
r4 = ${BPF_RB_NO_WAKEUP}                                        // BPF_RB_NO_WAKEUP: the reader's timer will collect it
if r0 < ${wake - RINGBUF_RECORD_BYTES} goto wakeup_chosen
if r0 >= ${wake} goto wakeup_chosen             // past the mark, the reader was woken already
r4 = ${BPF_RB_FORCE_WAKEUP}                                        // BPF_RB_FORCE_WAKEUP: this record crosses the mark
wakeup_chosen:`,
    fromMark: `${query}
r4 = ${BPF_RB_NO_WAKEUP}                                        // BPF_RB_NO_WAKEUP below the mark
if r0 < ${wake} goto wakeup_chosen
r4 = ${BPF_RB_FORCE_WAKEUP}                                        // BPF_RB_FORCE_WAKEUP from the mark on
wakeup_chosen:`,
    adaptive: 'r4 = 0                                        // flags 0: the kernel wakes the reader when it has caught up',
    never: `r4 = ${BPF_RB_NO_WAKEUP}                                        // BPF_RB_NO_WAKEUP: the reader's timer only`,
  }[policy];
  return `${flags}
r1 = map[${MAP_NAMES.events}] ll
r2 = r10
r2 += ${REC}
r3 = ${RECORD_SIZE}
call bpf_ringbuf_output
if r0 == 0 goto out                           // delivered
*(u32 *)(${fp(scratch)}) = 0                  // the ring is full: count the loss (key 0)
r1 = map[${MAP_NAMES.lost}] ll
r2 = r10
r2 += ${scratch}
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = *(u64 *)(r0 + 0)                         // per-CPU slot: no other CPU writes it, no atomics needed
r1 += 1
*(u64 *)(r0 + 0) = r1`;
}

// ---------------------------------------------------------------------------------------------
// Stack frame of the accept program (the verifier allows 512 bytes below r10):
//   [REC, REC+80)           the event record, sent with bpf_ringbuf_output (or perf output)
//   [SKC, SKC+skcLength)    a copy of the socket's sock_common: one probe read for every field
//   SCRATCH                 8 bytes: each pointer of the fd walk lands here
//   KEY                     8 bytes: map keys (the sock pointer, the local port)
// ---------------------------------------------------------------------------------------------
const REC = -RECORD_SIZE;
const rec = (field: keyof typeof RECORD) => REC + RECORD[field].offset;

/** The part of struct sock copied in one probe read: from the first field we need to the last. */
function sockCommonWindow(layout: SocketLayout, netns?: NetnsFilter): { start: number; length: number } {
  const fields: Array<[number, number]> = [
    [layout.skcDaddr, 4],
    [layout.skcRcvSaddr, 4],
    [layout.skcDport, 2],
    [layout.skcFamily, 2],
    [layout.skcState, 1],
    [layout.skcV6Daddr, 16],
    [layout.skcV6RcvSaddr, 16],
  ];
  // --netns: skc_net sits inside sock_common too, so the same read brings it.
  if (netns !== undefined) fields.push([netns.skcNet, POINTER_SIZE]);
  const start = Math.min(...fields.map(([offset]) => offset)) & ~7;
  const end = Math.max(...fields.map(([offset, size]) => offset + size));
  return { start, length: (end - start + 7) & ~7 };
}

/**
 * The family filter, on the family in r7 and an IPv6 remote address on the stack at
 * `v6Remote`. IPv4-mapped IPv6 peers (::ffff:a.b.c.d, a dual-stack listener's IPv4 clients)
 * count as IPv4, as the output prints them.
 */
function familyFilter(ipVersion: 4 | 6 | undefined, v6Remote: number): string {
  if (ipVersion === undefined) {
    return `
if r7 == ${AF_INET} goto family_ok           // IPv4
if r7 != ${AF_INET6} goto out                 // neither IPv4 nor IPv6 (AF_UNIX accepts come here too)
family_ok:`;
  }
  // ::ffff:0:0/96 read as three little-endian u32 words: 0, 0, 0xffff0000.
  const notMapped = ipVersion === 4 ? 'out' : 'family_ok';
  return `
if r7 == ${AF_INET} goto ${ipVersion === 4 ? 'family_ok' : 'out'}    // plain IPv4
if r7 != ${AF_INET6} goto out                 // neither IPv4 nor IPv6: not ours
r1 = *(u32 *)(${fp(v6Remote)})                // IPv6: is the peer ::ffff:a.b.c.d?
if w1 != 0 goto ${notMapped}
r1 = *(u32 *)(${fp(v6Remote + 4)})
if w1 != 0 goto ${notMapped}
r1 = *(u32 *)(${fp(v6Remote + 8)})
if w1 != 0xffff0000 goto ${notMapped}
${ipVersion === 4 ? '' : "goto out                                      // IPv4-mapped: that is -4's\n"}family_ok:`;
}

/**
 * How --cgroup matches a cgroup and everything below it, in the kernel:
 * - `under`: bpf_current_task_under_cgroup with the directory's fd in the `cgroups`
 *   CGROUP_ARRAY map: the kernel walks the task's cgroup up to the one held (cgroup_is_descendant).
 *   It needs no level, so it holds in a cgroup namespace and under a bind-mounted hierarchy.
 * - `ancestor`: bpf_get_current_ancestor_cgroup_id(level) against the directory's id, where
 *   `level` is the directory's depth below the v2 root (the root is 0).
 * Both cost about the same per connection (docs/how-it-works.md has the measurement).
 */
export type CgroupSubtreeFilter = { method: 'under' } | { method: 'ancestor'; id: bigint; level: number };

/**
 * The cgroup checks on the accepting task, before the fd walk, so other cgroups cost little.
 * --cgroup-exact: its cgroup v2 id against the one asked for (a task in a child cgroup has the
 * child's id). --cgroup: it or any descendant (CgroupSubtreeFilter).
 */
function cgroupFilter(filters: ProgramFilters): string {
  const lines: string[] = [];
  const { cgroupId, cgroupSubtree } = filters;
  if (cgroupId !== undefined) {
    if (cgroupId < 0n || cgroupId > U64_MAX) throw new RangeError(`cgroup id ${cgroupId} is not a u64`);
    lines.push(`call bpf_get_current_cgroup_id                 // r0 = id of the accepting task's cgroup (v2 hierarchy)
r1 = ${cgroupId} ll                            // --cgroup-exact: the directory's inode number, a u64
if r0 != r1 goto out                          // a task of another cgroup`);
  }
  if (cgroupSubtree?.method === 'under') {
    lines.push(`r1 = map[${MAP_NAMES.cgroups}] ll             // --cgroup: a CGROUP_ARRAY holding the directory's fd at index 0
r2 = 0
call bpf_current_task_under_cgroup             // r0 = 1 when the accepting task is in that cgroup or below it
if r0 != 1 goto out                           // 0: another cgroup; negative: the slot is empty`);
  } else if (cgroupSubtree?.method === 'ancestor') {
    if (cgroupSubtree.id < 0n || cgroupSubtree.id > U64_MAX) throw new RangeError(`cgroup id ${cgroupSubtree.id} is not a u64`);
    if (!Number.isInteger(cgroupSubtree.level) || cgroupSubtree.level < 0) throw new RangeError(`cgroup level ${cgroupSubtree.level}`);
    lines.push(`r1 = ${cgroupSubtree.level}                                        // --cgroup: the directory's depth below the v2 root
call bpf_get_current_ancestor_cgroup_id        // r0 = id of the task's cgroup's ancestor at that depth (0 if it is shallower)
r1 = ${cgroupSubtree.id} ll                            // --cgroup: the directory's inode number, a u64
if r0 != r1 goto out                          // a task outside that subtree`);
  }
  return lines.join('\n');
}

/**
 * Program on syscalls:sys_exit_accept4 and syscalls:sys_exit_accept. It runs in the accepting
 * task, so the PID, TID and COMM it records are the server's, and since it needs nothing from
 * sys_enter, an accept() that was already blocked when tracing started is reported too.
 */
export function acceptProgramText(
  ret: FormatField,
  layout: SocketLayout,
  filters: ProgramFilters,
  output: RecordSink = { kind: 'perf' },
  summary?: SummaryOutput,
): string {
  return acceptedSocketProgramText(
    {
      toFile: (frame) => `
// syscalls:sys_exit_accept4 / sys_exit_accept — runs in the task that called accept().
r6 = r1                                       // r6 = tracepoint record; survives helper calls
r7 = *(u64 *)(r6 + ${ret.offset})              // r7 = accept's return value: the new fd, or -errno
if r7 s< 0 goto out                           // the accept failed: nothing was accepted
${taskFilters(filters)}
${frame.fdToFile(summary?.count !== undefined)}`,
      source: EventSource.AcceptSyscall,
    },
    layout,
    filters,
    output,
    summary,
  );
}

/**
 * The stack slots an accepted-socket program's head may use (see AcceptHead), and the fd walk
 * both heads share.
 */
export interface AcceptFrame {
  /** 8 bytes: where each pointer of a walk lands. */
  scratch: number;
  /** 8 bytes: map keys. */
  key: number;
  /** One probe read of the pointer at r3 + offset into r3 (0 if unreadable). */
  readPointer(offset: number, what: string): string;
  /**
   * current->files->fdt->fd[r7] into r3: the struct file of the fd in r7. With `keepFds`, the
   * fd array is also kept for -c's listening fd.
   */
  fdToFile(keepFds: boolean): string;
}

/**
 * What differs between the programs that report an accepted socket (the accept syscalls',
 * io_uring's): how they get from their tracepoint to the socket's struct file, which source
 * they mark the record with, and whose command name they record.
 */
export interface AcceptHead {
  /**
   * The program's first lines, ending with r3 = the accepted socket's struct file. On the way
   * they must set r6 = the tracepoint record (ctx), r8 = bpf_get_current_pid_tgid(), and apply
   * taskFilters; `goto out` leaves.
   */
  toFile(frame: AcceptFrame): string;
  source: EventSource;
  /** Lines that fill the record's comm at `commOffset` (r10-relative); default bpf_get_current_comm. */
  comm?: (commOffset: number, frame: AcceptFrame) => string;
}

/** -p and --cgroup on the current task, with r8 = bpf_get_current_pid_tgid() on the way. */
export function taskFilters(filters: ProgramFilters): string {
  return `call bpf_get_current_pid_tgid
r8 = r0                                       // r8 = tgid << 32 | tid of the accepting task
${
  filters.pid === undefined
    ? ''
    : `r1 = r8
r1 >>= 32                                     // r1 = tgid: what users call the PID
if r1 != ${filters.pid} goto out               // -p: another process`
}
${cgroupFilter(filters)}`;
}

/**
 * An accepted-socket program: the head's way to the struct file, then the same walk to the
 * socket, the same filters and the same record (or -c/-H summary) for every head.
 */
export function acceptedSocketProgramText(
  head: AcceptHead,
  layout: SocketLayout,
  filters: ProgramFilters,
  output: RecordSink = { kind: 'perf' },
  summary?: SummaryOutput,
): string {
  const skc = sockCommonWindow(layout, filters.netns);
  const SKC = REC - skc.length;
  const SCRATCH = SKC - 8;
  const KEY = SCRATCH - 8;
  // -c and -H only: the fd array, the counts key and value, the hist key and value.
  const FDS = KEY - 8;
  const CK = FDS - COUNT_KEY_SIZE;
  const CV = CK - COUNT_VALUE_SIZE;
  const HK = CV - HIST_KEY_SIZE;
  const HV = HK - 8;
  const skcField = (offset: number) => fp(SKC + offset - skc.start);
  const readPointer = (offset: number, what: string) => `
r3 += ${offset}                               // &${what}
r1 = r10
r1 += ${SCRATCH}
r2 = ${POINTER_SIZE}
call bpf_probe_read_kernel                    // ${what} (left 0 if unreadable: the walk then ends at the family check)
r3 = *(u64 *)(${fp(SCRATCH)})`;
  const frame: AcceptFrame = {
    scratch: SCRATCH,
    key: KEY,
    readPointer,
    fdToFile: (keepFds) => `// Walk current->files->fdt->fd[ret]->private_data->sk to the accepted socket.
call bpf_get_current_task
r3 = r0                                       // r3 = current (struct task_struct *)
${readPointer(layout.taskFiles, 'current->files')}
${readPointer(layout.filesFdt, 'files->fdt')}
${readPointer(layout.fdtableFd, 'fdt->fd: the array of open files')}
${keepFds ? `*(u64 *)(${fp(FDS)}) = r3                  // -c: keep the array, for the listening fd's file` : ''}
r7 <<= 3                                      // the fd indexes an array of 8-byte pointers
r3 += r7                                      // &fdt->fd[ret]
r1 = r10
r1 += ${SCRATCH}
r2 = ${POINTER_SIZE}
call bpf_probe_read_kernel                    // fd[ret]: the struct file
r3 = *(u64 *)(${fp(SCRATCH)})`,
  };
  const protocol = layout.skProtocol;
  const protocolLoad =
    protocol.bitSize === undefined
      ? `r1 = *(${sizeName(protocol.size)} *)(${fp(KEY)})             // sk->sk_protocol`
      : `r1 = *(u64 *)(${fp(KEY)})                    // the bytes holding the sk_protocol bitfield
r1 >>= ${protocol.bitOffset! - protocol.byteOffset * 8}
r1 &= ${(1 << protocol.bitSize) - 1}                               // sk->sk_protocol`;
  const protocolReadSize = protocol.bitSize === undefined ? protocol.size : 8;

  const ck = (field: keyof typeof COUNT_KEY) => CK + COUNT_KEY[field].offset;
  const cv = (field: keyof typeof COUNT_VALUE) => CV + COUNT_VALUE[field].offset;
  const hk = (field: keyof typeof HIST_KEY) => HK + HIST_KEY[field].offset;
  // A summary map refused a new key (it is full): count it where ring losses are counted.
  const countLost = (done: string) => `*(u32 *)(${fp(KEY)}) = 0                      // the map is full: count the loss (key 0 of lost)
r1 = map[${MAP_NAMES.lost}] ll
r2 = r10
r2 += ${KEY}
call bpf_map_lookup_elem
if r0 == 0 goto ${done}
r1 = *(u64 *)(r0 + 0)                         // per-CPU slot: no other CPU writes it, no atomics needed
r1 += 1
*(u64 *)(r0 + 0) = r1`;
  const countBlock = (listener: ListenerLayout) => `
// -c: count this accept in the kernel; no record leaves. First, which listener: the fd this
// thread passed to accept(), which the sys_enter program remembered by pid_tgid.
*(u64 *)(${fp(ck('listener'))}) = 0           // listener unknown until found
*(u64 *)(${fp(cv('group'))}) = 0              // no SO_REUSEPORT group until found
*(u64 *)(${fp(cv('groupSize'))}) = 0
*(u64 *)(${fp(KEY)}) = r8                       // key: pid_tgid, as the sys_enter program stored it
r1 = map[${MAP_NAMES.listenfds}] ll
r2 = r10
r2 += ${KEY}
call bpf_map_lookup_elem
if r0 == 0 goto listener_done                 // accept() was entered before tracing started
r3 = *(u32 *)(r0 + 0)                         // r3 = the listening fd
r3 <<= 3                                      // an index into the array of 8-byte pointers
r1 = *(u64 *)(${fp(FDS)})
r3 += r1                                      // &fdt->fd[listening fd]
r1 = r10
r1 += ${SCRATCH}
r2 = ${POINTER_SIZE}
call bpf_probe_read_kernel                    // the listening struct file
r3 = *(u64 *)(${fp(SCRATCH)})
${readPointer(layout.filePrivateData, 'file->private_data: the listening struct socket')}
${readPointer(layout.socketSk, 'socket->sk: the listening struct sock')}
*(u64 *)(${fp(ck('listener'))}) = r3           // the listener, an opaque id for user space
if r3 == 0 goto listener_done
r3 += ${listener.skReuseportCb}
r1 = r10
r1 += ${cv('group')}
r2 = ${POINTER_SIZE}
call bpf_probe_read_kernel                    // sk->sk_reuseport_cb: its SO_REUSEPORT group, NULL when none
r3 = *(u64 *)(${fp(cv('group'))})
if r3 == 0 goto listener_done
r3 += ${listener.reuseportNumSocks}
r1 = r10
r1 += ${cv('groupSize')}
r2 = 2
call bpf_probe_read_kernel                    // reuse->num_socks (u16; the slot's upper bytes stay 0)
listener_done:
// The key: thread, listener, local address and port, family, command name.
*(u64 *)(${fp(ck('pidTgid'))}) = r8
r7 = *(u16 *)(${skcField(layout.skcFamily)})  // r7 = sk->sk_family
*(u16 *)(${fp(ck('family'))}) = r7
r1 = *(u16 *)(${fp(rec('localPort'))})          // the local port, host order, read above
*(u16 *)(${fp(ck('localPort'))}) = r1
*(u32 *)(${fp(ck('zero'))}) = 0                 // padding: hash keys compare every byte
if r7 == ${AF_INET6} goto count_ipv6
${zeroStack(ck('localAddr'), 16, 'IPv4 uses 4 of the 16 address bytes')}
r1 = *(u32 *)(${skcField(layout.skcRcvSaddr)})
*(u32 *)(${fp(ck('localAddr'))}) = r1           // local IPv4 address
goto count_comm
count_ipv6:
${copyBytes('r10', SKC + layout.skcV6RcvSaddr - skc.start, ck('localAddr'), 16, 'local IPv6 address')}
count_comm:
r1 = r10
r1 += ${ck('comm')}
r2 = ${COUNT_KEY.comm.size}
call bpf_get_current_comm                     // the server's command name, NUL-padded
r1 = map[${MAP_NAMES.counts}] ll
r2 = r10
r2 += ${CK}
call bpf_map_lookup_elem
if r0 == 0 goto count_new                     // this thread's first accept on this listener
r1 = *(u64 *)(r0 + ${COUNT_VALUE.count.offset})
r1 += 1                                       // per-CPU value: only this CPU writes it, no atomics
*(u64 *)(r0 + ${COUNT_VALUE.count.offset}) = r1
r1 = *(u64 *)(${fp(cv('group'))})
*(u64 *)(r0 + ${COUNT_VALUE.group.offset}) = r1                // the group as last seen
r1 = *(u64 *)(${fp(cv('groupSize'))})
*(u64 *)(r0 + ${COUNT_VALUE.groupSize.offset}) = r1            // and its size (sockets join and leave)
goto count_done
count_new:
*(u64 *)(${fp(cv('count'))}) = 1
${mapUpdateElem(MAP_NAMES.counts, CK, CV, BPF_ANY, "exact: it sets this CPU's copy only, others stay")}
if r0 == 0 goto count_done
${countLost('count_done')}
count_done:`;
  const log2Step = (shift: number) => `r3 = r1
r3 >>= ${shift}
if r3 == 0 goto log2_${shift}                 // nothing at or above bit ${shift}
r2 += ${shift}
r1 = r3
log2_${shift}:`;
  const histBlock = () => `
// -H: the accept-queue wait, in microseconds, into its log2 bucket for this local port.
call bpf_ktime_get_ns
r7 = r0                                       // r7 = now
*(u64 *)(${fp(KEY)}) = r9                       // key: the sock pointer, as the handshake program stored it
r1 = map[${MAP_NAMES.handshakes}] ll
r2 = r10
r2 += ${KEY}
call bpf_map_lookup_elem
if r0 == 0 goto hist_done                     // handshake before tracing started, or evicted: no wait known
r1 = *(u64 *)(r0 + 0)                         // r1 = when the handshake completed
r7 -= r1                                      // r7 = nanoseconds in the accept queue
r1 = map[${MAP_NAMES.handshakes}] ll
r2 = r10
r2 += ${KEY}
call bpf_map_delete_elem                      // accepted: the entry has served
r7 /= 1000                                    // microseconds, bcc's usecs
// slot = floor(log2(us)) + 1, as bcc's bpf_log2l: binary search for the highest set bit.
r1 = r7
r2 = 0
${[32, 16, 8, 4, 2, 1].map(log2Step).join('\n')}
r2 += 1                                       // 0 and 1 us both land in slot 1 ("0 -> 1")
*(u32 *)(${fp(hk('slot'))}) = r2
r1 = *(u16 *)(${fp(rec('localPort'))})          // the local port, host order
*(u16 *)(${fp(hk('localPort'))}) = r1
*(u16 *)(${fp(hk('zero'))}) = 0                 // padding: hash keys compare every byte
r1 = map[${MAP_NAMES.hist}] ll
r2 = r10
r2 += ${HK}
call bpf_map_lookup_elem
if r0 == 0 goto hist_new                      // first wait of this size on this port
r1 = *(u64 *)(r0 + 0)
r1 += 1                                       // per-CPU value: only this CPU writes it
*(u64 *)(r0 + 0) = r1
goto hist_done
hist_new:
*(u64 *)(${fp(HV)}) = 1
${mapUpdateElem(MAP_NAMES.hist, HK, HV, BPF_ANY, "exact: it sets this CPU's copy only")}
if r0 == 0 goto hist_done
${countLost('hist_done')}
hist_done:`;
  const fillRecord = () => `// It is ours: fill in the record.
call bpf_ktime_get_ns
*(u64 *)(${fp(rec('timestampNs'))}) = r0       // CLOCK_MONOTONIC, as process.hrtime reads it
${
  filters.queueWait
    ? `r7 = r0                                       // r7 = now, for the queue wait
*(u64 *)(${fp(rec('queueWaitNs'))}) = 0        // unknown unless the handshake was seen
*(u64 *)(${fp(KEY)}) = r9                       // key: the sock pointer, as the handshake program stored it
r1 = map[${MAP_NAMES.handshakes}] ll
r2 = r10
r2 += ${KEY}
call bpf_map_lookup_elem
if r0 == 0 goto no_handshake                  // handshake before tracing started, or evicted
r1 = *(u64 *)(r0 + 0)                         // r1 = when the handshake completed
r7 -= r1
*(u64 *)(${fp(rec('queueWaitNs'))}) = r7       // time spent in the accept queue
r1 = map[${MAP_NAMES.handshakes}] ll
r2 = r10
r2 += ${KEY}
call bpf_map_delete_elem                      // accepted: the entry has served
no_handshake:`
    : `*(u64 *)(${fp(rec('queueWaitNs'))}) = 0        // queue wait not measured (no -q)`
}
*(u32 *)(${fp(rec('tid'))}) = r8                 // low half of pid_tgid: the thread
r8 >>= 32
*(u32 *)(${fp(rec('pid'))}) = r8                 // high half: the process (TGID)
r7 = *(u16 *)(${skcField(layout.skcFamily)})
*(u16 *)(${fp(rec('family'))}) = r7
r1 = *(u16 *)(${skcField(layout.skcDport)})
r1 = be16 r1                                  // remote port, network to host byte order
*(u16 *)(${fp(rec('remotePort'))}) = r1
r1 = *(u8 *)(${skcField(layout.skcState)})
*(u8 *)(${fp(rec('state'))}) = r1               // TCP_CLOSE here means reset before accept()
*(u8 *)(${fp(rec('source'))}) = ${head.source}
if r7 == ${AF_INET6} goto ipv6
${zeroStack(rec('localAddr'), 32, 'IPv4 uses 4 of the 16 address bytes: clear both')}
r1 = *(u32 *)(${skcField(layout.skcRcvSaddr)})
*(u32 *)(${fp(rec('localAddr'))}) = r1          // local IPv4 address
r1 = *(u32 *)(${skcField(layout.skcDaddr)})
*(u32 *)(${fp(rec('remoteAddr'))}) = r1         // remote IPv4 address
goto comm
ipv6:
${copyBytes('r10', SKC + layout.skcV6RcvSaddr - skc.start, rec('localAddr'), 16, 'local IPv6 address')}
${copyBytes('r10', SKC + layout.skcV6Daddr - skc.start, rec('remoteAddr'), 16, 'remote IPv6 address')}
comm:
${
  head.comm === undefined
    ? `r1 = r10
r1 += ${rec('comm')}
r2 = ${RECORD.comm.size}
call bpf_get_current_comm                     // the server's command name, NUL-padded`
    : head.comm(rec('comm'), frame)
}
${emitRecord(output, KEY)}
`;
  const summaryBlocks = (want: SummaryOutput) => `${want.count === undefined ? '' : countBlock(want.count)}
${want.hist ? histBlock() : ''}`;
  return `${head.toFile(frame)}
${readPointer(layout.filePrivateData, 'file->private_data: the struct socket')}
${readPointer(layout.socketSk, 'socket->sk: the struct sock')}
r9 = r3                                       // r9 = sk; survives helper calls
// One read for every sock_common field we report: family, state, ports, addresses.
r1 = r10
r1 += ${SKC}
r2 = ${skc.length}
${skc.start === 0 ? '' : `r3 += ${skc.start}`}
call bpf_probe_read_kernel
if r0 != 0 goto out                           // no readable socket behind this fd
${
  filters.netns === undefined
    ? ''
    : `r3 = *(u64 *)(${skcField(filters.netns.skcNet)})  // --netns: sk->__sk_common.skc_net.net, from the copy
${netnsCheck(filters.netns, SCRATCH)}`
}
r7 = *(u16 *)(${skcField(layout.skcFamily)})  // r7 = sk->sk_family
${familyFilter(filters.ipVersion, SKC + layout.skcV6Daddr - skc.start)}
// TCP only: accept() also returns SCTP and MPTCP stream sockets of these families.
r1 = r10
r1 += ${KEY}
r2 = ${protocolReadSize}
r3 = r9
r3 += ${protocol.byteOffset}                  // &sk->sk_protocol
call bpf_probe_read_kernel
${protocolLoad}
if r1 != ${IPPROTO_TCP} goto out
// Local port from inet_sk(sk)->inet_sport: skc_num is already 0 when the client reset the
// connection before accept(), but inet_sport survives. It lands in the record directly.
r1 = r10
r1 += ${rec('localPort')}
r2 = 2
r3 = r9
r3 += ${layout.inetSport}                     // &inet_sk(sk)->inet_sport
call bpf_probe_read_kernel
r1 = *(u16 *)(${fp(rec('localPort'))})
r1 = be16 r1                                  // network to host byte order
*(u16 *)(${fp(rec('localPort'))}) = r1
${
  filters.portFilter
    ? `*(u16 *)(${fp(KEY)}) = r1                   // -P: is the local port in the ports map?
r1 = map[${MAP_NAMES.ports}] ll
r2 = r10
r2 += ${KEY}
call bpf_map_lookup_elem
if r0 == 0 goto out                           // a port nobody asked for`
    : ''
}
${summary === undefined ? fillRecord() : summaryBlocks(summary)}
out:
r0 = 0
exit
`;
}

/**
 * Program on syscalls:sys_enter_accept4 and sys_enter_accept, for -c: remembers which
 * listening fd each thread is accepting on, so that the exit program can name the listener
 * (and its SO_REUSEPORT group) of the connection it counts. The accepted socket itself does not
 * know its listener: the kernel clears the clone's sk_reuseport_cb, and the request sock that
 * pointed to the listener is freed by the time accept() returns.
 */
export function listenFdProgramText(fd: FormatField, filters: ProgramFilters): string {
  return `
// syscalls:sys_enter_accept4 / sys_enter_accept — remember the listening fd, by thread.
r6 = r1                                       // r6 = tracepoint record
call bpf_get_current_pid_tgid
*(u64 *)(r10 - 8) = r0                        // key: tgid << 32 | tid, what the exit program looks up
${
  filters.pid === undefined
    ? ''
    : `r0 >>= 32                                     // r0 = tgid
if r0 != ${filters.pid} goto out               // -p: another process`
}
${cgroupFilter(filters)}
r1 = *(u64 *)(r6 + ${fd.offset})               // fd: the listening socket's descriptor
*(u32 *)(r10 - 16) = r1                       // value: the fd (an int)
${mapUpdateElem(MAP_NAMES.listenfds, -8, -16, BPF_ANY, 'LRU: threads that exit age out')}
out:
r0 = 0
exit
`;
}

/** The common head of both sock:inet_sock_set_state programs: passive opens completing only. */
function handshakeFilter(tp: SetStateLayout): string {
  return `
r2 = *(${sizeName(tp.oldstate.size)} *)(r1 + ${tp.oldstate.offset})   // oldstate
if r2 != ${TCP_SYN_RECV} goto out              // most transitions are not SYN_RECV -> …: leave early
r2 = *(${sizeName(tp.newstate.size)} *)(r1 + ${tp.newstate.offset})   // newstate
if r2 != ${TCP_ESTABLISHED} goto out           // SYN_RECV -> ESTABLISHED: a passive open completed
r2 = *(${sizeName(tp.protocol.size)} *)(r1 + ${tp.protocol.offset})   // protocol (u8 before 5.6, u16 since)
if r2 != ${IPPROTO_TCP} goto out`;
}

/**
 * Program on sock:inet_sock_set_state for -q: remembers when each passive open completed, keyed
 * by the new socket, so the accept program can tell how long it waited in the accept queue.
 * It runs in softirq context, so it records no PID: that would be whoever happened to run.
 */
export function handshakeTimestampProgramText(tp: SetStateLayout): string {
  return `
// sock:inet_sock_set_state — remember when the handshake of each accepted socket completed.
${handshakeFilter(tp)}
r6 = r1                                       // r6 = tracepoint record
r1 = *(u64 *)(r6 + ${tp.skaddr.offset})        // skaddr: the child socket accept() will return
*(u64 *)(r10 - 8) = r1                        // key
call bpf_ktime_get_ns
*(u64 *)(r10 - 16) = r0                       // value: handshake completion time
${mapUpdateElem(MAP_NAMES.handshakes, -8, -16, BPF_ANY, 'LRU: sockets never accepted age out')}
out:
r0 = 0
exit
`;
}

/**
 * Program on sock:inet_sock_set_state for --handshake mode: reports each completed passive open
 * from the tracepoint alone (no syscall hook), including accepts that bypass accept(2).
 * PID and COMM are resolved in user space to the listening socket's owner.
 */
export function handshakeReportProgramText(tp: SetStateLayout, filters: ProgramFilters, output: EventOutput = { kind: 'perf' }): string {
  return `
// sock:inet_sock_set_state — report each completed passive open (--handshake mode).
${handshakeFilter(tp)}
r6 = r1                                       // r6 = tracepoint record
${
  filters.netns === undefined
    ? ''
    : `r3 = *(u64 *)(r6 + ${tp.skaddr.offset})        // skaddr: the new socket
${netnsFilterOfSock(filters.netns, REC - 16)}`
}
r7 = *(${sizeName(tp.family.size)} *)(r6 + ${tp.family.offset})  // r7 = family
${copyBytes('r6', tp.daddrV6.offset, REC + RECORD.remoteAddr.offset, 16, 'daddr_v6')}
${familyFilter(filters.ipVersion, rec('remoteAddr'))}
r1 = *(${sizeName(tp.sport.size)} *)(r6 + ${tp.sport.offset})   // sport: the local port, host order
*(u16 *)(${fp(rec('localPort'))}) = r1
${
  filters.portFilter
    ? `*(u16 *)(${fp(REC - 8)}) = r1                   // -P: is the local port in the ports map?
r1 = map[${MAP_NAMES.ports}] ll
r2 = r10
r2 += ${REC - 8}
call bpf_map_lookup_elem
if r0 == 0 goto out`
    : ''
}
r1 = *(${sizeName(tp.dport.size)} *)(r6 + ${tp.dport.offset})   // dport: the remote port, host order
*(u16 *)(${fp(rec('remotePort'))}) = r1
*(u16 *)(${fp(rec('family'))}) = r7
*(u8 *)(${fp(rec('state'))}) = ${TCP_ESTABLISHED}
*(u8 *)(${fp(rec('source'))}) = ${EventSource.Handshake}
*(u64 *)(${fp(rec('queueWaitNs'))}) = 0        // nothing accepted yet: no queue wait
*(u64 *)(${fp(rec('pid'))}) = 0                 // pid and tid: softirq context, resolved in user space
${zeroStack(rec('comm'), RECORD.comm.size, 'comm: resolved in user space')}
if r7 == ${AF_INET6} goto ipv6
${zeroStack(rec('localAddr'), 32, 'IPv4 uses 4 of the 16 address bytes: clear both')}
${copyBytes('r6', tp.saddr.offset, rec('localAddr'), 4, 'saddr')}
${copyBytes('r6', tp.daddr.offset, rec('remoteAddr'), 4, 'daddr')}
goto emit
ipv6:
${copyBytes('r6', tp.saddrV6.offset, rec('localAddr'), 16, 'saddr_v6')}
emit:
call bpf_ktime_get_ns
*(u64 *)(${fp(rec('timestampNs'))}) = r0
${emitRecord(output, REC - 8)}
out:
r0 = 0
exit
`;
}

// ---------------------------------------------------------------------------------------------
// Stack frame of the listen-drop program:
//   [REC, REC+80)     the event record
//   KEY               8 bytes: the ports map key, the lost counter key
//   SCRATCH           8 bytes: skb->head, then the header offsets
//   HDR, 32 bytes     the packet's addresses, then its ports
// ---------------------------------------------------------------------------------------------

/**
 * Program on skb:kfree_skb. It runs for every packet the host frees as dropped, for any reason
 * (a host under attack drops millions a second), so its first comparison sends everything but a
 * listen overflow away. What is left is a client's final handshake ACK that `tcp_check_req`
 * dropped because the listener's accept queue was full (Linux 6.15+): the client believes it is
 * connected, the server will retransmit its SYN-ACK. The listener is the tracepoint's `rx_sk`
 * (6.11+); the client's address and port come from the packet's own IP and TCP headers. It runs
 * in softirq context, so no PID is recorded: user space names the listener's owner.
 */
export function listenDropProgramText(layout: ListenDropLayout, filters: ProgramFilters, output: EventOutput = { kind: 'perf' }): string {
  const KEY = REC - 8;
  const SCRATCH = KEY - 8;
  const HDR = SCRATCH - 32;
  // Every read here has its source address in r3 already.
  const readInto = (at: number, size: number, what: string) => `r1 = r10
r1 += ${at}
r2 = ${size}
call bpf_probe_read_kernel                    // ${what}
if r0 != 0 goto out`;
  // Only the blocks the family filter keeps are emitted: the verifier rejects unreachable code.
  const dispatch =
    filters.ipVersion === 4
      ? 'if r1 != 4 goto out                           // -4: only IPv4 clients'
      : filters.ipVersion === 6
        ? 'if r1 != 6 goto out                           // -6: only IPv6 clients'
        : `if r1 == 4 goto ipv4
if r1 != 6 goto out`;
  // One read from the first address to the end of the second (they are adjacent in both headers).
  const v6Span = Math.max(layout.ipv6hdrSaddr, layout.ipv6hdrDaddr) + 16 - Math.min(layout.ipv6hdrSaddr, layout.ipv6hdrDaddr);
  const v6Start = Math.min(layout.ipv6hdrSaddr, layout.ipv6hdrDaddr);
  const v4Span = Math.max(layout.iphdrSaddr, layout.iphdrDaddr) + 4 - Math.min(layout.iphdrSaddr, layout.iphdrDaddr);
  const v4Start = Math.min(layout.iphdrSaddr, layout.iphdrDaddr);
  if (v6Span > 32 || v4Span > 8)
    throw new Error('BTF: the source and destination addresses of iphdr/ipv6hdr are not adjacent; the drop program reads them in one go');
  const ipv6 = `// IPv6: source (the client) and destination (the listener's address), offsets from BTF.
r3 = r7
r3 += r8
r3 += ${v6Start}
${readInto(HDR, v6Span, 'ipv6hdr saddr and daddr')}
${copyBytes('r10', HDR + layout.ipv6hdrSaddr - v6Start, rec('remoteAddr'), 16, 'remote (client) IPv6 address')}
${copyBytes('r10', HDR + layout.ipv6hdrDaddr - v6Start, rec('localAddr'), 16, 'local (listener) IPv6 address')}
*(u16 *)(${fp(rec('family'))}) = ${AF_INET6}
${filters.ipVersion === 6 ? '' : 'goto ports'}`;
  const ipv4 = `${filters.ipVersion === 4 ? '' : 'ipv4:\n'}// IPv4: source (the client) and destination (the listener's address), offsets from BTF.
r3 = r7
r3 += r8
r3 += ${v4Start}
${readInto(HDR, v4Span, 'iphdr saddr and daddr')}
${zeroStack(rec('localAddr'), 32, 'IPv4 uses 4 of the 16 address bytes: clear both')}
r1 = *(u32 *)(${fp(HDR + layout.iphdrSaddr - v4Start)})
*(u32 *)(${fp(rec('remoteAddr'))}) = r1         // remote (client) IPv4 address
r1 = *(u32 *)(${fp(HDR + layout.iphdrDaddr - v4Start)})
*(u32 *)(${fp(rec('localAddr'))}) = r1          // local (listener) IPv4 address
*(u16 *)(${fp(rec('family'))}) = ${AF_INET}`;
  return `
// skb:kfree_skb — a dropped packet. Only a listen overflow goes further than the next line.
r2 = *(${sizeName(layout.reason.size)} *)(r1 + ${layout.reason.offset})   // reason (enum skb_drop_reason)
if r2 != ${layout.listenOverflowReason} goto out            // SKB_DROP_REASON_TCP_LISTEN_OVERFLOW, from BTF
r6 = r1                                       // r6 = tracepoint record
r9 = *(u64 *)(r6 + ${layout.rxSk.offset})     // rx_sk: the listener whose accept queue was full
if r9 == 0 goto out
${
  filters.netns === undefined
    ? ''
    : `r3 = r9
${netnsFilterOfSock(filters.netns, SCRATCH)}`
}
// The listener's port: skc_num, already in host byte order.
r3 = r9
r3 += ${layout.skcNum}
${readInto(KEY, 2, 'rx_sk->__sk_common.skc_num')}
r1 = *(u16 *)(${fp(KEY)})
*(u16 *)(${fp(rec('localPort'))}) = r1
${
  filters.portFilter
    ? `r1 = map[${MAP_NAMES.ports}] ll                 // -P: is the listener's port in the ports map?
r2 = r10
r2 += ${KEY}
call bpf_map_lookup_elem
if r0 == 0 goto out`
    : ''
}
// The packet: skb->head plus the network and transport header offsets.
r7 = *(u64 *)(r6 + ${layout.skbaddr.offset})  // r7 = skbaddr
r3 = r7
r3 += ${layout.skbHead}
${readInto(SCRATCH, 8, 'skb->head: where the packet buffer starts')}
r8 = *(u64 *)(${fp(SCRATCH)})                 // r8 = head
r3 = r7
r3 += ${layout.skbNetworkHeader}
${readInto(SCRATCH, 2, 'skb->network_header: the IP header, from head')}
r7 = *(u16 *)(${fp(SCRATCH)})                 // r7 = network header offset (r7 is free again)
r3 = r7
r3 += r8
${readInto(HDR, 1, 'the first byte of the IP header: version << 4 | ihl')}
r1 = *(u8 *)(${fp(HDR)})
r1 >>= 4                                      // r1 = IP version
${dispatch}
${filters.ipVersion === 4 ? '' : ipv6}
${filters.ipVersion === 6 ? '' : ipv4}
ports:
// The TCP header: source port (the client's) first.
r3 = *(u64 *)(r6 + ${layout.skbaddr.offset})  // skbaddr again
r3 += ${layout.skbTransportHeader}
${readInto(SCRATCH, 2, 'skb->transport_header: the TCP header, from head')}
r3 = *(u16 *)(${fp(SCRATCH)})
r3 += r8
${
  layout.tcphdrSource === 0
    ? ''
    : `r3 += ${layout.tcphdrSource}
`
}${readInto(HDR, 2, "tcphdr source: the client's port")}
r1 = *(u16 *)(${fp(HDR)})
r1 = be16 r1                                  // network to host byte order
*(u16 *)(${fp(rec('remotePort'))}) = r1
*(u8 *)(${fp(rec('state'))}) = ${TCP_LISTEN}               // the listener's state
*(u8 *)(${fp(rec('source'))}) = ${EventSource.ListenDrop}
*(u64 *)(${fp(rec('queueWaitNs'))}) = 0        // never queued: that is the point
*(u64 *)(${fp(rec('pid'))}) = 0                 // pid and tid: softirq context, the owner is found in user space
${zeroStack(rec('comm'), RECORD.comm.size, 'comm: resolved in user space')}
call bpf_ktime_get_ns
*(u64 *)(${fp(rec('timestampNs'))}) = r0
${emitRecord(output, KEY)}
out:
r0 = 0
exit
`;
}

/** Assembles a program text; a mistake here is ours, so the error carries the whole listing. */
export function assembleProgram(name: string, text: string): Program {
  try {
    return parse(text);
  } catch (error) {
    const listing = text
      .split('\n')
      .map((line, i) => `${String(i + 1).padStart(4)}  ${line}`)
      .join('\n');
    throw new Error(`internal error assembling ${name}: ${(error as Error).message}\n${listing}`);
  }
}
