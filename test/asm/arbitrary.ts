// fast-check generators of valid instructions: every form the model accepts, with random
// registers, offsets and immediates (including the edges of each field).
import fc from 'fast-check';
import {
  AluOp,
  AtomicOp,
  B,
  CallKind,
  Class,
  DW,
  H,
  type Instruction,
  JmpOp,
  LD_IMM64,
  Mode,
  Pseudo,
  Source,
  W,
  encode,
  problemOf,
} from '../../src/asm/index.ts';

const reg = fc.integer({ min: 0, max: 10 });
const int16 = fc.oneof(fc.integer({ min: -32768, max: 32767 }), fc.constantFrom(-32768, -1, 0, 1, 32767));
const int32 = fc.oneof(
  fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }),
  fc.integer({ min: -100, max: 100 }),
  fc.constantFrom(-0x8000_0000, -1, 0, 1, 0x7fff_ffff),
);
const anySize = fc.constantFrom(B, H, W, DW);

const BINARY_OPS = [
  AluOp.ADD,
  AluOp.SUB,
  AluOp.MUL,
  AluOp.DIV,
  AluOp.OR,
  AluOp.AND,
  AluOp.LSH,
  AluOp.RSH,
  AluOp.MOD,
  AluOp.XOR,
  AluOp.MOV,
  AluOp.ARSH,
];
const CONDITIONS = [
  JmpOp.JEQ,
  JmpOp.JGT,
  JmpOp.JGE,
  JmpOp.JSET,
  JmpOp.JNE,
  JmpOp.JSGT,
  JmpOp.JSGE,
  JmpOp.JLT,
  JmpOp.JLE,
  JmpOp.JSLT,
  JmpOp.JSLE,
];
const ATOMICS = [
  AtomicOp.ADD,
  AtomicOp.OR,
  AtomicOp.AND,
  AtomicOp.XOR,
  AtomicOp.ADD | AtomicOp.FETCH,
  AtomicOp.OR | AtomicOp.FETCH,
  AtomicOp.AND | AtomicOp.FETCH,
  AtomicOp.XOR | AtomicOp.FETCH,
  AtomicOp.XCHG,
  AtomicOp.CMPXCHG,
];

const alu = fc
  .record({
    is64: fc.boolean(),
    op: fc.constantFrom(...BINARY_OPS),
    regSource: fc.boolean(),
    dst: reg,
    src: reg,
    imm: int32,
    variant: fc.nat(4),
  })
  .map(({ is64, op, regSource, dst, src, imm, variant }): Instruction => {
    const cls = is64 ? Class.ALU64 : Class.ALU;
    let off = 0;
    if ((op === AluOp.DIV || op === AluOp.MOD) && variant % 2 === 1) off = 1;
    if (op === AluOp.MOV && regSource) off = (is64 ? [0, 8, 16, 32, 1] : [0, 8, 16, 0, 0])[variant] as number;
    if (regSource) return { opcode: cls | op | Source.X, dst, src, off, imm: off === 1 && op === AluOp.MOV ? imm : 0 };
    return { opcode: cls | op | Source.K, dst, src: 0, off, imm };
  });

const unary = fc
  .record({ kind: fc.constantFrom('neg32', 'neg64', 'le', 'be', 'bswap'), dst: reg, width: fc.constantFrom(16, 32, 64) })
  .map(({ kind, dst, width }): Instruction => {
    switch (kind) {
      case 'neg32':
        return { opcode: Class.ALU | AluOp.NEG, dst, src: 0, off: 0, imm: 0 };
      case 'neg64':
        return { opcode: Class.ALU64 | AluOp.NEG, dst, src: 0, off: 0, imm: 0 };
      case 'le':
        return { opcode: Class.ALU | AluOp.END, dst, src: 0, off: 0, imm: width };
      case 'be':
        return { opcode: Class.ALU | AluOp.END | Source.X, dst, src: 0, off: 0, imm: width };
      default:
        return { opcode: Class.ALU64 | AluOp.END, dst, src: 0, off: 0, imm: width };
    }
  });

const conditional = fc
  .record({ is32: fc.boolean(), op: fc.constantFrom(...CONDITIONS), regSource: fc.boolean(), dst: reg, src: reg, off: int16, imm: int32 })
  .map(({ is32, op, regSource, dst, src, off, imm }): Instruction => {
    const cls = is32 ? Class.JMP32 : Class.JMP;
    return regSource ? { opcode: cls | op | Source.X, dst, src, off, imm: 0 } : { opcode: cls | op | Source.K, dst, src: 0, off, imm };
  });

const control = fc.oneof(
  int16.map((off): Instruction => ({ opcode: Class.JMP | JmpOp.JA, dst: 0, src: 0, off, imm: 0 })),
  int32.map((imm): Instruction => ({ opcode: Class.JMP32 | JmpOp.JA, dst: 0, src: 0, off: 0, imm })),
  int16.map((off): Instruction => ({ opcode: Class.JMP | JmpOp.JCOND, dst: 0, src: 0, off, imm: 0 })),
  fc
    .oneof(int32, fc.integer({ min: 1, max: 211 }))
    .map((imm): Instruction => ({ opcode: Class.JMP | JmpOp.CALL, dst: 0, src: CallKind.HELPER, off: 0, imm })),
  int32.map((imm): Instruction => ({ opcode: Class.JMP | JmpOp.CALL, dst: 0, src: CallKind.PSEUDO_CALL, off: 0, imm })),
  fc
    .tuple(int32, fc.integer({ min: 0, max: 32767 }))
    .map(([imm, off]): Instruction => ({ opcode: Class.JMP | JmpOp.CALL, dst: 0, src: CallKind.KFUNC, off, imm })),
  fc.constant<Instruction>({ opcode: Class.JMP | JmpOp.EXIT, dst: 0, src: 0, off: 0, imm: 0 }),
);

const memory = fc.oneof(
  fc
    .record({ size: anySize, dst: reg, src: reg, off: int16 })
    .map(({ size, dst, src, off }): Instruction => ({ opcode: Class.LDX | Mode.MEM | size, dst, src, off, imm: 0 })),
  fc
    .record({ size: fc.constantFrom(B, H, W), dst: reg, src: reg, off: int16 })
    .map(({ size, dst, src, off }): Instruction => ({ opcode: Class.LDX | Mode.MEMSX | size, dst, src, off, imm: 0 })),
  fc
    .record({ size: anySize, dst: reg, off: int16, imm: int32 })
    .map(({ size, dst, off, imm }): Instruction => ({ opcode: Class.ST | Mode.MEM | size, dst, src: 0, off, imm })),
  fc
    .record({ size: anySize, dst: reg, src: reg, off: int16 })
    .map(({ size, dst, src, off }): Instruction => ({ opcode: Class.STX | Mode.MEM | size, dst, src, off, imm: 0 })),
  fc
    .record({ size: fc.constantFrom(W, DW), dst: reg, src: reg, off: int16, imm: fc.constantFrom(...ATOMICS) })
    .map(({ size, dst, src, off, imm }): Instruction => ({ opcode: Class.STX | Mode.ATOMIC | size, dst, src, off, imm })),
  fc
    .record({ size: anySize, dst: reg, src: reg, off: int16, imm: fc.constantFrom(AtomicOp.LOAD_ACQ, AtomicOp.STORE_REL) })
    .map(({ size, dst, src, off, imm }): Instruction => ({ opcode: Class.STX | Mode.ATOMIC | size, dst, src, off, imm })),
  fc
    .record({ size: fc.constantFrom(B, H, W), imm: int32 })
    .map(({ size, imm }): Instruction => ({ opcode: Class.LD | Mode.ABS | size, dst: 0, src: 0, off: 0, imm })),
  fc
    .record({ size: fc.constantFrom(B, H, W), src: reg, imm: int32 })
    .map(({ size, src, imm }): Instruction => ({ opcode: Class.LD | Mode.IND | size, dst: 0, src, off: 0, imm })),
);

const ldImm64 = fc
  .record({ dst: reg, src: fc.integer({ min: 0, max: 6 }), imm: int32, imm2: int32 })
  .map(({ dst, src, imm, imm2 }): Instruction => {
    const unusedSecondHalf = src === Pseudo.MAP_FD || src === Pseudo.FUNC || src === Pseudo.MAP_IDX;
    const fd = src === Pseudo.MAP_FD || src === Pseudo.MAP_VALUE;
    return {
      opcode: LD_IMM64,
      dst,
      src,
      off: 0,
      imm: fd ? imm & 0x7fff_ffff : imm,
      imm2: unusedSecondHalf ? 0 : src === Pseudo.BTF_ID ? imm2 & 0x7fff_ffff : imm2,
    };
  });

/** Any valid instruction. */
export const instruction: fc.Arbitrary<Instruction> = fc.oneof(alu, unary, conditional, control, memory, ldImm64);

/** Instruction streams, as the bytes the kernel would be given. */
export const program = fc.array(instruction, { minLength: 1, maxLength: 40 }).map((instructions) => {
  for (const insn of instructions) {
    const problem = problemOf(insn);
    if (problem !== undefined) throw new Error(`generator made an invalid instruction: ${problem} ${JSON.stringify(insn)}`);
  }
  return encode(instructions);
});

/** Instructions whose text LLVM can parse with numeric operands (no map/btf/func/kfunc/pc+N forms). */
export function llvmExpressible(insn: Instruction): boolean {
  if (insn.opcode === LD_IMM64) return insn.src === Pseudo.NONE;
  if (insn.opcode === (Class.JMP | JmpOp.CALL)) return insn.src === CallKind.HELPER;
  if (insn.opcode === (Class.JMP32 | JmpOp.JA)) return insn.imm >= -32768 && insn.imm <= 32767; // llvm-mc parses gotol offsets as 16-bit
  if ((insn.opcode & 0xe7) === (Class.LD | Mode.IND)) return insn.imm === 0; // LLVM's skb[rN] has no offset
  if ((insn.opcode & 0xe7) === (Class.STX | Mode.ATOMIC)) return insn.imm !== AtomicOp.LOAD_ACQ && insn.imm !== AtomicOp.STORE_REL; // LLVM >= 20
  return true;
}
