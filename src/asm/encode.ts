// The one place instruction fields are composed: a constructor per instruction form, from typed
// operands (register indices, sizes, operation names) to the raw Instruction. Both front ends —
// the typed builder and the text parser — check their operands their own way (the builder
// names the method, the parser the line and column) and then call these; neither composes an
// opcode by hand. Values arrive in range: the front ends check, and link() runs problemOf.
import type { Instruction } from './instruction.ts';
import {
  ADDR_SPACE_CAST_OFF,
  AluOp,
  AtomicOp,
  ByteOrder,
  CallKind,
  Class,
  JmpOp,
  LD_IMM64,
  Mode,
  Pseudo,
  SIGNED_DIVISION_OFF,
  type Size,
  Source,
} from './opcodes.ts';

/** Width of an ALU or jump operation: 64-bit registers (r) or their low halves (w). */
export type Bits = 32 | 64;

/** A jump target: a relative offset in slots, or a label a Program resolves. */
export type Target = number | { readonly label: string };

/** The two-operand ALU operations; `sdiv`/`smod` are the v4 signed variants. */
export type AluOperation = 'add' | 'sub' | 'mul' | 'div' | 'sdiv' | 'mod' | 'smod' | 'or' | 'and' | 'xor' | 'lsh' | 'rsh' | 'arsh' | 'mov';

/** Conditional jumps, by the builder's method names. */
export type JumpCondition = 'jeq' | 'jne' | 'jgt' | 'jge' | 'jlt' | 'jle' | 'jset' | 'jsgt' | 'jsge' | 'jslt' | 'jsle';

/** Atomic read-modify-write operations on memory. */
export type AtomicOperation = 'add' | 'or' | 'and' | 'xor' | 'fetch_add' | 'fetch_or' | 'fetch_and' | 'fetch_xor' | 'xchg' | 'cmpxchg';

/** Byte-order conversions: to little or big endian (class ALU), or an unconditional swap (v4). */
export type ByteSwap = 'le' | 'be' | 'bswap';

const ALU: Readonly<Record<AluOperation, { readonly op: number; readonly off: number }>> = {
  add: { op: AluOp.ADD, off: 0 },
  sub: { op: AluOp.SUB, off: 0 },
  mul: { op: AluOp.MUL, off: 0 },
  div: { op: AluOp.DIV, off: 0 },
  sdiv: { op: AluOp.DIV, off: SIGNED_DIVISION_OFF },
  mod: { op: AluOp.MOD, off: 0 },
  smod: { op: AluOp.MOD, off: SIGNED_DIVISION_OFF },
  or: { op: AluOp.OR, off: 0 },
  and: { op: AluOp.AND, off: 0 },
  xor: { op: AluOp.XOR, off: 0 },
  lsh: { op: AluOp.LSH, off: 0 },
  rsh: { op: AluOp.RSH, off: 0 },
  arsh: { op: AluOp.ARSH, off: 0 },
  mov: { op: AluOp.MOV, off: 0 },
};

const JUMP: Readonly<Record<JumpCondition, number>> = {
  jeq: JmpOp.JEQ,
  jne: JmpOp.JNE,
  jgt: JmpOp.JGT,
  jge: JmpOp.JGE,
  jlt: JmpOp.JLT,
  jle: JmpOp.JLE,
  jset: JmpOp.JSET,
  jsgt: JmpOp.JSGT,
  jsge: JmpOp.JSGE,
  jslt: JmpOp.JSLT,
  jsle: JmpOp.JSLE,
};

/** The `imm` of each atomic operation (BPF_ATOMIC). */
export const ATOMIC_IMM: Readonly<Record<AtomicOperation, number>> = {
  add: AtomicOp.ADD,
  or: AtomicOp.OR,
  and: AtomicOp.AND,
  xor: AtomicOp.XOR,
  fetch_add: AtomicOp.ADD | AtomicOp.FETCH,
  fetch_or: AtomicOp.OR | AtomicOp.FETCH,
  fetch_and: AtomicOp.AND | AtomicOp.FETCH,
  fetch_xor: AtomicOp.XOR | AtomicOp.FETCH,
  xchg: AtomicOp.XCHG,
  cmpxchg: AtomicOp.CMPXCHG,
};

const aluClass = (bits: Bits): number => (bits === 64 ? Class.ALU64 : Class.ALU);
const jumpClass = (bits: Bits): number => (bits === 64 ? Class.JMP : Class.JMP32);

/** Puts a target into the field that holds it (`off` or `imm`), or as a label for link(). */
function withTarget(fields: Instruction, target: Target, field: 'off' | 'imm'): Instruction {
  if (typeof target === 'number') return { ...fields, [field]: target };
  return { ...fields, label: target.label };
}

// --- ALU ---------------------------------------------------------------------------------

/** `dst op= src` (registers of one width). */
export function aluReg(bits: Bits, operation: AluOperation, dst: number, src: number): Instruction {
  const { op, off } = ALU[operation];
  return { opcode: aluClass(bits) | op | Source.X, dst, src, off, imm: 0 };
}

/** `dst op= imm` (a signed 32-bit immediate, sign-extended for 64-bit operations). */
export function aluImm(bits: Bits, operation: AluOperation, dst: number, imm: number): Instruction {
  const { op, off } = ALU[operation];
  return { opcode: aluClass(bits) | op | Source.K, dst, src: 0, off, imm };
}

/** `dst = -dst`. */
export function neg(bits: Bits, dst: number): Instruction {
  return { opcode: aluClass(bits) | AluOp.NEG | Source.K, dst, src: 0, off: 0, imm: 0 };
}

/** v4 sign-extending move: `dst = (s8|s16|s32)src`. */
export function movsx(bits: Bits, dst: number, src: number, fromBits: 8 | 16 | 32): Instruction {
  return { opcode: aluClass(bits) | AluOp.MOV | Source.X, dst, src, off: fromBits, imm: 0 };
}

/** v4 arena cast `dst = addr_space_cast(src, toSpace, fromSpace)` (16-bit address spaces). */
export function addrSpaceCast(dst: number, src: number, toSpace: number, fromSpace: number): Instruction {
  return { opcode: Class.ALU64 | AluOp.MOV | Source.X, dst, src, off: ADDR_SPACE_CAST_OFF, imm: (toSpace << 16) | fromSpace | 0 };
}

/** `dst = le16 dst`, `be32`, `bswap64`…: a byte-order conversion in place. */
export function byteSwap(kind: ByteSwap, dst: number, width: 16 | 32 | 64): Instruction {
  const opcode = kind === 'bswap' ? Class.ALU64 | AluOp.END : Class.ALU | AluOp.END | (kind === 'be' ? ByteOrder.TO_BE : ByteOrder.TO_LE);
  return { opcode, dst, src: 0, off: 0, imm: width };
}

// --- jumps and calls ---------------------------------------------------------------------

/** `goto target` (16-bit offset). */
export function ja(target: Target): Instruction {
  return withTarget({ opcode: Class.JMP | JmpOp.JA, dst: 0, src: 0, off: 0, imm: 0 }, target, 'off');
}

/** v4 `gotol target` (32-bit offset in imm). */
export function gotol(target: Target): Instruction {
  return withTarget({ opcode: Class.JMP32 | JmpOp.JA, dst: 0, src: 0, off: 0, imm: 0 }, target, 'imm');
}

/** v4 `may_goto target`. */
export function mayGoto(target: Target): Instruction {
  return withTarget({ opcode: Class.JMP | JmpOp.JCOND, dst: 0, src: 0, off: 0, imm: 0 }, target, 'off');
}

/** `if dst <cond> src goto target`. */
export function jumpReg(bits: Bits, condition: JumpCondition, dst: number, src: number, target: Target): Instruction {
  return withTarget({ opcode: jumpClass(bits) | JUMP[condition] | Source.X, dst, src, off: 0, imm: 0 }, target, 'off');
}

/** `if dst <cond> imm goto target`. */
export function jumpImm(bits: Bits, condition: JumpCondition, dst: number, imm: number, target: Target): Instruction {
  return withTarget({ opcode: jumpClass(bits) | JUMP[condition] | Source.K, dst, src: 0, off: 0, imm }, target, 'off');
}

/** `call bpf_<helper>` by helper id. */
export function callHelper(id: number): Instruction {
  return { opcode: Class.JMP | JmpOp.CALL, dst: 0, src: CallKind.HELPER, off: 0, imm: id };
}

/** BPF-to-BPF call: `call pc+N`, or of the function at a label. */
export function callLocal(target: Target): Instruction {
  return withTarget({ opcode: Class.JMP | JmpOp.CALL, dst: 0, src: CallKind.PSEUDO_CALL, off: 0, imm: 0 }, target, 'imm');
}

/** Call of a kernel function by BTF id; `fdIndex` picks a module BTF from fd_array (0: vmlinux). */
export function callKfunc(btfId: number, fdIndex = 0): Instruction {
  return { opcode: Class.JMP | JmpOp.CALL, dst: 0, src: CallKind.KFUNC, off: fdIndex, imm: btfId };
}

export function exit(): Instruction {
  return { opcode: Class.JMP | JmpOp.EXIT, dst: 0, src: 0, off: 0, imm: 0 };
}

// --- memory ------------------------------------------------------------------------------

/** `dst = *(size *)(src + off)`, zero-extended. */
export function ldx(size: Size, dst: number, src: number, off: number): Instruction {
  return { opcode: Class.LDX | Mode.MEM | size, dst, src, off, imm: 0 };
}

/** v4 `dst = *(s8|s16|s32 *)(src + off)`, sign-extended. */
export function ldxsx(size: Size, dst: number, src: number, off: number): Instruction {
  return { opcode: Class.LDX | Mode.MEMSX | size, dst, src, off, imm: 0 };
}

/** `*(size *)(dst + off) = src`. */
export function stx(size: Size, dst: number, off: number, src: number): Instruction {
  return { opcode: Class.STX | Mode.MEM | size, dst, src, off, imm: 0 };
}

/** `*(size *)(dst + off) = imm`. */
export function st(size: Size, dst: number, off: number, imm: number): Instruction {
  return { opcode: Class.ST | Mode.MEM | size, dst, src: 0, off, imm };
}

/** Atomic operation on `*(size *)(dst + off)` with `src` (the `imm` of BPF_ATOMIC picks which). */
export function atomic(operation: AtomicOperation, size: Size, dst: number, off: number, src: number): Instruction {
  return atomicImm(ATOMIC_IMM[operation], size, dst, off, src);
}

/** An atomic instruction by its raw `imm` (AtomicOp bits). */
export function atomicImm(imm: number, size: Size, dst: number, off: number, src: number): Instruction {
  return { opcode: Class.STX | Mode.ATOMIC | size, dst, src, off, imm };
}

/** `dst = load_acquire((size *)(src + off))`. */
export function loadAcquire(size: Size, dst: number, src: number, off: number): Instruction {
  return { opcode: Class.STX | Mode.ATOMIC | size, dst, src, off, imm: AtomicOp.LOAD_ACQ };
}

/** `store_release((size *)(dst + off), src)`. */
export function storeRelease(size: Size, dst: number, off: number, src: number): Instruction {
  return { opcode: Class.STX | Mode.ATOMIC | size, dst, src, off, imm: AtomicOp.STORE_REL };
}

/** Legacy packet load `r0 = *(size *)skb[imm]`. */
export function ldAbs(size: Size, imm: number): Instruction {
  return { opcode: Class.LD | Mode.ABS | size, dst: 0, src: 0, off: 0, imm };
}

/** Legacy packet load `r0 = *(size *)skb[src + imm]`. */
export function ldInd(size: Size, src: number, imm: number): Instruction {
  return { opcode: Class.LD | Mode.IND | size, dst: 0, src, off: 0, imm };
}

// --- 64-bit loads (two slots) ------------------------------------------------------------

/** A 16-byte ld_imm64 with its raw fields: `src` is a Pseudo kind, imm2 the second slot's imm. */
export function ldImm64Raw(
  dst: number,
  src: number,
  imm: number,
  imm2: number,
  symbol: { map?: string; label?: string } = {},
): Instruction {
  return { opcode: LD_IMM64, dst, src, off: 0, imm, imm2, ...symbol };
}

/** `dst = value ll`: any 64-bit constant (its bits, signed or unsigned). */
export function ldImm64(dst: number, value: bigint): Instruction {
  const bits = BigInt.asUintN(64, value);
  return ldImm64Raw(dst, Pseudo.NONE, Number(BigInt.asIntN(32, bits)), Number(BigInt.asIntN(32, bits >> 32n)));
}

/** `dst = map[name] ll` (fd filled in at load), or `map[fd:N] ll` for a number. */
export function ldMap(dst: number, map: string | number): Instruction {
  return typeof map === 'string' ? ldImm64Raw(dst, Pseudo.MAP_FD, 0, 0, { map }) : ldImm64Raw(dst, Pseudo.MAP_FD, map, 0);
}

/** `dst = map[name][0]+offset ll`: an address in element 0's value of an array map. */
export function ldMapValue(dst: number, map: string | number, offset: number): Instruction {
  return typeof map === 'string' ? ldImm64Raw(dst, Pseudo.MAP_VALUE, 0, offset, { map }) : ldImm64Raw(dst, Pseudo.MAP_VALUE, map, offset);
}

/** `dst = map[idx:N] ll`, or with a value offset `map[idx:N][0]+off ll`. */
export function ldMapIdx(dst: number, index: number, valueOffset?: number): Instruction {
  return valueOffset === undefined ? ldImm64Raw(dst, Pseudo.MAP_IDX, index, 0) : ldImm64Raw(dst, Pseudo.MAP_IDX_VALUE, index, valueOffset);
}

/** `dst = btf[id:N] ll` (btfFd 0: vmlinux). */
export function ldBtfId(dst: number, btfId: number, btfFd = 0): Instruction {
  return ldImm64Raw(dst, Pseudo.BTF_ID, btfId, btfFd);
}

/** `dst = func[target] ll`: the address of a BPF function. */
export function ldFunc(dst: number, target: Target): Instruction {
  return typeof target === 'number' ? ldImm64Raw(dst, Pseudo.FUNC, target, 0) : ldImm64Raw(dst, Pseudo.FUNC, 0, 0, { label: target.label });
}
