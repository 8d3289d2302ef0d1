// Reads this kernel's offsets at start-up: struct members from BTF, tracepoint record fields
// from tracefs `format` files. Nothing the programs read is a number typed in by hand.
import type { Btf, FormatField, TracepointFormat } from '../syscalls/index.ts';
import type { ListenDropLayout, ListenerLayout, MemberLayout, NetnsFilter, SetStateLayout, SocketLayout } from './programs.ts';

export const SET_STATE_TRACEPOINT = { group: 'sock', event: 'inet_sock_set_state' } as const;
export const KFREE_SKB_TRACEPOINT = { group: 'skb', event: 'kfree_skb' } as const;
export const ACCEPT_TRACEPOINTS = [
  { group: 'syscalls', event: 'sys_exit_accept4' },
  { group: 'syscalls', event: 'sys_exit_accept' },
] as const;
/** Where -c learns the listening fd of each accept (see listenFdProgramText). */
export const ACCEPT_ENTER_TRACEPOINTS = [
  { group: 'syscalls', event: 'sys_enter_accept4' },
  { group: 'syscalls', event: 'sys_enter_accept' },
] as const;

function member(btf: Btf, struct: string, path: string): MemberLayout {
  const offset = btf.offsetOf(struct, path);
  return offset.bitSize === undefined
    ? { byteOffset: offset.byteOffset, size: offset.size }
    : { byteOffset: offset.byteOffset, size: offset.size, bitOffset: offset.bitOffset, bitSize: offset.bitSize };
}

function byteOffset(btf: Btf, struct: string, path: string): number {
  const m = member(btf, struct, path);
  if (m.bitSize !== undefined) throw new Error(`BTF: ${struct}.${path} is a bitfield; expected a whole member`);
  return m.byteOffset;
}

/**
 * The kernel struct members the accept program reads, as (struct, member path) for BTF: one
 * table, so the recorded kernel fixture (scripts/record-kernel.ts) holds exactly these.
 */
export const SOCKET_LAYOUT_MEMBERS = {
  taskFiles: ['task_struct', 'files'],
  filesFdt: ['files_struct', 'fdt'],
  fdtableFd: ['fdtable', 'fd'],
  filePrivateData: ['file', 'private_data'],
  socketSk: ['socket', 'sk'],
  skcDaddr: ['sock', '__sk_common.skc_daddr'],
  skcRcvSaddr: ['sock', '__sk_common.skc_rcv_saddr'],
  skcDport: ['sock', '__sk_common.skc_dport'],
  skcFamily: ['sock', '__sk_common.skc_family'],
  skcState: ['sock', '__sk_common.skc_state'],
  skcV6Daddr: ['sock', '__sk_common.skc_v6_daddr'],
  skcV6RcvSaddr: ['sock', '__sk_common.skc_v6_rcv_saddr'],
  skProtocol: ['sock', 'sk_protocol'],
  inetSport: ['inet_sock', 'inet_sport'],
} as const satisfies Record<keyof SocketLayout, readonly [string, string]>;

/** The struct offsets of the fd walk and of the socket fields the accept program reads. */
export function socketLayoutFromBtf(btf: Btf): SocketLayout {
  const at = (key: Exclude<keyof SocketLayout, 'skProtocol'>) => {
    const [struct, path] = SOCKET_LAYOUT_MEMBERS[key];
    return byteOffset(btf, struct, path);
  };
  return {
    taskFiles: at('taskFiles'),
    filesFdt: at('filesFdt'),
    fdtableFd: at('fdtableFd'),
    filePrivateData: at('filePrivateData'),
    socketSk: at('socketSk'),
    skcDaddr: at('skcDaddr'),
    skcRcvSaddr: at('skcRcvSaddr'),
    skcDport: at('skcDport'),
    skcFamily: at('skcFamily'),
    skcState: at('skcState'),
    skcV6Daddr: at('skcV6Daddr'),
    skcV6RcvSaddr: at('skcV6RcvSaddr'),
    // sk_protocol was a bitfield before Linux 5.6: the program reads it either way.
    skProtocol: member(btf, ...SOCKET_LAYOUT_MEMBERS.skProtocol),
    inetSport: at('inetSport'),
  };
}

/** The fields of sock:inet_sock_set_state the handshake programs read. */
export function setStateLayout(format: TracepointFormat): SetStateLayout {
  const f = (name: string): FormatField => format.field(name);
  return {
    skaddr: f('skaddr'),
    oldstate: f('oldstate'),
    newstate: f('newstate'),
    protocol: f('protocol'),
    family: f('family'),
    sport: f('sport'),
    dport: f('dport'),
    saddr: f('saddr'),
    daddr: f('daddr'),
    saddrV6: f('saddr_v6'),
    daddrV6: f('daddr_v6'),
  };
}

/** The `ret` field of a sys_exit tracepoint: the value the syscall returned. */
export function syscallReturnField(format: TracepointFormat): FormatField {
  const ret = format.field('ret');
  if (ret.size !== 8) throw new Error(`${format.group}:${format.event}: ret is ${ret.size} bytes; expected a long`);
  return ret;
}

/** The struct members the listen-drop program reads (see SOCKET_LAYOUT_MEMBERS). */
export const LISTEN_DROP_MEMBERS = {
  skbHead: ['sk_buff', 'head'],
  skbNetworkHeader: ['sk_buff', 'network_header'],
  skbTransportHeader: ['sk_buff', 'transport_header'],
  skcNum: ['sock', '__sk_common.skc_num'],
  // The packet's own headers (uapi structs, in vmlinux BTF): where the client's address and port are.
  iphdrSaddr: ['iphdr', 'saddr'],
  iphdrDaddr: ['iphdr', 'daddr'],
  ipv6hdrSaddr: ['ipv6hdr', 'saddr'],
  ipv6hdrDaddr: ['ipv6hdr', 'daddr'],
  tcphdrSource: ['tcphdr', 'source'],
} as const;

/** The enumerator a listen-overflow drop carries (enum skb_drop_reason, Linux 6.15+ in tcp_check_req). */
export const LISTEN_OVERFLOW_REASON = ['skb_drop_reason', 'SKB_DROP_REASON_TCP_LISTEN_OVERFLOW'] as const;

/**
 * What the listen-drop program needs, or the reason this kernel cannot give it: skb:kfree_skb
 * with `rx_sk` (Linux 6.11+) and `reason`, and the TCP_LISTEN_OVERFLOW drop reason (6.15+).
 */
export function listenDropLayout(btf: Btf, format: TracepointFormat): ListenDropLayout | string {
  const fields = new Set(format.fields.map((f) => f.name));
  for (const name of ['skbaddr', 'rx_sk', 'reason']) {
    if (!fields.has(name)) return `skb:kfree_skb has no ${name} field here (rx_sk arrived in Linux 6.11)`;
  }
  let reason: bigint;
  try {
    reason = btf.enumValue(...LISTEN_OVERFLOW_REASON);
  } catch {
    return 'this kernel has no SKB_DROP_REASON_TCP_LISTEN_OVERFLOW (tcp_check_req reports listen overflows with it since Linux 6.15)';
  }
  const at = (key: keyof typeof LISTEN_DROP_MEMBERS) => {
    const [struct, path] = LISTEN_DROP_MEMBERS[key];
    return byteOffset(btf, struct, path);
  };
  return {
    skbaddr: format.field('skbaddr'),
    rxSk: format.field('rx_sk'),
    reason: format.field('reason'),
    listenOverflowReason: Number(reason),
    skbHead: at('skbHead'),
    skbNetworkHeader: at('skbNetworkHeader'),
    skbTransportHeader: at('skbTransportHeader'),
    skcNum: at('skcNum'),
    iphdrSaddr: at('iphdrSaddr'),
    iphdrDaddr: at('iphdrDaddr'),
    ipv6hdrSaddr: at('ipv6hdrSaddr'),
    ipv6hdrDaddr: at('ipv6hdrDaddr'),
    tcphdrSource: at('tcphdrSource'),
  };
}

/** What -c reads of the listening socket (recorded with SOCKET_LAYOUT_MEMBERS for the docs). */
export const LISTENER_LAYOUT_MEMBERS = {
  skReuseportCb: ['sock', 'sk_reuseport_cb'],
  reuseportNumSocks: ['sock_reuseport', 'num_socks'],
} as const satisfies Record<keyof ListenerLayout, readonly [string, string]>;

export function listenerLayoutFromBtf(btf: Btf): ListenerLayout {
  return {
    skReuseportCb: byteOffset(btf, ...LISTENER_LAYOUT_MEMBERS.skReuseportCb),
    reuseportNumSocks: byteOffset(btf, ...LISTENER_LAYOUT_MEMBERS.reuseportNumSocks),
  };
}

/** The `fd` argument of a sys_enter_accept{,4} record (syscall arguments are stored as longs). */
export function syscallFdField(format: TracepointFormat): FormatField {
  const fd = format.field('fd');
  if (fd.size !== 8) throw new Error(`${format.group}:${format.event}: fd is ${fd.size} bytes; expected a long`);
  return fd;
}

/**
 * What --netns reads: a socket's network namespace and that namespace's inode number
 * (recorded with SOCKET_LAYOUT_MEMBERS for the docs). skc_net is a possible_net_t, whose only
 * member `net` exists when the kernel has CONFIG_NET_NS.
 */
export const NETNS_LAYOUT_MEMBERS = {
  skcNet: ['sock', '__sk_common.skc_net.net'],
  nsInum: ['net', 'ns.inum'],
} as const satisfies Record<Exclude<keyof NetnsFilter, 'inum'>, readonly [string, string]>;

/** The --netns filter for the namespace with inode `inum`, with this kernel's offsets. */
export function netnsFilterFromBtf(btf: Btf, inum: number): NetnsFilter {
  let skcNet: number;
  let nsInum: number;
  try {
    skcNet = byteOffset(btf, ...NETNS_LAYOUT_MEMBERS.skcNet);
    nsInum = byteOffset(btf, ...NETNS_LAYOUT_MEMBERS.nsInum);
  } catch (error) {
    throw new Error(
      `--netns needs sock.__sk_common.skc_net.net and net.ns.inum in kernel BTF (a kernel with CONFIG_NET_NS): ${(error as Error).message.split('\n')[0]}`,
    );
  }
  return { inum, skcNet, nsInum };
}

/** io_uring's tracepoints (issue #18): a request submitted, a completion posted. */
export const IO_URING_SUBMIT_TRACEPOINT = { group: 'io_uring', event: 'io_uring_submit_req' } as const;
/** The submit tracepoint's name before Linux 6.5 (the same fields the programs read). */
export const IO_URING_SUBMIT_SQE_TRACEPOINT = { group: 'io_uring', event: 'io_uring_submit_sqe' } as const;
export const IO_URING_COMPLETE_TRACEPOINT = { group: 'io_uring', event: 'io_uring_complete' } as const;
/** A request's task_work queued (its poll fired): where a multishot accept armed before tracing is first seen. */
export const IO_URING_TASK_ADD_TRACEPOINT = { group: 'io_uring', event: 'io_uring_task_add' } as const;

/**
 * The struct members the io_uring programs read (recorded with SOCKET_LAYOUT_MEMBERS for the
 * docs): the request's opcode and its accept's file_slot (struct io_accept lives in the
 * request's `cmd` area), and the task fields that name the process when a worker completes.
 */
export const IO_URING_MEMBERS = {
  reqOpcode: ['io_kiocb', 'opcode'],
  reqCmd: ['io_kiocb', 'cmd'],
  acceptFileSlot: ['io_accept', 'file_slot'],
  taskFlags: ['task_struct', 'flags'],
  taskGroupLeader: ['task_struct', 'group_leader'],
  taskComm: ['task_struct', 'comm'],
} as const;

/**
 * The ring's table of fixed files (direct descriptors), which changed shape in Linux 6.13:
 * before, `file_table.files` is an array of struct io_fixed_file { file_ptr }; since, the
 * table's `data.nodes` is an array of pointers to struct io_rsrc_node, whose `file_ptr` it is.
 * Either way file_ptr carries flag bits (FFS_*) below the struct file's alignment.
 */
export const IO_URING_FIXED_FILES_MEMBERS = {
  ctxFiles: ['io_ring_ctx', 'file_table.files'],
  fixedFilePtr: ['io_fixed_file', 'file_ptr'],
} as const;
export const IO_URING_FIXED_NODES_MEMBERS = {
  ctxNodes: ['io_ring_ctx', 'file_table.data.nodes'],
  nodeFilePtr: ['io_rsrc_node', 'file_ptr'],
} as const;

/** IORING_OP_ACCEPT, from enum io_uring_op (its number is the kernel's, taken from BTF). */
export const IO_URING_ACCEPT_OP = ['io_uring_op', 'IORING_OP_ACCEPT'] as const;

/** The fields of io_uring:io_uring_submit_req and io_uring:io_uring_complete the programs read. */
export interface IoUringTracepointLayout {
  submit: { ctx: FormatField; req: FormatField; userData: FormatField; opcode: FormatField };
  /** io_uring_task_add, where the kernel has it with these fields. */
  taskAdd?: { ctx: FormatField; req: FormatField; userData: FormatField; opcode: FormatField } | undefined;
  complete: { ctx: FormatField; req: FormatField; userData: FormatField; res: FormatField; cflags: FormatField };
}

/** What the io_uring programs read of the kernel's structs, from BTF. */
export interface IoUringStructLayout {
  opAccept: number;
  reqOpcode: number;
  /** io_kiocb.cmd + io_accept.file_slot: the accept's file_index (0: a normal fd). */
  reqFileSlot: number;
  taskFlags: MemberLayout;
  taskGroupLeader: number;
  taskComm: number;
  taskCommSize: number;
  fixedFiles: { kind: 'files'; ctxFiles: number; stride: number; filePtr: number } | { kind: 'nodes'; ctxNodes: number; filePtr: number };
}

export type IoUringLayout = IoUringTracepointLayout & IoUringStructLayout;

/** The io_uring tracepoint fields, or why they are not usable. */
export function ioUringTracepointLayout(
  submit: TracepointFormat,
  complete: TracepointFormat,
  taskAdd?: TracepointFormat,
): IoUringTracepointLayout {
  const s = (name: string): FormatField => submit.field(name);
  const c = (name: string): FormatField => complete.field(name);
  const request = (format: TracepointFormat) => ({
    ctx: format.field('ctx'),
    req: format.field('req'),
    userData: format.field('user_data'),
    opcode: format.field('opcode'),
  });
  let added: IoUringTracepointLayout['taskAdd'];
  try {
    added = taskAdd === undefined ? undefined : request(taskAdd);
  } catch {
    added = undefined;
  }
  return {
    taskAdd: added,
    submit: { ctx: s('ctx'), req: s('req'), userData: s('user_data'), opcode: s('opcode') },
    complete: { ctx: c('ctx'), req: c('req'), userData: c('user_data'), res: c('res'), cflags: c('cflags') },
  };
}

/** The struct offsets of the io_uring programs, from BTF; throws naming what is missing. */
export function ioUringStructLayout(btf: Btf): IoUringStructLayout {
  const at = (key: keyof typeof IO_URING_MEMBERS) => {
    const [struct, path] = IO_URING_MEMBERS[key];
    return byteOffset(btf, struct, path);
  };
  let fixedFiles: IoUringStructLayout['fixedFiles'];
  try {
    fixedFiles = {
      kind: 'nodes',
      ctxNodes: byteOffset(btf, ...IO_URING_FIXED_NODES_MEMBERS.ctxNodes),
      filePtr: byteOffset(btf, ...IO_URING_FIXED_NODES_MEMBERS.nodeFilePtr),
    };
  } catch {
    fixedFiles = {
      kind: 'files',
      ctxFiles: byteOffset(btf, ...IO_URING_FIXED_FILES_MEMBERS.ctxFiles),
      stride: btf.sizeOf('io_fixed_file'),
      filePtr: byteOffset(btf, ...IO_URING_FIXED_FILES_MEMBERS.fixedFilePtr),
    };
  }
  return {
    opAccept: Number(btf.enumValue(...IO_URING_ACCEPT_OP)),
    reqOpcode: at('reqOpcode'),
    reqFileSlot: at('reqCmd') + at('acceptFileSlot'),
    taskFlags: member(btf, ...IO_URING_MEMBERS.taskFlags),
    taskGroupLeader: at('taskGroupLeader'),
    taskComm: at('taskComm'),
    taskCommSize: member(btf, ...IO_URING_MEMBERS.taskComm).size,
    fixedFiles,
  };
}
