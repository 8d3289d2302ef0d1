import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { Btf, BtfKind, KERNEL_BTF_PATH, type MemberOffset } from '../../src/syscalls/btf.ts';
import { ParseError } from '../../src/parse/parse-error.ts';
import { bpfRequired, kernelTest } from '../helpers/kernel.ts';
import { TCPACCEPT_MEMBERS } from './fixtures/tcpaccept-members.ts';
import { BtfBuilder, type Member } from '../helpers/btf-builder.ts';

/** Patches a little-endian u32 at `at` in a copy of `blob`. */
function patched(blob: Uint8Array, at: number, value: number): Uint8Array {
  const copy = Uint8Array.from(blob);
  new DataView(copy.buffer).setUint32(at, value >>> 0, true);
  return copy;
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

const at = (byteOffset: number, size: number): MemberOffset => ({ byteOffset, bitOffset: byteOffset * 8, size });

// A model of the kernel's sock_common/sock/inet_sock nesting, plus the other shapes tcpaccept meets.
function kernelLikeBlob(): { builder: BtfBuilder; ids: Record<string, number> } {
  const b = new BtfBuilder();
  const u8 = b.int('unsigned char', 1);
  const u16 = b.int('short unsigned int', 2);
  const u32 = b.int('unsigned int', 4);
  const u64 = b.int('long long unsigned int', 8);
  const long = b.int('long int', 8, { signed: true });
  const be16 = b.typedef('__be16', b.typedef('__u16', u16));
  const be32 = b.typedef('__be32', u32);
  const addrpair = b.typedef('__addrpair', u64);
  // struct { __be32 skc_daddr; __be32 skc_rcv_saddr; }
  const addrs = b.struct('', 8, [
    ['skc_daddr', be32, 0],
    ['skc_rcv_saddr', be32, 32],
  ]);
  const addrUnion = b.union('', 8, [
    ['skc_addrpair', addrpair, 0],
    ['', addrs, 0],
  ]);
  const ports = b.struct('', 4, [
    ['skc_dport', be16, 0],
    ['skc_num', u16, 16],
  ]);
  const portUnion = b.union('', 4, [
    ['skc_portpair', u32, 0],
    ['', ports, 0],
  ]);
  const in6 = b.struct('in6_addr', 16, [['s6_addr', b.array(u8, u32, 16), 0]]);
  const sockCommon = b.struct('sock_common', 56, [
    ['', addrUnion, 0],
    ['', portUnion, 64],
    ['skc_family', b.volatile(u16), 96],
    ['skc_state', b.constant(b.volatile(u8)), 112],
    ['skc_v6_daddr', in6, 128],
    ['skc_v6_rcv_saddr', in6, 256],
  ]);
  // Old-style sock flags: kind_flag bitfields packed into one u32.
  const sock = b.struct('sock', 72, [
    ['__sk_common', sockCommon, 0],
    ['sk_padding', u32, 448, 1],
    ['sk_kern_sock', u32, 449, 1],
    ['sk_no_check_tx', u32, 450, 1],
    ['sk_userlocks', u32, 452, 4],
    ['sk_protocol', u32, 456, 8],
    ['sk_type', u32, 464, 16],
    ['sk_lingertime', long, 512, 0],
  ]);
  const inetSock = b.struct('inet_sock', 80, [
    ['sk', sock, 0],
    ['inet_saddr', be32, 576],
    ['inet_sport', be16, 608],
  ]);
  const sockPtr = b.ptr(sock);
  const socket = b.struct('socket', 32, [
    ['state', u32, 0],
    ['type', b.int('short int', 2, { signed: true }), 32],
    ['flags', long, 64],
    ['sk', sockPtr, 192],
  ]);
  return { builder: b, ids: { u8, u16, u32, u64, long, sock, sockCommon, inetSock, socket, in6 } };
}

t.test('struct, union and anonymous nesting', async (t) => {
  const btf = Btf.parse(kernelLikeBlob().builder.build());
  t.same(btf.offsetOf('sock_common', 'skc_daddr'), at(0, 4), 'anonymous struct inside anonymous union');
  t.same(btf.offsetOf('sock_common', 'skc_rcv_saddr'), at(4, 4));
  t.same(btf.offsetOf('sock_common', 'skc_addrpair'), at(0, 8));
  t.same(btf.offsetOf('sock_common', 'skc_dport'), at(8, 2));
  t.same(btf.offsetOf('sock_common', 'skc_num'), at(10, 2));
  t.same(btf.offsetOf('sock_common', 'skc_family'), at(12, 2), 'through volatile');
  t.same(btf.offsetOf('sock_common', 'skc_state'), at(14, 1), 'through const volatile');
  t.same(btf.offsetOf('sock_common', 'skc_v6_daddr'), at(16, 16));
  t.same(btf.offsetOf('sock_common', 'skc_v6_rcv_saddr.s6_addr'), at(32, 16), 'array member size');
  t.same(btf.offsetOf('sock', '__sk_common.skc_num'), at(10, 2));
  t.same(btf.offsetOf('sock', 'skc_num'), at(10, 2), 'found inside the embedded __sk_common');
  t.same(btf.offsetOf('inet_sock', 'sk.__sk_common.skc_v6_rcv_saddr'), at(32, 16));
  t.same(btf.offsetOf('inet_sock', 'skc_family'), at(12, 2), 'two embedding levels down');
  t.same(btf.offsetOf('inet_sock', 'inet_sport'), at(76, 2));
  t.same(btf.offsetOf('socket', 'sk'), at(24, 8), 'pointer size taken from long');
  t.same(btf.offsetOf('socket', 'type'), at(4, 2));
  t.same(btf.offsetOf('struct socket', 'flags'), at(8, 8), '"struct " prefix accepted');
  t.equal(btf.sizeOf('sock_common'), 56);
  t.equal(btf.sizeOf('inet_sock'), 80);
  t.equal(btf.sizeOf('__be16'), 2, 'typedef chain');
  t.equal(btf.sizeOf('long int'), 8);
});

t.test('bitfields with kind_flag', async (t) => {
  const btf = Btf.parse(kernelLikeBlob().builder.build());
  t.same(btf.offsetOf('sock', 'sk_padding'), { byteOffset: 56, bitOffset: 448, bitSize: 1, size: 4 });
  t.same(btf.offsetOf('sock', 'sk_no_check_tx'), { byteOffset: 56, bitOffset: 450, bitSize: 1, size: 4 });
  t.same(btf.offsetOf('sock', 'sk_userlocks'), { byteOffset: 56, bitOffset: 452, bitSize: 4, size: 4 });
  t.same(btf.offsetOf('sock', 'sk_protocol'), { byteOffset: 57, bitOffset: 456, bitSize: 8, size: 4 });
  t.same(btf.offsetOf('sock', 'sk_type'), { byteOffset: 58, bitOffset: 464, bitSize: 16, size: 4 });
  t.same(btf.offsetOf('sock', 'sk_lingertime'), at(64, 8), 'bitfield size 0 in a kind_flag struct is a plain member');
});

t.test('bitfields in the pre-kind_flag encoding (narrow int types)', async (t) => {
  const b = new BtfBuilder();
  const u32 = b.int('unsigned int', 4);
  const threeBits = b.int('unsigned int', 4, { bits: 3 });
  const shifted = b.int('unsigned int', 4, { bits: 5, bitOffset: 2 });
  b.struct('flags', 8, [
    ['low', threeBits, 0],
    ['mid', shifted, 3],
    ['word', u32, 32],
  ]);
  const btf = Btf.parse(b.build());
  t.same(btf.offsetOf('flags', 'low'), { byteOffset: 0, bitOffset: 0, bitSize: 3, size: 4 });
  t.same(btf.offsetOf('flags', 'mid'), { byteOffset: 0, bitOffset: 5, bitSize: 5, size: 4 });
  t.same(btf.offsetOf('flags', 'word'), at(4, 4));
});

t.test('typedef chains, qualifiers and type tags', async (t) => {
  const b = new BtfBuilder();
  const u32 = b.int('unsigned int', 4);
  const point = b.struct('point', 8, [
    ['x', u32, 0],
    ['y', u32, 32],
  ]);
  const pointT = b.typedef('point_t', point);
  const point2T = b.typedef('point2_t', b.constant(b.volatile(b.restrict(pointT))));
  const anonT = b.typedef('anon_t', b.struct('', 4, [['only', u32, 0]]));
  const tagged = b.typeTag('rcu', b.typedef('u32_t', u32));
  b.struct('holder', 28, [
    ['head', b.typedef('u8_t', b.int('unsigned char', 1)), 0],
    ['p', point2T, 32],
    ['anon', anonT, 96],
    ['tagged', tagged, 128],
    ['grid', b.array(b.array(pointT, u32, 2), u32, 1), 160],
  ]);
  const btf = Btf.parse(b.build());
  t.same(btf.offsetOf('holder', 'p.y'), at(8, 4), 'member path through const volatile restrict typedef');
  t.same(btf.offsetOf('holder', 'p'), at(4, 8));
  t.same(btf.offsetOf('holder', 'anon.only'), at(12, 4));
  t.same(btf.offsetOf('holder', 'tagged'), at(16, 4));
  t.same(btf.offsetOf('holder', 'grid'), at(20, 16), 'nested arrays of a typedef');
  t.same(btf.offsetOf('point_t', 'y'), at(4, 4), 'struct named through a typedef');
  t.same(btf.offsetOf('anon_t', 'only'), at(0, 4), 'anonymous struct named only by its typedef');
  t.equal(btf.sizeOf('point2_t'), 8);
  t.equal(btf.sizeOf('u32_t'), 4);
});

t.test('every BTF kind parses; sizes of the sized ones', async (t) => {
  const b = new BtfBuilder();
  const int = b.int('int', 4, { signed: true });
  const long = b.int('long int', 4, { signed: true }); // a 32-bit target
  const proto = b.funcProto(int, [
    ['fd', int],
    ['', long],
  ]);
  b.func('do_accept', proto);
  const counter = b.variable('counter', int);
  b.datasec('.data', 4, [[counter, 0, 4]]);
  b.float('double', 8);
  b.enumeration('tcp_state', 4, [
    ['TCP_ESTABLISHED', 1],
    ['TCP_SYN_RECV', 3],
  ]);
  b.enum64('big', 8, [['HUGE', 1n << 40n]]);
  b.fwd('opaque');
  b.fwd('opaque_union', true);
  const withPointer = b.struct('with_pointer', 8, [
    ['ptr', b.ptr(b.volatile(int)), 0],
    ['other', long, 32],
  ]);
  b.declTag('user', withPointer, 0);
  b.restrict(int);
  b.typeTag('user', int);
  const btf = Btf.parse(b.build());
  t.equal(btf.typeCount, b.nextId, 'void plus every record');
  t.equal(btf.sizeOf('double'), 8);
  t.equal(btf.sizeOf('tcp_state'), 4);
  t.equal(btf.sizeOf('big'), 8);
  t.same(btf.offsetOf('with_pointer', 'ptr'), at(0, 4), 'pointer size follows long on a 32-bit target');
  t.throws(() => btf.sizeOf('opaque'), { message: /only has a forward declaration of opaque, not its size/ });
  t.throws(() => btf.offsetOf('opaque_union', 'x'), { message: /forward declaration of struct opaque_union/ });
  t.throws(() => btf.sizeOf('do_accept'), { message: /no type named 'do_accept'/ }, 'functions are not looked up');
});

t.test('byte order, alignment and header length do not change the result', async (t) => {
  const { builder } = kernelLikeBlob();
  const expected = Btf.parse(builder.build()).offsetOf('inet_sock', 'sk.__sk_common.skc_num');
  for (const [what, blob] of [
    ['big-endian', builder.build({ bigEndian: true })],
    ['unaligned buffer', builder.build({ leadingBytes: 1 })],
    ['longer header', builder.build({ headerPadding: 8 })],
  ] as const) {
    t.same(Btf.parse(blob).offsetOf('inet_sock', 'sk.__sk_common.skc_num'), expected, what);
  }
});

t.test('several structs with one name', async (t) => {
  const b = new BtfBuilder();
  const u32 = b.int('unsigned int', 4);
  b.struct('dup', 8, [
    ['same', u32, 0],
    ['moved', u32, 32],
  ]);
  b.struct('dup', 12, [
    ['same', u32, 0],
    ['moved', u32, 64],
    ['extra', u32, 32],
  ]);
  const btf = Btf.parse(b.build());
  t.same(btf.offsetOf('dup', 'same'), at(0, 4), 'definitions that agree are fine');
  t.same(btf.offsetOf('dup', 'extra'), at(4, 4), 'a member only one definition has');
  t.throws(() => btf.offsetOf('dup', 'moved'), { message: /2 different definitions of dup .* disagree about moved/ });
});

t.test('errors a person can act on', async (t) => {
  const btf = Btf.parse(kernelLikeBlob().builder.build(), 'test blob');
  t.throws(() => btf.offsetOf('sok', 'x'), { message: /test blob has no struct or union named 'sok' \(similar: sock/ });
  t.throws(() => btf.offsetOf('sock', 'sk_protocl'), {
    message: /struct sock \(in sock\) has no member 'sk_protocl' \(similar: sk_protocol\)/,
  });
  t.throws(() => btf.offsetOf('sock', '__sk_common.qqqqqqqqq'), {
    message: /struct sock_common \(in sock.__sk_common\) has no member 'qqqqqqqqq' \(members: skc_addrpair, skc_daddr/,
  });
  t.throws(() => btf.offsetOf('socket', 'sk.skc_num'), { message: /socket.sk is a pointer.*look up the pointed-to struct separately/ });
  t.throws(() => btf.offsetOf('socket', 'state.x'), { message: /socket.state is an int, not a struct or union/ });
  t.throws(() => btf.offsetOf('sock', 'sk_type.x'), { message: /not a struct or union|is a bitfield/ });
  t.throws(() => btf.offsetOf('sock', ''), { message: /invalid member path/ });
  t.throws(() => btf.offsetOf('sock', '__sk_common..skc_num'), { message: /invalid member path/ });
  t.throws(() => btf.sizeOf('sock_comon'), { message: /no type named 'sock_comon' \(similar: sock_common/ });

  const b = new BtfBuilder();
  const u16 = b.int('u16', 2);
  const half = b.struct('half', 2, [['x', u16, 0]]);
  b.struct('twice', 4, [
    ['a', half, 0],
    ['b', half, 16],
  ]);
  t.throws(() => Btf.parse(b.build()).offsetOf('twice', 'x'), { message: /'x' in twice is ambiguous: twice.a.x, twice.b.x/ });
});

t.test('malformed blobs are ParseErrors', async (t) => {
  const b = new BtfBuilder();
  const u32 = b.int('unsigned int', 4);
  b.struct('s', 4, [['m', u32, 0]]);
  const good = b.build();
  // Layout of `good`: header 0..23, type section 24.. (int: 16 bytes, struct: 24 bytes), strings after.
  const typeLength = 40;
  throwsParseError(t, () => Btf.parse(good.subarray(0, 10)), /shorter than a BTF header/, 'truncated header');
  throwsParseError(t, () => Btf.parse(patched(good, 0, 0x1234)), /bad magic/, 'bad magic');
  throwsParseError(t, () => Btf.parse(Uint8Array.from(good, (v, i) => (i === 2 ? 2 : v))), /version 2/, 'version');
  throwsParseError(t, () => Btf.parse(patched(good, 4, 1 << 20)), /header length/, 'header longer than blob');
  throwsParseError(t, () => Btf.parse(patched(good, 12, typeLength + 400)), /type section .* past the end/, 'type section too long');
  throwsParseError(t, () => Btf.parse(patched(good, 20, 4096)), /string section .* past the end/, 'string section too long');
  throwsParseError(t, () => Btf.parse(patched(patched(good, 12, 38), 16, 38)), /not a multiple of 4/, 'odd type length');
  throwsParseError(t, () => Btf.parse(patched(good, 24 + 4, 0x1f << 24)), /unknown kind 31/, 'unknown kind');
  throwsParseError(
    t,
    () => Btf.parse(patched(good, 24 + 16 + 4, (BtfKind.STRUCT << 24) | 9)),
    /runs past the type section/,
    'vlen too large',
  );
  throwsParseError(t, () => Btf.parse(patched(good, 12, 36)), /truncated|runs past/, 'record cut by the section end');
  const noLeadingNul = Uint8Array.from(good);
  noLeadingNul[24 + typeLength] = 65;
  throwsParseError(t, () => Btf.parse(noLeadingNul), /start with the empty string/, 'string section start');
  const noTrailingNul = Uint8Array.from(good);
  noTrailingNul[noTrailingNul.length - 1] = 65;
  throwsParseError(t, () => Btf.parse(noTrailingNul), /end with a NUL/, 'string section end');

  const badMemberType = Btf.parse(patched(good, 24 + 16 + 12 + 4, 999));
  throwsParseError(t, () => badMemberType.offsetOf('s', 'm'), /type id 999/, 'member type out of range');
  const badName = Btf.parse(patched(good, 24 + 16 + 12, 5000));
  throwsParseError(t, () => badName.offsetOf('s', 'm'), /name offset 5000/, 'member name past the strings');
  const misaligned = Btf.parse(patched(good, 24 + 16 + 12 + 8, 3));
  throwsParseError(t, () => misaligned.offsetOf('s', 'm'), /not byte-aligned/, 'unaligned non-bitfield member');
});

t.test('cycles and fan-out in the type graph end with ParseError', async (t) => {
  const b = new BtfBuilder();
  const u32 = b.int('unsigned int', 4);
  const loop = b.typedef('loop_t', b.nextId + 1);
  b.typedef('loop2_t', loop);
  b.struct('uses_loop', 4, [['m', loop, 0]]);
  const selfId = b.nextId;
  b.struct('self', 4, [
    ['', selfId, 0],
    ['x', u32, 0],
  ]);
  const arrayId = b.nextId;
  b.array(arrayId, u32, 2);
  b.struct('uses_array', 4, [['a', arrayId, 0]]);
  // 8 levels of 64 anonymous members each: 64^8 paths if nothing bounded the search.
  let level = b.struct('', 4, [['leaf', u32, 0]]);
  for (let depth = 0; depth < 8; depth++) {
    level = b.struct(
      '',
      4,
      Array.from({ length: 64 }, (): Member => ['', level, 0]),
    );
  }
  b.struct('fan', 4, [['', level, 0]]);
  const btf = Btf.parse(b.build());
  throwsParseError(t, () => btf.offsetOf('uses_loop', 'm'), /chain of more than 64/, 'typedef cycle');
  throwsParseError(t, () => btf.sizeOf('loop_t'), /chain of more than 64/, 'sizeOf a typedef cycle');
  throwsParseError(t, () => btf.offsetOf('self', 'nothing'), /deeper than 64|more than 1000000/, 'struct containing itself anonymously');
  throwsParseError(t, () => btf.offsetOf('uses_array', 'a'), /arrays deeper than 64/, 'array of itself');
  const started = performance.now();
  throwsParseError(t, () => btf.offsetOf('fan', 'nothing'), /more than 1000000 members/, 'anonymous fan-out');
  t.ok(performance.now() - started < 5000, 'fan-out gives up quickly');
});

t.test('mutated blobs parse or throw Error, never crash or hang', async (t) => {
  const good = kernelLikeBlob().builder.build();
  // Missing structs or members are ordinary Errors; RangeError/TypeError would mean we read
  // outside the blob or followed something that is not there.
  const rethrowUnexpected = (error: unknown): void => {
    if (!(error instanceof Error) || error instanceof RangeError || error instanceof TypeError) throw error;
  };
  let outcomes = 0;
  const exercise = (blob: Uint8Array): void => {
    outcomes++;
    let btf: Btf;
    try {
      btf = Btf.parse(blob);
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      return;
    }
    for (const query of [
      () => btf.offsetOf('inet_sock', 'sk.__sk_common.skc_num'),
      () => btf.offsetOf('sock', 'skc_daddr'),
      () => btf.offsetOf('sock', 'sk_protocol'),
      () => btf.sizeOf('sock_common'),
      () => btf.offsetOf('socket', 'sk'),
    ]) {
      try {
        query();
      } catch (error) {
        rethrowUnexpected(error);
      }
    }
  };
  for (let i = 0; i < good.length; i++) {
    for (const value of [0x00, 0xff, good[i]! ^ 0x10]) {
      const copy = Uint8Array.from(good);
      copy[i] = value;
      exercise(copy);
    }
  }
  for (let cut = 0; cut < good.length; cut += 3) exercise(good.subarray(0, cut));
  t.ok(outcomes > 3 * good.length, `${outcomes} mutated blobs handled`);
});

// ----- the real kernel ---------------------------------------------------------------------

/**
 * An independent reading of `bpftool btf dump ... format raw`, e.g.
 *   [2953] STRUCT 'sock' size=784 vlen=109
 *   	'__sk_common' type_id=3777 bits_offset=0
 *   	'sk_padding' type_id=9 bits_offset=4096 bitfield_size=1
 */
class BpftoolRawDump {
  private readonly types = new Map<
    number,
    {
      kind: string;
      name: string;
      size?: number;
      typeId?: number;
      pointee?: number;
      nelems?: number;
      members: Array<{ name: string; typeId: number; bits: number; bitfield?: number }>;
    }
  >();
  private readonly byName = new Map<string, number[]>();

  constructor(text: string) {
    let current: ReturnType<BpftoolRawDump['types']['get']>;
    for (const line of text.split('\n')) {
      const header = /^\[(\d+)\] (\w+) '([^']*)'(.*)$/.exec(line);
      if (header) {
        const [, id, kind, name, rest] = header as unknown as [string, string, string, string, string];
        const size = /\bsize=(\d+)/.exec(rest);
        const typeId = /\btype_id=(\d+)/.exec(rest);
        const nelems = /\bnr_elems=(\d+)/.exec(rest);
        current = { kind, name, members: [] };
        if (size) current.size = Number(size[1]);
        if (typeId) current.typeId = Number(typeId[1]);
        if (nelems) current.nelems = Number(nelems[1]);
        this.types.set(Number(id), current);
        if (kind === 'STRUCT' || kind === 'UNION') this.byName.set(name, [...(this.byName.get(name) ?? []), Number(id)]);
        continue;
      }
      const member = /^\t'([^']*)' type_id=(\d+) bits_offset=(\d+)(?: bitfield_size=(\d+))?$/.exec(line);
      if (member && current && (current.kind === 'STRUCT' || current.kind === 'UNION')) {
        const entry: { name: string; typeId: number; bits: number; bitfield?: number } = {
          name: member[1] === '(anon)' ? '' : (member[1] as string),
          typeId: Number(member[2]),
          bits: Number(member[3]),
        };
        if (member[4] !== undefined) entry.bitfield = Number(member[4]);
        current.members.push(entry);
      }
    }
  }

  private strip(id: number): number {
    let current = id;
    for (;;) {
      const type = this.types.get(current);
      if (!type || !['TYPEDEF', 'CONST', 'VOLATILE', 'RESTRICT', 'TYPE_TAG'].includes(type.kind)) return current;
      current = type.typeId ?? 0;
    }
  }

  private size(id: number): number {
    const type = this.types.get(this.strip(id));
    if (!type) throw new Error(`bpftool dump has no type ${id}`);
    if (type.kind === 'PTR') return 8;
    if (type.kind === 'ARRAY') return (type.nelems ?? 0) * this.size(type.typeId ?? 0);
    return type.size ?? 0;
  }

  /** Depth-first through named path components and anonymous members. */
  private find(id: number, name: string): { typeId: number; bits: number; bitfield?: number } | undefined {
    for (const member of this.types.get(id)?.members ?? []) {
      if (member.name === name) return member;
      if (member.name === '') {
        const inner = this.find(this.strip(member.typeId), name);
        if (inner) return { ...inner, bits: inner.bits + member.bits };
      }
    }
    return undefined;
  }

  offsetOf(struct: string, path: string): MemberOffset {
    const ids = this.byName.get(struct) ?? [];
    if (ids.length !== 1) throw new Error(`bpftool dump has ${ids.length} structs named ${struct}`);
    let container = ids[0] as number;
    let bits = 0;
    let last: { typeId: number; bits: number; bitfield?: number } | undefined;
    for (const component of path.split('.')) {
      if (last) container = this.strip(last.typeId);
      last = this.find(container, component);
      if (!last) throw new Error(`bpftool dump: ${struct} has no ${path}`);
      bits += last.bits;
    }
    if (!last) throw new Error('empty path');
    const result: MemberOffset = { byteOffset: Math.floor(bits / 8), bitOffset: bits, size: this.size(last.typeId) };
    if (last.bitfield !== undefined && last.bitfield > 0) result.bitSize = last.bitfield;
    return result;
  }

  sizeOf(struct: string): number {
    const ids = this.byName.get(struct) ?? [];
    return this.size(ids[0] ?? 0);
  }
}

/** kernelTest() plus the two things this test needs; skipping for them only when allowed. */
function btfOracleGate(): { skip?: string } {
  const gate = kernelTest();
  if (gate.skip !== undefined) return gate;
  let missing: string | undefined;
  if (!existsSync(KERNEL_BTF_PATH)) missing = `${KERNEL_BTF_PATH} is missing (kernel without CONFIG_DEBUG_INFO_BTF)`;
  else if (spawnSync('bpftool', ['version']).status !== 0) missing = 'bpftool is not installed (apt-get install -y bpftool)';
  if (missing === undefined) return {};
  if (bpfRequired) throw new Error(`TS_TCPACCEPT_REQUIRE_BPF=1 but ${missing}`);
  return { skip: missing };
}

t.test('kernel: offsets tcpaccept needs agree with bpftool', btfOracleGate(), async (t) => {
  const dump = spawnSync('bpftool', ['btf', 'dump', 'file', KERNEL_BTF_PATH, 'format', 'raw'], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (dump.status !== 0) throw new Error(`bpftool btf dump failed: ${dump.error?.message ?? dump.stderr}`);
  const oracle = new BpftoolRawDump(dump.stdout);
  const btf = Btf.kernel();
  t.equal(Btf.kernel(), btf, 'Btf.kernel() is parsed once');
  for (const [struct, member] of TCPACCEPT_MEMBERS) {
    t.same(btf.offsetOf(struct, member), oracle.offsetOf(struct, member), `${struct}.${member}`);
  }
  t.equal(btf.sizeOf('sock_common'), oracle.sizeOf('sock_common'), 'sizeof(struct sock_common)');
  t.same(btf.offsetOf('sock', 'skc_num'), btf.offsetOf('sock', '__sk_common.skc_num'), 'skc_num without the __sk_common prefix');
  t.same(btf.offsetOf('sock_common', 'skc_num'), oracle.offsetOf('sock_common', 'skc_num'), 'skc_num through anonymous unions');
  // A real kind_flag bitfield, so the bitfield path is checked against the kernel too.
  t.same(
    btf.offsetOf('task_struct', 'sched_migrated'),
    oracle.offsetOf('task_struct', 'sched_migrated'),
    'task_struct.sched_migrated bitfield',
  );
  t.ok(btf.offsetOf('task_struct', 'sched_migrated').bitSize === 1);
});

/** Mappings of the kernel's BTF file in this process, from /proc/self/maps. */
function btfMappings(): number {
  return readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .filter((line) => line.endsWith(KERNEL_BTF_PATH)).length;
}

/** Linux 6.16 added mmap of /sys/kernel/btf/vmlinux (read-only, private). */
function kernelMapsBtf(): boolean {
  const [major, minor] = release().split('.').map(Number) as [number, number];
  return major > 6 || (major === 6 && minor >= 16);
}

t.test(
  'kernel: the BTF file is mapped where the kernel allows it, gives the same offsets as a read copy, and close() unmaps it',
  btfOracleGate(),
  async (t) => {
    const before = btfMappings();
    const mapped = Btf.fromFile(KERNEL_BTF_PATH);
    const copy = Btf.parse(readFileSync(KERNEL_BTF_PATH), KERNEL_BTF_PATH);
    t.equal(mapped.mapped, kernelMapsBtf(), `mapped on ${release()}: ${mapped.mapped}`);
    t.notOk(copy.mapped, 'a parsed buffer is not a mapping');
    t.equal(mapped.typeCount, copy.typeCount);
    for (const [struct, member] of TCPACCEPT_MEMBERS)
      t.same(mapped.offsetOf(struct, member), copy.offsetOf(struct, member), `${struct}.${member}`);
    t.equal(btfMappings(), before + (mapped.mapped ? 1 : 0), 'one mapping while open');
    mapped.close();
    mapped.close(); // twice is harmless
    t.equal(btfMappings(), before, 'unmapped by close()');
    if (kernelMapsBtf()) {
      t.throws(
        () => mapped.offsetOf('sock_common', 'skc_num'),
        /closed/,
        'lookups after close() throw instead of touching unmapped memory',
      );
      t.throws(() => mapped.sizeOf('sock_common'), /closed/);
    }
    const size = copy.sizeOf('sock_common');
    copy.close(); // a no-op for a copy
    t.equal(copy.sizeOf('sock_common'), size, 'a copy in the heap still answers after close()');
  },
);

t.test('a blob of many minimal records: the type index grows past its first guess', async (t) => {
  // 3-word records only (pointers), so the index sized at one slot per 8 words must double
  // twice; the named struct at the end must still be found with the right id.
  const b = new BtfBuilder();
  const int = b.int('int', 4);
  let last = int;
  for (let i = 0; i < 1000; i++) last = b.ptr(last);
  const holder = b.struct('far_away', 8, [['p', last, 0]]);
  const btf = Btf.parse(b.build());
  t.equal(btf.typeCount, holder + 1, 'every record indexed');
  t.same(btf.offsetOf('far_away', 'p'), at(0, 8));
  t.equal(btf.sizeOf('far_away'), 8);
  t.equal(btf.sizeOf('int'), 4);
});

t.test('enumValue: ENUM and ENUM64 values by name; missing enum or value named', async (t) => {
  const b = new BtfBuilder();
  b.enumeration('skb_drop_reason', 4, [
    ['SKB_NOT_DROPPED_YET', 0],
    ['SKB_DROP_REASON_TCP_LISTEN_OVERFLOW', 40],
  ]);
  b.enum64('wide', 8, [['BIG', 1n << 40n]]);
  const btf = Btf.parse(b.build(), 'enums');
  t.equal(btf.enumValue('skb_drop_reason', 'SKB_DROP_REASON_TCP_LISTEN_OVERFLOW'), 40n);
  t.equal(btf.enumValue('skb_drop_reason', 'SKB_NOT_DROPPED_YET'), 0n);
  t.equal(btf.enumValue('wide', 'BIG'), 1n << 40n);
  t.throws(() => btf.enumValue('skb_drop_reason', 'NOPE'), /enum skb_drop_reason has no value NOPE/);
  t.throws(() => btf.enumValue('io_uring_op', 'IORING_OP_ACCEPT'), /no enum named 'io_uring_op'/);
});

t.test('enumValue on the running kernel agrees with the kfree_skb format file', kernelTest(), async (t) => {
  const btf = Btf.kernel();
  t.teardown(() => btf.close());
  const format = readFileSync('/sys/kernel/tracing/events/skb/kfree_skb/format', 'utf8');
  const printed = /\{ (\d+), "TCP_LISTEN_OVERFLOW" \}/.exec(format);
  if (printed === null) {
    t.throws(() => btf.enumValue('skb_drop_reason', 'SKB_DROP_REASON_TCP_LISTEN_OVERFLOW'), 'no such reason in BTF either');
    return;
  }
  t.equal(btf.enumValue('skb_drop_reason', 'SKB_DROP_REASON_TCP_LISTEN_OVERFLOW'), BigInt(printed[1]!));
});
