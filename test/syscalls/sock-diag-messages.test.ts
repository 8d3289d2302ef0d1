// The sock_diag parser on hand-built netlink byte streams: no kernel needed.
import t, { type Test } from 'tap';
import fc from 'fast-check';
import {
  INET_DIAG_REQUEST_SIZE,
  SOCK_DIAG,
  SOCK_DIAG_LAYOUT as L,
  parseSockDiagReplies,
  writeInetDiagRequest,
  type TcpListener,
} from '../../src/syscalls/sock-diag-messages.ts';
import { KernelError } from '../../src/syscalls/errors.ts';
import { ParseError } from '../../src/parse/parse-error.ts';

const align4 = (n: number) => (n + 3) & ~3;

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** One netlink message, padded to 4 bytes unless `pad` is false (the last one may lack it). */
function nlmsg(type: number, payload: Uint8Array, opts: { seq?: number; flags?: number; pad?: boolean } = {}): Uint8Array {
  const length = L.nlmsghdr.size + payload.length;
  const out = new Uint8Array(opts.pad === false ? length : align4(length));
  const v = new DataView(out.buffer);
  v.setUint32(L.nlmsghdr.nlmsg_len, length, true);
  v.setUint16(L.nlmsghdr.nlmsg_type, type, true);
  v.setUint16(L.nlmsghdr.nlmsg_flags, opts.flags ?? SOCK_DIAG.NLM_F_MULTI, true);
  v.setUint32(L.nlmsghdr.nlmsg_seq, opts.seq ?? 1, true);
  v.setUint32(L.nlmsghdr.nlmsg_pid, 4242, true);
  out.set(payload, L.nlmsghdr.size);
  return out;
}

/** One attribute with its padding. */
function nlattr(type: number, payload: Uint8Array): Uint8Array {
  const length = L.nlattr.size + payload.length;
  const out = new Uint8Array(align4(length));
  const v = new DataView(out.buffer);
  v.setUint16(L.nlattr.nla_len, length, true);
  v.setUint16(L.nlattr.nla_type, type, true);
  out.set(payload, L.nlattr.size);
  return out;
}

function u32s(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  values.forEach((value, i) => new DataView(out.buffer).setUint32(i * 4, value, true));
  return out;
}

function u64(value: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, value, true);
  return out;
}

/** SKMEMINFO with `drops` at SK_MEMINFO_DROPS, SK_MEMINFO_VARS (9) entries. */
const skmeminfo = (drops: number) => nlattr(SOCK_DIAG.INET_DIAG_SKMEMINFO, u32s(0, 131072, 0, 16384, 0, 0, 0, 0, drops));
const cgroup = (id: bigint) => nlattr(SOCK_DIAG.INET_DIAG_CGROUP_ID, u64(id));

interface MsgFields {
  family?: number;
  state?: number;
  port?: number;
  addr?: number[];
  rqueue?: number;
  wqueue?: number;
  uid?: number;
  inode?: number;
}

function inetDiagMsg(f: MsgFields, ...attrs: Uint8Array[]): Uint8Array {
  const m = L.inet_diag_msg;
  const id = L.inet_diag_sockid;
  const body = new Uint8Array(m.size);
  const v = new DataView(body.buffer);
  v.setUint8(m.idiag_family, f.family ?? SOCK_DIAG.AF_INET);
  v.setUint8(m.idiag_state, f.state ?? SOCK_DIAG.TCP_LISTEN);
  v.setUint16(m.id + id.idiag_sport, f.port ?? 8080, false);
  body.set(f.addr ?? [127, 0, 0, 1], m.id + id.idiag_src);
  // A listener's cookie and peer are not zero-filled by every kernel; the parser ignores them.
  v.setUint32(m.id + id.idiag_cookie, 0xdeadbeef, true);
  v.setUint32(m.idiag_rqueue, f.rqueue ?? 0, true);
  v.setUint32(m.idiag_wqueue, f.wqueue ?? 128, true);
  v.setUint32(m.idiag_uid, f.uid ?? 1000, true);
  v.setUint32(m.idiag_inode, f.inode ?? 12345, true);
  return concat(body, ...attrs);
}

const listenerMsg = (f: MsgFields, ...attrs: Uint8Array[]) => nlmsg(SOCK_DIAG.SOCK_DIAG_BY_FAMILY, inetDiagMsg(f, ...attrs));
const done = (status = 0, seq = 1) => nlmsg(SOCK_DIAG.NLMSG_DONE, u32s(status >>> 0), { seq });

function nlmsgerr(errno: number): Uint8Array {
  const payload = new Uint8Array(L.nlmsgerr.size);
  new DataView(payload.buffer).setInt32(L.nlmsgerr.error, -errno, true);
  return nlmsg(SOCK_DIAG.NLMSG_ERROR, payload, { flags: 0 });
}

function throwsParseError(t: Test, fn: () => unknown, pattern: RegExp, what: string): void {
  try {
    fn();
  } catch (error) {
    t.ok(error instanceof ParseError && pattern.test(error.message), what, { error: String(error) });
    return;
  }
  t.fail(`${what}: did not throw`);
}

t.test('the request: SOCK_DIAG_BY_FAMILY dump of TCP listeners with SKMEMINFO', async (t) => {
  const bytes = new Uint8Array(INET_DIAG_REQUEST_SIZE + 8).fill(0xaa);
  const v = new DataView(bytes.buffer);
  writeInetDiagRequest(v, 4, 6, 77);
  t.equal(INET_DIAG_REQUEST_SIZE, 72);
  t.equal(v.getUint32(4 + 0, true), 72, 'nlmsg_len');
  t.equal(v.getUint16(4 + 4, true), 20, 'nlmsg_type SOCK_DIAG_BY_FAMILY');
  t.equal(v.getUint16(4 + 6, true), 0x301, 'NLM_F_REQUEST | NLM_F_DUMP');
  t.equal(v.getUint32(4 + 8, true), 77, 'nlmsg_seq');
  t.equal(v.getUint32(4 + 12, true), 0, 'nlmsg_pid');
  t.equal(bytes[4 + 16], 10, 'sdiag_family AF_INET6');
  t.equal(bytes[4 + 17], 6, 'sdiag_protocol IPPROTO_TCP');
  t.equal(bytes[4 + 18], 1 << 6, 'idiag_ext: INET_DIAG_SKMEMINFO (7) is bit 6');
  t.equal(bytes[4 + 19], 0, 'pad');
  t.equal(v.getUint32(4 + 20, true), 1 << 10, 'idiag_states: TCP_LISTEN');
  t.ok(
    bytes.subarray(4 + 24, 4 + 72).every((b) => b === 0),
    'socket id all zero',
  );
  t.equal(bytes[3], 0xaa, 'nothing before the offset written');
  t.equal(bytes[4 + 72], 0xaa, 'nothing after the request written');
  writeInetDiagRequest(v, 0, 4, 1);
  t.equal(bytes[16], 2, 'AF_INET');
});

t.test('listeners from several messages per datagram, split over datagrams', async (t) => {
  const first = concat(
    listenerMsg({ port: 80, addr: [0, 0, 0, 0], rqueue: 4, wqueue: 3, inode: 111, uid: 0 }, skmeminfo(12), cgroup(9n)),
    listenerMsg({ port: 443, addr: [10, 1, 2, 3], rqueue: 0, wqueue: 4096, inode: 222 }, skmeminfo(0)),
  );
  const r1 = parseSockDiagReplies(first);
  t.equal(r1.done, false, 'no NLMSG_DONE yet');
  t.same(r1.listeners, [
    { family: 4, localAddr: '0.0.0.0', localPort: 80, queue: 4, queueMax: 3, drops: 12, inode: 111, uid: 0, cgroupId: 9n },
    { family: 4, localAddr: '10.1.2.3', localPort: 443, queue: 0, queueMax: 4096, drops: 0, inode: 222, uid: 1000, cgroupId: undefined },
  ] satisfies TcpListener[]);

  const v6 = (...groups: number[]) => groups.flatMap((g) => [g >> 8, g & 0xff]);
  const second = concat(
    listenerMsg({ family: SOCK_DIAG.AF_INET6, port: 8443, addr: v6(0, 0, 0, 0, 0, 0, 0, 0) }, cgroup(1n), skmeminfo(5)),
    listenerMsg({ family: SOCK_DIAG.AF_INET6, port: 22, addr: v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1) }),
    listenerMsg({ family: SOCK_DIAG.AF_INET6, port: 23, addr: v6(0, 0, 0, 0, 0, 0xffff, 0x7f00, 1) }),
    done(),
  );
  const into: TcpListener[] = [...r1.listeners];
  const r2 = parseSockDiagReplies(second, { into });
  t.equal(r2.listeners, into, 'appends to the given array');
  t.equal(r2.done, true);
  t.same(
    into.slice(2).map((l) => [l.family, l.localAddr, l.localPort, l.drops, l.cgroupId]),
    [
      [6, '::', 8443, 5, 1n],
      [6, '2001:db8::1', 22, undefined, undefined],
      // IPv4-mapped stays an IPv6 address of an IPv6 socket, as the kernel gives it.
      [6, '::ffff:7f00:1', 23, undefined, undefined],
    ],
  );
  t.same(parseSockDiagReplies(new Uint8Array(0)), { listeners: [], done: false }, 'an empty buffer holds nothing');
});

t.test('attributes: padding, unknown types, flag bits, short SKMEMINFO', async (t) => {
  // INET_DIAG_SHUTDOWN (u8, 3 bytes of padding), INET_DIAG_SKV6ONLY (u8), INET_DIAG_SOCKOPT (u16),
  // unknown type 99, a nested-flagged attribute: all skipped, the ones after them still read.
  const odd = [
    nlattr(8, new Uint8Array([0])),
    nlattr(11, new Uint8Array([1])),
    nlattr(22, new Uint8Array([3, 0])),
    nlattr(99, new Uint8Array(13)),
    nlattr(0x8000 | 30, u32s(1, 2)),
  ];
  const [l] = parseSockDiagReplies(listenerMsg({}, ...odd, skmeminfo(7), cgroup(0xffff_ffff_ffffn))).listeners;
  t.equal(l?.drops, 7);
  t.equal(l?.cgroupId, 0xffff_ffff_ffffn);
  const withFlag = nlattr(SOCK_DIAG.INET_DIAG_CGROUP_ID | 0x4000, u64(5n));
  t.equal(parseSockDiagReplies(listenerMsg({}, withFlag)).listeners[0]?.cgroupId, 5n, 'type read under NLA_TYPE_MASK');
  // Kernels before SK_MEMINFO_DROPS sent fewer entries: drops unknown, not an error.
  const short = nlattr(SOCK_DIAG.INET_DIAG_SKMEMINFO, u32s(0, 1, 2, 3, 4, 5, 6, 7));
  t.equal(parseSockDiagReplies(listenerMsg({}, short)).listeners[0]?.drops, undefined);
  // No attributes at all (what a kernel without CGROUP_ID and without the extension sends).
  const [bare] = parseSockDiagReplies(listenerMsg({})).listeners;
  t.equal(bare?.drops, undefined);
  t.equal(bare?.cgroupId, undefined);
  // The last attribute and the last message without their trailing padding.
  const unpadded = nlmsg(
    SOCK_DIAG.SOCK_DIAG_BY_FAMILY,
    concat(inetDiagMsg({}), skmeminfo(3), nlattr(8, new Uint8Array([0])).subarray(0, 5)),
    { pad: false },
  );
  t.equal(unpadded.length % 4, 1);
  t.equal(parseSockDiagReplies(unpadded).listeners[0]?.drops, 3);
});

t.test('control messages and other states', async (t) => {
  const noop = nlmsg(SOCK_DIAG.NLMSG_NOOP, new Uint8Array(0));
  const established = listenerMsg({ state: 1, port: 9 });
  const ack = nlmsgerr(0);
  const r = parseSockDiagReplies(concat(noop, established, ack, listenerMsg({ port: 10 }), done()));
  t.same(
    r.listeners.map((l) => l.localPort),
    [10],
    'NOOP, an ACK and a non-LISTEN socket are skipped',
  );
  t.equal(r.done, true);
  // NLMSG_DONE with no payload (older netlink) is still the end.
  t.equal(parseSockDiagReplies(nlmsg(SOCK_DIAG.NLMSG_DONE, new Uint8Array(0))).done, true);
});

t.test('NLMSG_ERROR and a failed dump are KernelErrors', async (t) => {
  const error = t.throws(() => parseSockDiagReplies(concat(listenerMsg({}), nlmsgerr(1)), { operation: 'the dump' })) as unknown;
  t.ok(error instanceof KernelError, 'a KernelError');
  t.match(error, { operation: 'the dump', errno: 1, code: 'EPERM' });
  const enoent = t.throws(() => parseSockDiagReplies(nlmsgerr(2))) as unknown;
  t.ok(enoent instanceof KernelError);
  t.match((enoent as Error).message, /tcp_diag/, 'ENOENT names the missing module');
  const failedDump = t.throws(() => parseSockDiagReplies(done(-4))) as unknown;
  t.ok(failedDump instanceof KernelError, 'a negative NLMSG_DONE status');
  t.match(failedDump, { code: 'EINTR' });
  throwsParseError(
    t,
    () => parseSockDiagReplies(nlmsg(SOCK_DIAG.NLMSG_ERROR, new Uint8Array(2))),
    /without its error code/,
    'NLMSG_ERROR too short',
  );
});

t.test('malformed input is a ParseError naming the offset', async (t) => {
  const good = concat(listenerMsg({}, skmeminfo(1)), done());
  throwsParseError(t, () => parseSockDiagReplies(good.subarray(0, 10)), /truncated nlmsghdr: 10 of 16 bytes \(at byte 0\)/, 'short header');
  throwsParseError(t, () => parseSockDiagReplies(good.subarray(0, 60)), /nlmsg_len 128 runs past the 60 bytes left/, 'message cut short');
  const tiny = Uint8Array.from(good);
  new DataView(tiny.buffer).setUint32(0, 8, true);
  throwsParseError(t, () => parseSockDiagReplies(tiny), /nlmsg_len 8 is shorter than its header/, 'nlmsg_len < 16');
  const shortMsg = nlmsg(SOCK_DIAG.SOCK_DIAG_BY_FAMILY, new Uint8Array(40));
  throwsParseError(
    t,
    () => parseSockDiagReplies(shortMsg),
    /inet_diag_msg truncated: 40 of 72 bytes/,
    'payload shorter than inet_diag_msg',
  );
  throwsParseError(t, () => parseSockDiagReplies(listenerMsg({ family: 1 })), /address family 1/, 'AF_UNIX in an inet dump');
  const badAttr = listenerMsg({}, nlattr(7, u32s(1)));
  new DataView(badAttr.buffer).setUint16(16 + 72, 200, true);
  throwsParseError(t, () => parseSockDiagReplies(badAttr), /nla_len 200 runs past/, 'attribute past its message');
  new DataView(badAttr.buffer).setUint16(16 + 72, 2, true);
  throwsParseError(t, () => parseSockDiagReplies(badAttr), /nla_len 2 is shorter/, 'attribute shorter than its header');
  const halfAttr = nlmsg(SOCK_DIAG.SOCK_DIAG_BY_FAMILY, concat(inetDiagMsg({}), new Uint8Array(2)), { pad: false });
  throwsParseError(t, () => parseSockDiagReplies(halfAttr), /truncated nlattr: 2 of 4/, 'two stray bytes after inet_diag_msg');
  throwsParseError(t, () => parseSockDiagReplies(listenerMsg({}, nlattr(21, u32s(1)))), /CGROUP_ID of 4 bytes/, 'short cgroup id');
  throwsParseError(t, () => parseSockDiagReplies(concat(done(), listenerMsg({}))), /data after NLMSG_DONE/, 'data after the end');
  throwsParseError(t, () => parseSockDiagReplies(nlmsg(0x30, new Uint8Array(4))), /unexpected message type 48/, 'unknown type');
  throwsParseError(t, () => parseSockDiagReplies(nlmsg(SOCK_DIAG.NLMSG_OVERRUN, new Uint8Array(0))), /NLMSG_OVERRUN/, 'overrun');
  throwsParseError(t, () => parseSockDiagReplies(good, { seq: 2 }), /message for request 1, expected 2/, 'a reply to another request');
  t.equal(parseSockDiagReplies(good, { seq: 1 }).done, true, 'the right seq passes');
});

t.test('a view into a larger buffer: reads only its own bytes', async (t) => {
  // The poller parses a subarray of its receive buffer: bytes after it must not be read.
  const message = listenerMsg({ port: 1234 }, skmeminfo(2));
  const big = new Uint8Array(message.length + 64).fill(0xff);
  big.set(message, 32);
  const r = parseSockDiagReplies(big.subarray(32, 32 + message.length));
  t.same(
    r.listeners.map((l) => [l.localPort, l.drops]),
    [[1234, 2]],
  );
  throwsParseError(
    t,
    () => parseSockDiagReplies(big.subarray(32, 32 + message.length - 4)),
    /runs past/,
    'the length is the view, not the buffer',
  );
});

t.test('fuzz: truncations, corruptions and random bytes only ever throw ParseError or KernelError', async (t) => {
  const stream = concat(
    listenerMsg({ port: 1, rqueue: 1 }, skmeminfo(1), cgroup(1n)),
    listenerMsg(
      { family: SOCK_DIAG.AF_INET6, port: 2, addr: [0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 1] },
      cgroup(2n),
      skmeminfo(2),
    ),
    listenerMsg({ port: 3 }, nlattr(8, new Uint8Array([0]))),
    done(),
  );
  const complete = parseSockDiagReplies(stream);
  t.equal(complete.listeners.length, 3);

  // Every truncation: either a prefix ending on a message boundary (fewer listeners, done
  // false) or a ParseError; never another exception, never more listeners than there are.
  let parsed = 0;
  let rejected = 0;
  for (let cut = 0; cut < stream.length; cut++) {
    try {
      const r = parseSockDiagReplies(stream.subarray(0, cut));
      t.ok(r.listeners.length <= 3 && !r.done, `cut at ${cut} parses as a prefix`);
      parsed++;
    } catch (error) {
      if (!(error instanceof ParseError)) t.fail(`cut at ${cut}: ${String(error)}`);
      rejected++;
    }
  }
  t.ok(parsed > 0 && rejected > 0, `${parsed} prefixes parsed, ${rejected} rejected`);

  const allowed = (error: unknown) => error instanceof ParseError || error instanceof KernelError;
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(stream.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
      fc.nat(stream.length),
      (flips, cut) => {
        const bytes = Uint8Array.from(stream);
        for (const [at, value] of flips) bytes[at] = value;
        try {
          parseSockDiagReplies(bytes.subarray(0, cut));
        } catch (error) {
          if (!allowed(error)) throw error;
        }
      },
    ),
    { numRuns: 5000 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
      try {
        parseSockDiagReplies(bytes);
      } catch (error) {
        if (!allowed(error)) throw error;
      }
    }),
    { numRuns: 5000 },
  );
  t.pass('no other exception');
});
