// Golden vectors. llvm-vectors.json was produced by llvm-mc (see vectors/regenerate.sh); the
// forms LLVM has no syntax for are checked against encodings spelled out from the kernel's uapi.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { assemble, disassemble } from '../../src/asm/index.ts';
import type { Vector } from './vectors/regenerate.ts';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const { vectors } = JSON.parse(readFileSync(new URL('./vectors/llvm-vectors.json', import.meta.url), 'utf8')) as { vectors: Vector[] };

t.test('every form encodes to the bytes llvm-mc produced', async (t) => {
  t.ok(vectors.length >= 190, `${vectors.length} vectors`);
  for (const vector of vectors) t.equal(hex(assemble(vector.source)), vector.hex, vector.source);
});

t.test('the disassembler prints what llvm-mc prints (helper calls as numbers)', async (t) => {
  for (const vector of vectors) {
    const text = disassemble(Buffer.from(vector.hex, 'hex'), { helperNames: false }).trim();
    if (vector.alias) t.equal(hex(assemble(text)), vector.hex, `${vector.source} is an alias of ${text}`);
    else t.equal(text, vector.llvm, vector.source);
  }
});

// Encodings LLVM cannot express in text, from include/uapi/linux/bpf.h and
// Documentation/bpf/standardization/instruction-set.rst. Each row: text, bytes, how it prints.
const UAPI_VECTORS: [text: string, hex: string, printed?: string][] = [
  // BPF_PSEUDO_MAP_FD (src 1): imm = fd.
  ['r1 = map[fd:7] ll', '1811000007000000' + '0000000000000000'],
  // BPF_PSEUDO_MAP_VALUE (src 2): imm = fd, second imm = offset into the value.
  ['r1 = map[fd:7][0]+8 ll', '1821000007000000' + '0000000008000000'],
  ['r1 = map[fd:7][0] ll', '1821000007000000' + '0000000000000000'],
  ['r1 = map[fd:7][0]+4294967295 ll', '1821000007000000' + '00000000ffffffff'],
  // BPF_PSEUDO_BTF_ID (src 3): imm = BTF id, second imm = BTF object fd.
  ['r2 = btf[id:1234] ll', '18320000d2040000' + '0000000000000000'],
  ['r2 = btf[id:1234, fd:5] ll', '18320000d2040000' + '0000000005000000'],
  // BPF_PSEUDO_FUNC (src 4): imm = relative slot of the function.
  ['r2 = func[pc+3] ll', '1842000003000000' + '0000000000000000'],
  // BPF_PSEUDO_MAP_IDX (src 5), BPF_PSEUDO_MAP_IDX_VALUE (src 6): imm = fd_array index.
  ['r3 = map[idx:2] ll', '1853000002000000' + '0000000000000000'],
  ['r3 = map[idx:2][0]+16 ll', '1863000002000000' + '0000000010000000'],
  // BPF_PSEUDO_CALL (src 1): imm = relative slot of the callee.
  ['call pc+5', '8510000005000000'],
  ['call pc-7', '85100000f9ffffff'],
  // BPF_PSEUDO_KFUNC_CALL (src 2): imm = BTF id, off = fd_array index of the module BTF.
  ['call kfunc[id:4660]', '8520000034120000'],
  ['call kfunc[id:4660, idx:3]', '8520030034120000'],
  // gotol reaches beyond llvm-mc's 16-bit operand parsing: imm is a full 32-bit offset.
  ['gotol +70000', '0600000070110100'],
  ['gotol -70000', '0600000090eefeff'],
  // BPF_IND with an offset: r0 = *(u32 *)skb[r1 + 4].
  ['r0 = *(u32 *)skb[r1 + 4]', '4010000004000000'],
  // BPF_LOAD_ACQ (0x100) and BPF_STORE_REL (0x110), the kernel documentation's own examples.
  ['r0 = load_acquire((u64 *)(r1 + 0))', 'db10000000010000'],
  ['store_release((u16 *)(r1 + 0), w2)', 'cb21000010010000', 'store_release((u16 *)(r1 + 0), r2)'],
  ['w0 = load_acquire((u8 *)(r1 + 0))', 'd310000000010000', 'r0 = load_acquire((u8 *)(r1 + 0))'],
  // The kernel verifier log's spellings of atomics (kernel/bpf/disasm.c).
  ['r2 = atomic64_fetch_add((u64 *)(r1 +0), r2)', 'db21000001000000', 'r2 = atomic_fetch_add((u64 *)(r1 + 0), r2)'],
  ['r2 = atomic_fetch_or((u32 *)(r1 +0), r2)', 'c321000041000000', 'w2 = atomic_fetch_or((u32 *)(r1 + 0), w2)'],
  ['r2 = atomic64_xchg((u64 *)(r1 -8), r2)', 'db21f8ffe1000000', 'r2 = xchg_64(r1 - 8, r2)'],
  ['r0 = atomic64_cmpxchg((u64 *)(r1 +0), r0, r2)', 'db210000f1000000', 'r0 = cmpxchg_64(r1 + 0, r0, r2)'],
  ['r0 = atomic_cmpxchg((u32 *)(r1 +0), r0, r2)', 'c3210000f1000000', 'w0 = cmpxchg32_32(r1 + 0, w0, w2)'],
  // The verifier prints gotos and calls relative to pc.
  ['goto pc+3', '0500030000000000', 'goto +3'],
  ['if r1 == 0x3 goto pc-2', '1501feff03000000', 'if r1 == 3 goto -2'],
  ['call bpf_map_lookup_elem#1', '8500000001000000', 'call bpf_map_lookup_elem'],
];

t.test('forms outside LLVM syntax encode as the uapi defines them', async (t) => {
  for (const [text, bytes, printed = text] of UAPI_VECTORS) {
    t.equal(hex(assemble(text)), bytes, text);
    t.equal(disassemble(Buffer.from(bytes, 'hex')).trim(), printed, `${text} prints as ${printed}`);
  }
});
