// One instruction as text, in LLVM's BPF assembly syntax (what `llvm-mc -triple bpfel` prints)
// extended with the notations LLVM has no syntax for: map[...], btf[...], func[...],
// kfunc[...] and `call pc+N`. Everything printed here parses back to the same bytes.
import { helperName } from './helpers.ts';
import { type Instruction, targetField } from './instruction.ts';
import {
  ADDR_SPACE_CAST_OFF,
  AluOp,
  AtomicOp,
  ByteOrder,
  CallKind,
  Class,
  DW,
  JmpOp,
  LD_IMM64,
  Mode,
  Pseudo,
  SIGNED_DIVISION_OFF,
  SIZE_BYTES,
  Source,
  classOf,
  modeOf,
  opOf,
  sizeOf,
  sourceOf,
} from './opcodes.ts';

export interface FormatContext {
  /** Slot index of the instruction, to turn relative targets into absolute ones. */
  readonly pc: number;
  /** A label for an absolute target slot, when the listing has one. */
  readonly labelAt?: (target: number) => string | undefined;
  /** Print helper calls as `call bpf_name` (default) rather than LLVM's `call 1`. */
  readonly helperNames?: boolean;
}

const ALU_OPERATORS: Record<number, string> = {
  [AluOp.ADD]: '+=',
  [AluOp.SUB]: '-=',
  [AluOp.MUL]: '*=',
  [AluOp.DIV]: '/=',
  [AluOp.OR]: '|=',
  [AluOp.AND]: '&=',
  [AluOp.LSH]: '<<=',
  [AluOp.RSH]: '>>=',
  [AluOp.MOD]: '%=',
  [AluOp.XOR]: '^=',
  [AluOp.MOV]: '=',
  [AluOp.ARSH]: 's>>=',
};

export const JUMP_CONDITIONS: Record<number, string> = {
  [JmpOp.JEQ]: '==',
  [JmpOp.JGT]: '>',
  [JmpOp.JGE]: '>=',
  [JmpOp.JSET]: '&',
  [JmpOp.JNE]: '!=',
  [JmpOp.JSGT]: 's>',
  [JmpOp.JSGE]: 's>=',
  [JmpOp.JLT]: '<',
  [JmpOp.JLE]: '<=',
  [JmpOp.JSLT]: 's<',
  [JmpOp.JSLE]: 's<=',
};

const ATOMIC_OPERATORS: Record<number, [assign: string, fetchName: string]> = {
  [AtomicOp.ADD]: ['+=', 'add'],
  [AtomicOp.OR]: ['|=', 'or'],
  [AtomicOp.AND]: ['&=', 'and'],
  [AtomicOp.XOR]: ['^=', 'xor'],
};

const signed = (n: number): string => (n < 0 ? `- ${-n}` : `+ ${n}`);
const relative = (n: number): string => (n < 0 ? `${n}` : `+${n}`);
const typeName = (opcode: number, sign: 'u' | 's' = 'u'): string => `${sign}${SIZE_BYTES[sizeOf(opcode)] * 8}`;
const address = (insn: Instruction, base: number): string => `(r${base} ${signed(insn.off)})`;

/** The 64-bit constant of a plain ld_imm64, as the signed value LLVM prints. */
export function imm64Of(insn: Instruction): bigint {
  return BigInt.asIntN(64, (BigInt(insn.imm2 ?? 0) << 32n) | BigInt(insn.imm >>> 0));
}

function target(insn: Instruction, ctx: FormatContext, numeric: (n: number) => string): string {
  if (insn.label !== undefined) return insn.label;
  const delta = targetField(insn) === 'off' ? insn.off : insn.imm;
  return ctx.labelAt?.(ctx.pc + 1 + delta) ?? numeric(delta);
}

function formatLdImm64(insn: Instruction, ctx: FormatContext): string {
  const dst = `r${insn.dst}`;
  const valueOffset = insn.imm2 ? `+${insn.imm2 >>> 0}` : '';
  switch (insn.src) {
    case Pseudo.MAP_FD:
      return `${dst} = map[${insn.map ?? `fd:${insn.imm}`}] ll`;
    case Pseudo.MAP_VALUE:
      return `${dst} = map[${insn.map ?? `fd:${insn.imm}`}][0]${valueOffset} ll`;
    case Pseudo.MAP_IDX:
      return `${dst} = map[idx:${insn.imm >>> 0}] ll`;
    case Pseudo.MAP_IDX_VALUE:
      return `${dst} = map[idx:${insn.imm >>> 0}][0]${valueOffset} ll`;
    case Pseudo.BTF_ID:
      return `${dst} = btf[id:${insn.imm >>> 0}${insn.imm2 ? `, fd:${insn.imm2}` : ''}] ll`;
    case Pseudo.FUNC:
      return `${dst} = func[${target(insn, ctx, (n) => `pc${relative(n)}`)}] ll`;
    default:
      return `${dst} = ${imm64Of(insn)} ll`;
  }
}

function formatAlu(insn: Instruction): string {
  const is64 = classOf(insn.opcode) === Class.ALU64;
  const r = is64 ? 'r' : 'w';
  const dst = `${r}${insn.dst}`;
  const op = opOf(insn.opcode);
  const regSource = sourceOf(insn.opcode) === Source.X;
  const operand = regSource ? `${r}${insn.src}` : `${insn.imm}`;
  switch (op) {
    case AluOp.NEG:
      return `${dst} = -${dst}`;
    case AluOp.END: {
      // Byte swaps are printed on the 64-bit register whatever their class, as LLVM does.
      const kind = is64 ? 'bswap' : sourceOf(insn.opcode) === ByteOrder.TO_BE ? 'be' : 'le';
      return `r${insn.dst} = ${kind}${insn.imm} r${insn.dst}`;
    }
    case AluOp.MOV:
      if (is64 && regSource && insn.off === ADDR_SPACE_CAST_OFF) {
        return `${dst} = addr_space_cast(r${insn.src}, ${insn.imm >>> 16}, ${insn.imm & 0xffff})`;
      }
      if (insn.off !== 0) return `${dst} = (s${insn.off})${r}${insn.src}`;
      return `${dst} = ${operand}`;
    case AluOp.DIV:
    case AluOp.MOD:
      if (insn.off === SIGNED_DIVISION_OFF) return `${dst} s${ALU_OPERATORS[op]} ${operand}`;
      return `${dst} ${ALU_OPERATORS[op]} ${operand}`;
    default:
      return `${dst} ${ALU_OPERATORS[op]} ${operand}`;
  }
}

function formatJump(insn: Instruction, ctx: FormatContext): string {
  const is32 = classOf(insn.opcode) === Class.JMP32;
  const op = opOf(insn.opcode);
  const jumpTarget = (): string => target(insn, ctx, relative);
  switch (op) {
    case JmpOp.EXIT:
      return 'exit';
    case JmpOp.JA:
      return `${is32 ? 'gotol' : 'goto'} ${jumpTarget()}`;
    case JmpOp.JCOND:
      return `may_goto ${jumpTarget()}`;
    case JmpOp.CALL:
      if (insn.src === CallKind.PSEUDO_CALL) return `call ${target(insn, ctx, (n) => `pc${relative(n)}`)}`;
      if (insn.src === CallKind.KFUNC) return `call kfunc[id:${insn.imm >>> 0}${insn.off ? `, idx:${insn.off}` : ''}]`;
      {
        const name = ctx.helperNames === false ? undefined : helperName(insn.imm);
        return name === undefined ? `call ${insn.imm}` : `call bpf_${name}`;
      }
    default: {
      const r = is32 ? 'w' : 'r';
      const operand = sourceOf(insn.opcode) === Source.X ? `${r}${insn.src}` : `${insn.imm}`;
      return `if ${r}${insn.dst} ${JUMP_CONDITIONS[op]} ${operand} goto ${jumpTarget()}`;
    }
  }
}

function formatAtomic(insn: Instruction): string {
  const is64 = sizeOf(insn.opcode) === DW;
  const r = is64 ? 'r' : 'w';
  const type = typeName(insn.opcode);
  const at = address(insn, insn.dst);
  switch (insn.imm) {
    case AtomicOp.XCHG:
      return `${r}${insn.src} = ${is64 ? 'xchg_64' : 'xchg32_32'}(r${insn.dst} ${signed(insn.off)}, ${r}${insn.src})`;
    case AtomicOp.CMPXCHG:
      return `${r}0 = ${is64 ? 'cmpxchg_64' : 'cmpxchg32_32'}(r${insn.dst} ${signed(insn.off)}, ${r}0, ${r}${insn.src})`;
    case AtomicOp.LOAD_ACQ:
      // dst = load_acquire(src + off): the loaded register is dst, the address is in src.
      return `r${insn.dst} = load_acquire((${type} *)${address(insn, insn.src)})`;
    case AtomicOp.STORE_REL:
      return `store_release((${type} *)${at}, r${insn.src})`;
    default: {
      const [assign, fetchName] = ATOMIC_OPERATORS[insn.imm & ~AtomicOp.FETCH] ?? ['?=', '?'];
      if (insn.imm & AtomicOp.FETCH) return `${r}${insn.src} = atomic_fetch_${fetchName}((${type} *)${at}, ${r}${insn.src})`;
      return `lock *(${type} *)${at} ${assign} ${r}${insn.src}`;
    }
  }
}

/** One instruction in assembly syntax, without its comment. */
export function formatInstruction(insn: Instruction, ctx: FormatContext): string {
  const { opcode } = insn;
  switch (classOf(opcode)) {
    case Class.ALU:
    case Class.ALU64:
      return formatAlu(insn);
    case Class.JMP:
    case Class.JMP32:
      return formatJump(insn, ctx);
    case Class.LDX:
      return `r${insn.dst} = *(${typeName(opcode, modeOf(opcode) === Mode.MEMSX ? 's' : 'u')} *)${address(insn, insn.src)}`;
    case Class.ST:
      return `*(${typeName(opcode)} *)${address(insn, insn.dst)} = ${insn.imm}`;
    case Class.STX:
      if (modeOf(opcode) === Mode.ATOMIC) return formatAtomic(insn);
      return `*(${typeName(opcode)} *)${address(insn, insn.dst)} = r${insn.src}`;
    default:
      if (opcode === LD_IMM64) return formatLdImm64(insn, ctx);
      if (modeOf(opcode) === Mode.ABS) return `r0 = *(${typeName(opcode)} *)skb[${insn.imm}]`;
      return `r0 = *(${typeName(opcode)} *)skb[r${insn.src}${insn.imm ? ` ${signed(insn.imm)}` : ''}]`;
  }
}
