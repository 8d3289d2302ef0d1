// NETLINK_SOCK_DIAG messages for TCP listeners, without I/O: the request we send and the
// parser for the kernel's replies. Kept pure (bytes in, values out) so every malformed shape
// can be tested with hand-built byte streams; sock-diag.ts does the socket calls.
//
// Layouts from the kernel's uapi headers (include/uapi/linux/netlink.h, sock_diag.h,
// inet_diag.h); test/syscalls/sock-diag.test.ts checks every offset below against the running
// kernel's BTF, where all of these structs are present.
//
// What the figures mean for a LISTEN socket (net/ipv4/tcp_diag.c, tcp_diag_get_info):
//   idiag_rqueue = sk->sk_ack_backlog      connections fully established and waiting for
//                                          accept() (the accept queue's current length);
//   idiag_wqueue = sk->sk_max_ack_backlog  the limit, listen()'s backlog capped at
//                                          net.core.somaxconn. The queue is full when
//                                          rqueue > wqueue (sk_acceptq_is_full), so a listener
//                                          that stopped accepting shows rqueue = wqueue + 1.
// SK_MEMINFO_DROPS (INET_DIAG_SKMEMINFO, sock_diag_put_meminfo) = the listener's sk_drops. For a
// listener the kernel bumps it
//   - once per SYN dropped in tcp_conn_request (`drop:` → tcp_listendrop): accept queue full
//     (also counted as LINUX_MIB_LISTENOVERFLOWS), SYN queue full without syncookies, or no
//     memory for the request sock. Each retransmitted SYN counts again, so one client that gave
//     up after its retries counts several times;
//   - twice per final ACK of a handshake that finds the accept queue full: tcp_v4_syn_recv_sock
//     / tcp_v6_syn_recv_sock `exit_overflow` → `exit:` → tcp_listendrop (ListenOverflows +
//     ListenDrops), then tcp_v4_rcv / tcp_v6_rcv `discard_and_relse:` → sk_drops_add() on the
//     listener, since tcp_check_req returned no child;
//   - once per segment tcp_v4_rcv / tcp_v6_rcv discards at the listener for other reasons
//     (`discard_and_relse`: XFRM policy, TCP-MD5/AO mismatch, min TTL, socket filter, socket
//     backlog full while the listener is locked).
// So it is a per-listener count of dropped packets, not of lost clients; the per-namespace
// counters TcpExtListenOverflows / TcpExtListenDrops are the host-wide analogues.
import { formatIpv6 } from '../probe/record.ts';
import { KernelError } from './errors.ts';
import { ParseError } from '../parse/parse-error.ts';

/** Constants from the uapi headers (values, never layouts). */
export const SOCK_DIAG = {
  /** include/linux/socket.h */
  AF_NETLINK: 16,
  AF_INET: 2,
  AF_INET6: 10,
  /** include/uapi/linux/netlink.h */
  NETLINK_SOCK_DIAG: 4,
  /** include/uapi/linux/in.h */
  IPPROTO_TCP: 6,
  /** include/net/tcp_states.h: TCP_LISTEN; idiag_states is a bit mask of 1 << state. */
  TCP_LISTEN: 10,
  /** include/uapi/linux/sock_diag.h: the request type for inet_diag_req_v2. */
  SOCK_DIAG_BY_FAMILY: 20,
  /** include/uapi/linux/netlink.h: control message types (< NLMSG_MIN_TYPE). */
  NLMSG_NOOP: 1,
  NLMSG_ERROR: 2,
  NLMSG_DONE: 3,
  NLMSG_OVERRUN: 4,
  NLM_F_REQUEST: 0x01,
  NLM_F_MULTI: 0x02,
  /** NLM_F_ROOT | NLM_F_MATCH */
  NLM_F_DUMP: 0x300,
  /** nla_type flag bits (NLA_F_NESTED | NLA_F_NET_BYTEORDER) masked off to get the type. */
  NLA_TYPE_MASK: 0x3fff,
  /** enum in include/uapi/linux/inet_diag.h; requested with bit (1 << (type - 1)) in idiag_ext. */
  INET_DIAG_SKMEMINFO: 7,
  /**
   * Added in Linux 5.7 (inet_diag_msg_attrs_fill puts it for every socket when the kernel has
   * CONFIG_SOCK_CGROUP_DATA). It cannot be requested — idiag_ext has 8 bits and this is type
   * 21 — so older kernels simply leave it out, and so do we: cgroupId is then undefined.
   */
  INET_DIAG_CGROUP_ID: 21,
  /** enum in include/uapi/linux/sock_diag.h: index of sk_drops in the SKMEMINFO u32 array. */
  SK_MEMINFO_DROPS: 8,
} as const;

/** Byte offsets and sizes of the structs we read and write; each verified against BTF in the tests. */
export const SOCK_DIAG_LAYOUT = {
  /** struct nlmsghdr (16 bytes; NLMSG_HDRLEN, already 4-aligned). */
  nlmsghdr: {
    size: 16,
    nlmsg_len: 0, // __u32: header + payload, without the padding after it
    nlmsg_type: 4, // __u16
    nlmsg_flags: 6, // __u16
    nlmsg_seq: 8, // __u32
    nlmsg_pid: 12, // __u32
  },
  /** struct nlmsgerr: the payload of NLMSG_ERROR (and a 4-byte int payload of NLMSG_DONE). */
  nlmsgerr: {
    size: 20,
    error: 0, // int: negative errno, or 0 for an ACK
    msg: 4, // struct nlmsghdr of the request it answers
  },
  /** struct nlattr (4 bytes; NLA_HDRLEN). */
  nlattr: {
    size: 4,
    nla_len: 0, // __u16: header + payload, without the padding after it
    nla_type: 2, // __u16
  },
  /** struct inet_diag_sockid (48 bytes). Ports and addresses are in network byte order. */
  inet_diag_sockid: {
    size: 48,
    idiag_sport: 0, // __be16
    idiag_dport: 2, // __be16
    idiag_src: 4, // __be32[4]: IPv4 in the first 4 bytes
    idiag_dst: 20, // __be32[4]
    idiag_if: 36, // __u32
    idiag_cookie: 40, // __u32[2]
  },
  /** struct inet_diag_req_v2 (56 bytes): the request payload. */
  inet_diag_req_v2: {
    size: 56,
    sdiag_family: 0, // __u8
    sdiag_protocol: 1, // __u8
    idiag_ext: 2, // __u8: bit (1 << (INET_DIAG_x - 1)) per extension wanted
    pad: 3, // __u8
    idiag_states: 4, // __u32: bit (1 << TCP_x) per state wanted
    id: 8, // struct inet_diag_sockid; all zero = no filter for a dump
  },
  /** struct inet_diag_msg (72 bytes): the reply payload, followed by nlattr attributes. */
  inet_diag_msg: {
    size: 72,
    idiag_family: 0, // __u8
    idiag_state: 1, // __u8
    idiag_timer: 2, // __u8
    idiag_retrans: 3, // __u8
    id: 4, // struct inet_diag_sockid
    idiag_expires: 52, // __u32
    idiag_rqueue: 56, // __u32: for a listener sk_ack_backlog
    idiag_wqueue: 60, // __u32: for a listener sk_max_ack_backlog
    idiag_uid: 64, // __u32
    idiag_inode: 68, // __u32
  },
  /** struct sockaddr_nl (12 bytes): the kernel is nl_pid 0. */
  sockaddr_nl: {
    size: 12,
    nl_family: 0, // __kernel_sa_family_t
    nl_pad: 2, // unsigned short
    nl_pid: 4, // __u32
    nl_groups: 8, // __u32
  },
} as const;

const HDR = SOCK_DIAG_LAYOUT.nlmsghdr;
const ERR = SOCK_DIAG_LAYOUT.nlmsgerr;
const NLA = SOCK_DIAG_LAYOUT.nlattr;
const REQ = SOCK_DIAG_LAYOUT.inet_diag_req_v2;
const MSG = SOCK_DIAG_LAYOUT.inet_diag_msg;
const SOCKID = SOCK_DIAG_LAYOUT.inet_diag_sockid;

/** Size of one request: nlmsghdr + inet_diag_req_v2. */
export const INET_DIAG_REQUEST_SIZE = HDR.size + REQ.size;

/** NLMSG_ALIGN / NLA_ALIGN: both 4. */
const align4 = (n: number): number => (n + 3) & ~3;

/** A TCP socket in LISTEN state, as sock_diag reports it. */
export interface TcpListener {
  family: 4 | 6;
  /** Dotted IPv4, or RFC 5952 IPv6 text (an IPv4-mapped address stays IPv6, as the kernel gives it). */
  localAddr: string;
  localPort: number;
  /** idiag_rqueue = sk_ack_backlog: connections waiting for accept() now. */
  queue: number;
  /** idiag_wqueue = sk_max_ack_backlog: the limit; full at queue = queueMax + 1. */
  queueMax: number;
  /** SK_MEMINFO_DROPS = sk_drops (packets the listener dropped; see the top of this file); undefined without the attribute. */
  drops: number | undefined;
  /** The socket's inode (socket:[inode] in /proc/PID/fd). */
  inode: number;
  uid: number;
  /** cgroup v2 id of the socket (INET_DIAG_CGROUP_ID, Linux 5.7+); undefined where the kernel does not send it. */
  cgroupId: bigint | undefined;
}

/** What a run of reply datagrams held. */
export interface SockDiagReplies {
  listeners: TcpListener[];
  /** True once NLMSG_DONE was seen: the dump is complete. */
  done: boolean;
}

export interface ParseSockDiagOptions {
  /** Reject messages answering any other request (nlmsg_seq), e.g. leftovers of an aborted dump. */
  seq?: number;
  /** Append to this array instead of a new one (the poller reuses one per call). */
  into?: TcpListener[];
  /** Names the request in a KernelError from NLMSG_ERROR. */
  operation?: string;
}

const SOURCE = 'NETLINK_SOCK_DIAG reply';

/**
 * Writes one SOCK_DIAG_BY_FAMILY dump request for TCP listeners of `family` at `offset` of
 * `view` (INET_DIAG_REQUEST_SIZE bytes): idiag_states = 1 << TCP_LISTEN, idiag_ext asking for
 * INET_DIAG_SKMEMINFO, an all-zero socket id (no address filter).
 */
export function writeInetDiagRequest(view: DataView, offset: number, family: 4 | 6, seq: number): void {
  // Little-endian: the host order of both supported architectures (x64, arm64).
  const le = true;
  for (let i = 0; i < INET_DIAG_REQUEST_SIZE; i++) view.setUint8(offset + i, 0);
  view.setUint32(offset + HDR.nlmsg_len, INET_DIAG_REQUEST_SIZE, le);
  view.setUint16(offset + HDR.nlmsg_type, SOCK_DIAG.SOCK_DIAG_BY_FAMILY, le);
  view.setUint16(offset + HDR.nlmsg_flags, SOCK_DIAG.NLM_F_REQUEST | SOCK_DIAG.NLM_F_DUMP, le);
  view.setUint32(offset + HDR.nlmsg_seq, seq >>> 0, le);
  // nlmsg_pid 0: the kernel fills in our autobound port id.
  const req = offset + HDR.size;
  view.setUint8(req + REQ.sdiag_family, family === 4 ? SOCK_DIAG.AF_INET : SOCK_DIAG.AF_INET6);
  view.setUint8(req + REQ.sdiag_protocol, SOCK_DIAG.IPPROTO_TCP);
  view.setUint8(req + REQ.idiag_ext, 1 << (SOCK_DIAG.INET_DIAG_SKMEMINFO - 1));
  view.setUint32(req + REQ.idiag_states, 1 << SOCK_DIAG.TCP_LISTEN, le);
}

// Listener addresses repeat (0.0.0.0, ::, 127.0.0.1 for most of them): keep their text per
// address instead of formatting it again on every poll. Bounded so a host with many distinct
// addresses cannot grow it without limit.
const textCacheLimit = 1024;
const ipv4Texts = new Map<number, string>();
/** [the address as four big-endian u32s, its text], bucketed by a hash of the four. */
type Ipv6Entry = [number, number, number, number, string];
const ipv6Texts = new Map<number, Ipv6Entry[]>();
let ipv6TextCount = 0;
const zeroIpv6 = '::';

function ipv4Text(bytes: Uint8Array, at: number): string {
  const key = ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
  let text = ipv4Texts.get(key);
  if (text === undefined) {
    // The dotted form is the one src/probe/record.ts prints (its formatIpv4 is module-private).
    text = `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
    if (ipv4Texts.size >= textCacheLimit) ipv4Texts.clear();
    ipv4Texts.set(key, text);
  }
  return text;
}

function ipv6Text(view: DataView, bytes: Uint8Array, at: number): string {
  const a = view.getUint32(at);
  const b = view.getUint32(at + 4);
  const c = view.getUint32(at + 8);
  const d = view.getUint32(at + 12);
  if ((a | b | c | d) === 0) return zeroIpv6;
  // Looked up by number, not by a key string: building one per listener cost more than the rest of the lookup.
  const hash = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca6b) ^ Math.imul(c, 0xc2b2ae35) ^ d) >>> 0;
  let bucket = ipv6Texts.get(hash);
  if (bucket !== undefined) {
    for (const entry of bucket) {
      if (entry[0] === a && entry[1] === b && entry[2] === c && entry[3] === d) return entry[4];
    }
  }
  const text = formatIpv6(bytes, at);
  if (ipv6TextCount >= textCacheLimit) {
    ipv6Texts.clear();
    ipv6TextCount = 0;
    bucket = undefined;
  }
  if (bucket === undefined) ipv6Texts.set(hash, (bucket = []));
  bucket.push([a, b, c, d, text]);
  ipv6TextCount++;
  return text;
}

/**
 * Parses one or more netlink reply datagrams (concatenated) of a SOCK_DIAG_BY_FAMILY dump.
 * Pure; never reads past `bytes`; throws ParseError for malformed input and KernelError for an
 * NLMSG_ERROR (or a negative NLMSG_DONE status) from the kernel. Non-LISTEN sockets, which
 * the request does not ask for, are skipped; so are NLMSG_NOOP and attributes we do not use.
 */
export function parseSockDiagReplies(bytes: Uint8Array, options: ParseSockDiagOptions = {}): SockDiagReplies {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = true;
  const listeners = options.into ?? [];
  const end = bytes.byteLength;
  let done = false;
  let at = 0;
  while (at < end) {
    if (done) throw new ParseError(SOURCE, 'data after NLMSG_DONE', at);
    if (end - at < HDR.size) throw new ParseError(SOURCE, `truncated nlmsghdr: ${end - at} of ${HDR.size} bytes`, at);
    const length = view.getUint32(at + HDR.nlmsg_len, le);
    const type = view.getUint16(at + HDR.nlmsg_type, le);
    if (length < HDR.size) throw new ParseError(SOURCE, `nlmsg_len ${length} is shorter than its header`, at);
    if (length > end - at) throw new ParseError(SOURCE, `nlmsg_len ${length} runs past the ${end - at} bytes left`, at);
    if (options.seq !== undefined) {
      const seq = view.getUint32(at + HDR.nlmsg_seq, le);
      if (seq !== options.seq >>> 0) throw new ParseError(SOURCE, `message for request ${seq}, expected ${options.seq}`, at);
    }
    const payload = at + HDR.size;
    const messageEnd = at + length;
    switch (type) {
      case SOCK_DIAG.SOCK_DIAG_BY_FAMILY: {
        const listener = parseInetDiagMsg(view, bytes, payload, messageEnd);
        if (listener !== undefined) listeners.push(listener);
        break;
      }
      case SOCK_DIAG.NLMSG_DONE:
        // A dump's NLMSG_DONE carries the dump's return value as an int (netlink_dump_done).
        if (messageEnd - payload >= 4) {
          const status = view.getInt32(payload, le);
          if (status < 0) throw dumpError(-status, options.operation);
        }
        done = true;
        break;
      case SOCK_DIAG.NLMSG_ERROR: {
        if (messageEnd - payload < 4) throw new ParseError(SOURCE, 'NLMSG_ERROR without its error code', at);
        const error = view.getInt32(payload + ERR.error, le);
        // error 0 is an ACK, which a dump without NLM_F_ACK does not get; harmless if it comes.
        if (error < 0) throw dumpError(-error, options.operation);
        if (error > 0) throw new ParseError(SOURCE, `NLMSG_ERROR with positive error ${error}`, at);
        break;
      }
      case SOCK_DIAG.NLMSG_NOOP:
        break;
      case SOCK_DIAG.NLMSG_OVERRUN:
        throw new ParseError(SOURCE, 'NLMSG_OVERRUN: the kernel lost part of the dump', at);
      default:
        throw new ParseError(SOURCE, `unexpected message type ${type}`, at);
    }
    // The next message starts 4-aligned; the padding after the last one may be missing.
    at = Math.min(end, at + align4(length));
  }
  return { listeners, done };
}

function dumpError(errno: number, operation = 'NETLINK_SOCK_DIAG dump of TCP listeners'): KernelError {
  // ENOENT: inet_diag found no handler for the protocol (tcp_diag not built or not loadable).
  const hint = errno === 2 ? 'the kernel has no tcp_diag (CONFIG_INET_TCP_DIAG); try `modprobe tcp_diag`' : undefined;
  return new KernelError(operation, errno, hint === undefined ? {} : { hint });
}

// Most listeners share a handful of cgroups: reuse the last id's bigint rather than making one per listener.
let lastCgroupLow = -1;
let lastCgroupHigh = -1;
let lastCgroupId = 0n;

function cgroupIdAt(view: DataView, at: number): bigint {
  const low = view.getUint32(at, true);
  const high = view.getUint32(at + 4, true);
  if (low !== lastCgroupLow || high !== lastCgroupHigh) {
    lastCgroupLow = low;
    lastCgroupHigh = high;
    lastCgroupId = (BigInt(high) << 32n) | BigInt(low);
  }
  return lastCgroupId;
}

function parseInetDiagMsg(view: DataView, bytes: Uint8Array, at: number, end: number): TcpListener | undefined {
  const le = true;
  if (end - at < MSG.size) throw new ParseError(SOURCE, `inet_diag_msg truncated: ${end - at} of ${MSG.size} bytes`, at);
  const familyCode = view.getUint8(at + MSG.idiag_family);
  let family: 4 | 6;
  if (familyCode === SOCK_DIAG.AF_INET) family = 4;
  else if (familyCode === SOCK_DIAG.AF_INET6) family = 6;
  else throw new ParseError(SOURCE, `inet_diag_msg of address family ${familyCode}`, at);
  if (view.getUint8(at + MSG.idiag_state) !== SOCK_DIAG.TCP_LISTEN) return undefined;
  const id = at + MSG.id;
  const src = id + SOCKID.idiag_src;
  const listener: TcpListener = {
    family,
    localAddr: family === 4 ? ipv4Text(bytes, src) : ipv6Text(view, bytes, src),
    localPort: view.getUint16(id + SOCKID.idiag_sport, false),
    queue: view.getUint32(at + MSG.idiag_rqueue, le),
    queueMax: view.getUint32(at + MSG.idiag_wqueue, le),
    drops: undefined,
    inode: view.getUint32(at + MSG.idiag_inode, le),
    uid: view.getUint32(at + MSG.idiag_uid, le),
    cgroupId: undefined,
  };
  // Attributes follow the 4-aligned end of inet_diag_msg (72, already aligned).
  let attr = at + align4(MSG.size);
  while (attr < end) {
    if (end - attr < NLA.size) throw new ParseError(SOURCE, `truncated nlattr: ${end - attr} of ${NLA.size} bytes`, attr);
    const length = view.getUint16(attr + NLA.nla_len, le);
    const type = view.getUint16(attr + NLA.nla_type, le) & SOCK_DIAG.NLA_TYPE_MASK;
    if (length < NLA.size) throw new ParseError(SOURCE, `nla_len ${length} is shorter than its header`, attr);
    if (length > end - attr) throw new ParseError(SOURCE, `nla_len ${length} runs past the message's ${end - attr} bytes left`, attr);
    const data = attr + NLA.size;
    const dataLength = length - NLA.size;
    if (type === SOCK_DIAG.INET_DIAG_SKMEMINFO) {
      // A u32 array; older kernels send fewer entries (SK_MEMINFO_DROPS arrived in 4.x).
      const dropsAt = SOCK_DIAG.SK_MEMINFO_DROPS * 4;
      if (dataLength >= dropsAt + 4) listener.drops = view.getUint32(data + dropsAt, le);
    } else if (type === SOCK_DIAG.INET_DIAG_CGROUP_ID) {
      if (dataLength < 8) throw new ParseError(SOURCE, `INET_DIAG_CGROUP_ID of ${dataLength} bytes, expected 8`, attr);
      listener.cgroupId = cgroupIdAt(view, data);
    }
    attr = Math.min(end, attr + align4(length));
  }
  return listener;
}
