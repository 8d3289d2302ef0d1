// The one instruction model both front ends (builder and text) produce and the disassembler
// consumes: the raw fields of the kernel's `struct bpf_insn`, plus optional symbolic
// references (a label, a map name) that a Program resolves, and a comment.
import { AsmDecodeError } from './errors.ts';
import {
  AluOp,
  AtomicOp,
  ADDR_SPACE_CAST_OFF,
  B,
  CallKind,
  Class,
  DW,
  H,
  JmpOp,
  LD_IMM64,
  Mode,
  Pseudo,
  SIGNED_DIVISION_OFF,
  Source,
  W,
  classOf,
  modeOf,
  opOf,
  sizeOf,
  sourceOf,
} from './opcodes.ts';
import { REGISTER_COUNT } from './registers.ts';

export interface Instruction {
  /** `class | op | source`, or `class | size | mode`. */
  readonly opcode: number;
  readonly dst: number;
  /** A register, or for calls and ld_imm64 the kind of reference (CallKind, Pseudo). */
  readonly src: number;
  /** Signed 16-bit: memory offset, jump offset, or a v4 variant selector. */
  readonly off: number;
  /** Signed 32-bit immediate (stored sign-extended: 0xffffffff is kept as -1). */
  readonly imm: number;
  /**
   * ld_imm64 only: the `imm` of its second 8-byte slot — the upper 32 bits of a constant, the
   * offset into a map value, or the fd of a BTF object.
   */
  readonly imm2?: number;
  /** Jump, call or function-pointer target by label; a Program turns it into `off` or `imm`. */
  readonly label?: string;
  /** Map by name; `Program.bytecode()` puts the map's fd into `imm`. */
  readonly map?: string;
  /** Free text shown beside the instruction in listings. */
  readonly comment?: string;
}

export const INSTRUCTION_BYTES = 8;

/** 8-byte slots the instruction takes: ld_imm64 takes two. */
export function slotsOf(insn: Instruction): 1 | 2 {
  return insn.opcode === LD_IMM64 ? 2 : 1;
}

export const isInt32 = (n: number): boolean => Number.isInteger(n) && n >= -0x8000_0000 && n <= 0x7fff_ffff;
export const isInt16 = (n: number): boolean => Number.isInteger(n) && n >= -0x8000 && n <= 0x7fff;
const isRegister = (n: number): boolean => Number.isInteger(n) && n >= 0 && n < REGISTER_COUNT;

/** Which field of a control-flow instruction holds its relative target, if any. */
export function targetField(insn: Instruction): 'off' | 'imm' | undefined {
  const cls = classOf(insn.opcode);
  if (insn.opcode === LD_IMM64) return insn.src === Pseudo.FUNC ? 'imm' : undefined;
  if (cls !== Class.JMP && cls !== Class.JMP32) return undefined;
  const op = opOf(insn.opcode);
  if (op === JmpOp.EXIT) return undefined;
  if (op === JmpOp.CALL) return insn.src === CallKind.PSEUDO_CALL ? 'imm' : undefined;
  if (op === JmpOp.JA && cls === Class.JMP32) return 'imm'; // gotol
  return 'off';
}

/** The absolute slot a control-flow instruction at `pc` transfers to. */
export function targetOf(insn: Instruction, pc: number): number | undefined {
  const field = targetField(insn);
  if (field === undefined) return undefined;
  return pc + 1 + (field === 'off' ? insn.off : insn.imm);
}

const ALU_OPS = new Set<number>(Object.values(AluOp));
const ATOMIC_IMMS = new Set<number>([
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
  AtomicOp.LOAD_ACQ,
  AtomicOp.STORE_REL,
]);

function zero(insn: Instruction, ...fields: ('dst' | 'src' | 'off' | 'imm')[]): string | undefined {
  for (const field of fields) {
    if (insn[field] !== 0) return `reserved field ${field} must be 0, is ${insn[field]}`;
  }
  return undefined;
}

/**
 * Why the kernel would refuse this instruction's encoding, or undefined when it is well formed.
 * This checks the encoding only (opcodes, reserved fields, ranges), not what the verifier
 * proves about registers and memory.
 */
export function problemOf(insn: Instruction): string | undefined {
  const { opcode, dst, src, off, imm } = insn;
  if (!Number.isInteger(opcode) || opcode < 0 || opcode > 0xff) return `opcode ${opcode} is not a byte`;
  if (!isRegister(dst)) return `destination register ${dst} is out of range (r0..r10)`;
  if (!Number.isInteger(src) || src < 0 || src > 0xf) return `source field ${src} is not 4 bits`;
  if (!isInt16(off)) return `offset ${off} does not fit in a signed 16-bit field`;
  if (!isInt32(imm)) return `immediate ${imm} does not fit in a signed 32-bit field`;
  if (opcode === LD_IMM64) {
    if (insn.imm2 === undefined || !isInt32(insn.imm2)) return `ld_imm64 needs a signed 32-bit imm2, has ${insn.imm2}`;
  } else if (insn.imm2 !== undefined) {
    return 'imm2 belongs to ld_imm64 only';
  }
  const op = opOf(opcode);
  const regSource = sourceOf(opcode) === Source.X;
  switch (classOf(opcode)) {
    case Class.ALU:
    case Class.ALU64: {
      const is64 = classOf(opcode) === Class.ALU64;
      if (!ALU_OPS.has(op)) return `unknown ALU operation 0x${op.toString(16)}`;
      if (op === AluOp.END) {
        if (is64 && regSource) return 'bswap has no register-source form';
        if (imm !== 16 && imm !== 32 && imm !== 64) return `byte swap width must be 16, 32 or 64, is ${imm}`;
        return zero(insn, 'src', 'off');
      }
      if (op === AluOp.NEG) {
        if (regSource) return 'neg has no register-source form';
        return zero(insn, 'src', 'off', 'imm');
      }
      if (off !== 0) {
        const signedDivision = (op === AluOp.DIV || op === AluOp.MOD) && off === SIGNED_DIVISION_OFF;
        const movsx = op === AluOp.MOV && regSource && (off === 8 || off === 16 || (is64 && off === 32));
        const addrSpaceCast = op === AluOp.MOV && regSource && is64 && off === ADDR_SPACE_CAST_OFF;
        if (!signedDivision && !movsx && !addrSpaceCast) return `offset ${off} is not a v4 variant of this ALU operation`;
        // addr_space_cast keeps both address spaces in imm: (dst_as << 16) | src_as.
        if (addrSpaceCast) return isRegister(src) ? undefined : `source register ${src} is out of range`;
      }
      if (regSource) return isRegister(src) ? zero(insn, 'imm') : `source register ${src} is out of range`;
      return zero(insn, 'src');
    }
    case Class.JMP:
    case Class.JMP32: {
      const is32 = classOf(opcode) === Class.JMP32;
      if (op === JmpOp.JA) {
        if (regSource) return 'goto has no register-source form';
        return is32 ? zero(insn, 'dst', 'src', 'off') : zero(insn, 'dst', 'src', 'imm');
      }
      if (op === JmpOp.CALL) {
        if (is32 || regSource) return 'call must be BPF_JMP | BPF_CALL | BPF_K';
        if (src !== CallKind.HELPER && src !== CallKind.PSEUDO_CALL && src !== CallKind.KFUNC) return `unknown call kind src=${src}`;
        if (src === CallKind.KFUNC && off < 0) return `kfunc fd_array index ${off} is negative`;
        return src === CallKind.KFUNC ? zero(insn, 'dst') : zero(insn, 'dst', 'off');
      }
      if (op === JmpOp.EXIT) {
        if (is32 || regSource) return 'exit must be BPF_JMP | BPF_EXIT';
        return zero(insn, 'dst', 'src', 'off', 'imm');
      }
      if (op === JmpOp.JCOND) {
        if (is32 || regSource) return 'may_goto must be BPF_JMP | BPF_JCOND | BPF_K';
        return zero(insn, 'dst', 'src', 'imm');
      }
      if (op === 0xf0) return 'unknown jump operation 0xf0';
      if (regSource) return isRegister(src) ? zero(insn, 'imm') : `source register ${src} is out of range`;
      return zero(insn, 'src');
    }
    case Class.LDX: {
      const mode = modeOf(opcode);
      if (mode === Mode.MEMSX && sizeOf(opcode) === DW) return 'there is no sign-extending 64-bit load';
      if (mode !== Mode.MEM && mode !== Mode.MEMSX) return `LDX mode 0x${mode.toString(16)} is not MEM or MEMSX`;
      if (!isRegister(src)) return `source register ${src} is out of range`;
      return zero(insn, 'imm');
    }
    case Class.ST:
      if (modeOf(opcode) !== Mode.MEM) return 'ST mode must be MEM';
      return zero(insn, 'src');
    case Class.STX: {
      const mode = modeOf(opcode);
      if (!isRegister(src)) return `source register ${src} is out of range`;
      if (mode === Mode.MEM) return zero(insn, 'imm');
      if (mode !== Mode.ATOMIC) return `STX mode 0x${mode.toString(16)} is not MEM or ATOMIC`;
      if (!ATOMIC_IMMS.has(imm)) return `unknown atomic operation imm=0x${imm.toString(16)}`;
      const size = sizeOf(opcode);
      if (imm !== AtomicOp.LOAD_ACQ && imm !== AtomicOp.STORE_REL && size !== W && size !== DW) {
        return 'read-modify-write atomics are 32 or 64 bits wide';
      }
      return undefined;
    }
    case Class.LD: {
      if (opcode === LD_IMM64) {
        if (src > Pseudo.MAP_IDX_VALUE) return `unknown ld_imm64 pseudo source ${src}`;
        const secondHalfUnused = src === Pseudo.MAP_FD || src === Pseudo.FUNC || src === Pseudo.MAP_IDX;
        if (secondHalfUnused && insn.imm2 !== 0) return `imm2 must be 0 for pseudo source ${src}`;
        if ((src === Pseudo.MAP_FD || src === Pseudo.MAP_VALUE) && imm < 0) return `map fd ${imm} is negative`;
        if (src === Pseudo.BTF_ID && (insn.imm2 ?? 0) < 0) return `BTF object fd ${insn.imm2} is negative`;
        return zero(insn, 'off');
      }
      const mode = modeOf(opcode);
      const size = sizeOf(opcode);
      if ((mode !== Mode.ABS && mode !== Mode.IND) || (size !== W && size !== H && size !== B)) {
        return `unknown LD opcode 0x${opcode.toString(16)}`;
      }
      if (mode === Mode.IND && !isRegister(src)) return `source register ${src} is out of range`;
      return mode === Mode.ABS ? zero(insn, 'dst', 'src', 'off') : zero(insn, 'dst', 'off');
    }
  }
  return `unknown opcode 0x${opcode.toString(16)}`;
}

const ALU_NAMES: Record<number, string> = {
  [AluOp.ADD]: 'add',
  [AluOp.SUB]: 'sub',
  [AluOp.MUL]: 'mul',
  [AluOp.DIV]: 'div',
  [AluOp.OR]: 'or',
  [AluOp.AND]: 'and',
  [AluOp.LSH]: 'lsh',
  [AluOp.RSH]: 'rsh',
  [AluOp.NEG]: 'neg',
  [AluOp.MOD]: 'mod',
  [AluOp.XOR]: 'xor',
  [AluOp.MOV]: 'mov',
  [AluOp.ARSH]: 'arsh',
  [AluOp.END]: 'end',
};
const JMP_NAMES: Record<number, string> = {
  [JmpOp.JA]: 'ja',
  [JmpOp.JEQ]: 'jeq',
  [JmpOp.JGT]: 'jgt',
  [JmpOp.JGE]: 'jge',
  [JmpOp.JSET]: 'jset',
  [JmpOp.JNE]: 'jne',
  [JmpOp.JSGT]: 'jsgt',
  [JmpOp.JSGE]: 'jsge',
  [JmpOp.CALL]: 'call',
  [JmpOp.EXIT]: 'exit',
  [JmpOp.JLT]: 'jlt',
  [JmpOp.JLE]: 'jle',
  [JmpOp.JSLT]: 'jslt',
  [JmpOp.JSLE]: 'jsle',
  [JmpOp.JCOND]: 'may_goto',
};
const SIZE_SUFFIX: Record<number, string> = { [W]: 'w', [H]: 'h', [B]: 'b', [DW]: 'dw' };

/** A short name for error messages, in the style of the builder's methods (`jne32`, `ldxw`). */
export function mnemonicOf(insn: Pick<Instruction, 'opcode' | 'src' | 'off' | 'imm'>): string {
  const { opcode } = insn;
  const op = opOf(opcode);
  switch (classOf(opcode)) {
    case Class.ALU:
    case Class.ALU64: {
      const bits = classOf(opcode) === Class.ALU64 ? '64' : '32';
      if (op === AluOp.END) return classOf(opcode) === Class.ALU64 ? 'bswap' : sourceOf(opcode) ? 'be' : 'le';
      if ((op === AluOp.DIV || op === AluOp.MOD) && insn.off === SIGNED_DIVISION_OFF) return `s${ALU_NAMES[op]}${bits}`;
      if (op === AluOp.MOV && insn.off === ADDR_SPACE_CAST_OFF && bits === '64') return 'addr_space_cast';
      if (op === AluOp.MOV && insn.off !== 0) return `movsx${bits}`;
      return `${ALU_NAMES[op] ?? 'alu?'}${bits}`;
    }
    case Class.JMP:
    case Class.JMP32: {
      if (op === JmpOp.JA && classOf(opcode) === Class.JMP32) return 'gotol';
      const name = JMP_NAMES[op] ?? 'jmp?';
      return classOf(opcode) === Class.JMP32 ? `${name}32` : name;
    }
    case Class.LDX:
      return `${modeOf(opcode) === Mode.MEMSX ? 'ldxs' : 'ldx'}${SIZE_SUFFIX[sizeOf(opcode)]}`;
    case Class.ST:
      return `st${SIZE_SUFFIX[sizeOf(opcode)]}`;
    case Class.STX:
      return modeOf(opcode) === Mode.ATOMIC ? `atomic${SIZE_SUFFIX[sizeOf(opcode)]}` : `stx${SIZE_SUFFIX[sizeOf(opcode)]}`;
    default:
      if (opcode === LD_IMM64) return 'ld_imm64';
      return `ld${modeOf(opcode) === Mode.ABS ? 'abs' : 'ind'}${SIZE_SUFFIX[sizeOf(opcode)]}`;
  }
}

function writeSlot(view: DataView, at: number, opcode: number, dst: number, src: number, off: number, imm: number): void {
  view.setUint8(at, opcode);
  view.setUint8(at + 1, (src << 4) | dst);
  view.setInt16(at + 2, off, true);
  view.setInt32(at + 4, imm, true);
}

/**
 * Bytecode for resolved instructions. Symbolic references must already be resolved (see
 * Program.bytecode); the fields are encoded as they are.
 */
export function encode(instructions: readonly Instruction[]): Uint8Array {
  const slots = instructions.reduce((n, insn) => n + slotsOf(insn), 0);
  const bytes = new Uint8Array(slots * INSTRUCTION_BYTES);
  const view = new DataView(bytes.buffer);
  let at = 0;
  for (const insn of instructions) {
    writeSlot(view, at, insn.opcode, insn.dst, insn.src, insn.off, insn.imm);
    at += INSTRUCTION_BYTES;
    if (insn.opcode === LD_IMM64) {
      writeSlot(view, at, 0, 0, 0, 0, insn.imm2 ?? 0);
      at += INSTRUCTION_BYTES;
    }
  }
  return bytes;
}

/** Instructions from bytecode, each checked with problemOf. */
export function decode(bytes: Uint8Array): Instruction[] {
  if (bytes.length % INSTRUCTION_BYTES !== 0) {
    throw new AsmDecodeError(`${bytes.length} bytes is not a whole number of 8-byte instructions`, Math.floor(bytes.length / 8));
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const slots = bytes.length / INSTRUCTION_BYTES;
  const instructions: Instruction[] = [];
  for (let pc = 0; pc < slots; pc++) {
    const at = pc * INSTRUCTION_BYTES;
    const regs = view.getUint8(at + 1);
    const fields = {
      opcode: view.getUint8(at),
      dst: regs & 0x0f,
      src: regs >> 4,
      off: view.getInt16(at + 2, true),
      imm: view.getInt32(at + 4, true),
    };
    let insn: Instruction = fields;
    if (fields.opcode === LD_IMM64) {
      if (pc + 1 >= slots) throw new AsmDecodeError('ld_imm64 is missing its second 8-byte half', pc);
      const second = at + INSTRUCTION_BYTES;
      if (view.getUint8(second) !== 0 || view.getUint8(second + 1) !== 0 || view.getInt16(second + 2, true) !== 0) {
        throw new AsmDecodeError('the second half of ld_imm64 must have opcode, registers and offset 0', pc + 1);
      }
      insn = { ...fields, imm2: view.getInt32(second + 4, true) };
    }
    const problem = problemOf(insn);
    if (problem !== undefined) throw new AsmDecodeError(`${problem} (opcode 0x${fields.opcode.toString(16).padStart(2, '0')})`, pc);
    instructions.push(insn);
    pc += slotsOf(insn) - 1;
  }
  return instructions;
}
