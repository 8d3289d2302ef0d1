// Reads this kernel's offsets at start-up: struct members from BTF, tracepoint record fields
// from tracefs `format` files. Nothing the programs read is a number typed in by hand.
import type { Btf, FormatField, TracepointFormat } from '../syscalls/index.ts';
import type { MemberLayout, SetStateLayout, SocketLayout } from './programs.ts';

export const SET_STATE_TRACEPOINT = { group: 'sock', event: 'inet_sock_set_state' } as const;
export const ACCEPT_TRACEPOINTS = [
  { group: 'syscalls', event: 'sys_exit_accept4' },
  { group: 'syscalls', event: 'sys_exit_accept' },
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

/** The struct offsets of the fd walk and of the socket fields the accept program reads. */
export function socketLayoutFromBtf(btf: Btf): SocketLayout {
  const sk = (field: string) => byteOffset(btf, 'sock', `__sk_common.${field}`);
  return {
    taskFiles: byteOffset(btf, 'task_struct', 'files'),
    filesFdt: byteOffset(btf, 'files_struct', 'fdt'),
    fdtableFd: byteOffset(btf, 'fdtable', 'fd'),
    filePrivateData: byteOffset(btf, 'file', 'private_data'),
    socketSk: byteOffset(btf, 'socket', 'sk'),
    skcDaddr: sk('skc_daddr'),
    skcRcvSaddr: sk('skc_rcv_saddr'),
    skcDport: sk('skc_dport'),
    skcFamily: sk('skc_family'),
    skcState: sk('skc_state'),
    skcV6Daddr: sk('skc_v6_daddr'),
    skcV6RcvSaddr: sk('skc_v6_rcv_saddr'),
    skProtocol: member(btf, 'sock', 'sk_protocol'),
    inetSport: byteOffset(btf, 'inet_sock', 'inet_sport'),
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
