// The typed builder: one method per instruction form, chained. Operands are checked when the
// method is called, so an error names the instruction it came from; labels are checked by build().
import { AsmBuildError } from './errors.ts';
import { type Instruction, isInt32, mnemonicOf, problemOf, slotsOf } from './instruction.ts';
import {
  ADDR_SPACE_CAST_OFF, AluOp, AtomicOp, ByteOrder, CallKind, Class, DW, JmpOp, LD_IMM64, Mode, Pseudo,
  SIGNED_DIVISION_OFF, type Size, Source, B, H, W,
} from './opcodes.ts';
import { IDENTIFIER, RESERVED_NAMES } from './parser.ts';
import { type Program, type ProgramItem, link } from './program.ts';
import { Register } from './registers.ts';

/** A register, or a number for the 32-bit immediate form. */
export type Operand = Register | number;
/** A label, or a relative offset in slots (as in `goto +3`). */
export type JumpTarget = string | number;
export type AtomicOperation =
  | 'add' | 'or' | 'and' | 'xor' | 'fetch_add' | 'fetch_or' | 'fetch_and' | 'fetch_xor' | 'xchg' | 'cmpxchg';

const ATOMIC_IMM: Record<AtomicOperation, number> = {
  add: AtomicOp.ADD, or: AtomicOp.OR, and: AtomicOp.AND, xor: AtomicOp.XOR,
  fetch_add: AtomicOp.ADD | AtomicOp.FETCH, fetch_or: AtomicOp.OR | AtomicOp.FETCH,
  fetch_and: AtomicOp.AND | AtomicOp.FETCH, fetch_xor: AtomicOp.XOR | AtomicOp.FETCH,
  xchg: AtomicOp.XCHG, cmpxchg: AtomicOp.CMPXCHG,
};
const SIZES = new Set<number>([B, H, W, DW]);

/**
 * Builds a Program instruction by instruction:
 *
 *     const program = new ProgramBuilder()
 *       .ldx(W, R2, R1, 16).comment('r2 = ctx->newstate')
 *       .jne(R2, 1, 'skip')
 *       .mov64(R0, 1)
 *       .label('skip')
 *       .exit()
 *       .build();
 */
export class ProgramBuilder {
  private readonly items: ProgramItem[] = [];
  private readonly mnemonics: string[] = [];
  private readonly slots: number[] = [];
  private pc = 0;

  // --- plumbing -------------------------------------------------------------------------

  private fail(mnemonic: string, reason: string): never {
    throw new AsmBuildError(reason, this.pc, mnemonic);
  }

  private reg(mnemonic: string, register: Register, role: string): number {
    if (!(register instanceof Register)) this.fail(mnemonic, `${role} ${String(register)} is not a register (use R0..R10)`);
    return register.index;
  }

  /** A 32-bit immediate: signed, or for 32-bit operations also unsigned (same bits). */
  private imm(mnemonic: string, value: number, unsignedAllowed: boolean, what = 'immediate'): number {
    if (isInt32(value)) return value;
    if (unsignedAllowed && Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff) return value | 0;
    return this.fail(mnemonic, `${what} ${value} does not fit in a signed 32-bit field`);
  }

  private off(mnemonic: string, value: number): number {
    if (!Number.isInteger(value) || value < -32768 || value > 32767) this.fail(mnemonic, `offset ${value} does not fit in a signed 16-bit field`);
    return value;
  }

  private size(mnemonic: string, size: Size): Size {
    if (!SIZES.has(size)) this.fail(mnemonic, `${String(size)} is not a size (use B, H, W or DW)`);
    return size;
  }

  private checkName(mnemonic: string, name: string, what: string): string {
    if (typeof name !== 'string' || !IDENTIFIER.test(name) || /^[rRwW]([0-9]|10)$/.test(name) || RESERVED_NAMES.has(name)) {
      this.fail(mnemonic, `${what} ${JSON.stringify(name)} is not a usable identifier`);
    }
    return name;
  }

  private push(mnemonic: string, insn: Instruction): this {
    const problem = problemOf(insn);
    if (problem !== undefined) this.fail(mnemonic, problem);
    this.items.push({ kind: 'insn', insn });
    this.mnemonics.push(mnemonic);
    this.slots.push(this.pc);
    this.pc += slotsOf(insn);
    return this;
  }

  private alu(mnemonic: string, cls: number, op: number, dst: Register, src: Operand, off = 0): this {
    const d = this.reg(mnemonic, dst, 'destination');
    if (typeof src === 'number') {
      const imm = this.imm(mnemonic, src, cls === Class.ALU);
      return this.push(mnemonic, { opcode: cls | op | Source.K, dst: d, src: 0, off, imm });
    }
    return this.push(mnemonic, { opcode: cls | op | Source.X, dst: d, src: this.reg(mnemonic, src, 'source'), off, imm: 0 });
  }

  private jump(mnemonic: string, opcode: number, fields: Omit<Instruction, 'opcode' | 'off' | 'imm'> & { imm?: number }, target: JumpTarget, field: 'off' | 'imm'): this {
    const base = { opcode, off: 0, imm: 0, ...fields };
    if (typeof target === 'string') return this.push(mnemonic, { ...base, label: this.checkName(mnemonic, target, 'label') });
    if (!Number.isInteger(target)) this.fail(mnemonic, `jump target ${String(target)} is neither a label nor an integer offset`);
    if (field === 'off') return this.push(mnemonic, { ...base, off: this.off(mnemonic, target) });
    return this.push(mnemonic, { ...base, imm: this.imm(mnemonic, target, false, 'offset') });
  }

  private conditional(mnemonic: string, cls: number, op: number, dst: Register, src: Operand, target: JumpTarget): this {
    const d = this.reg(mnemonic, dst, 'destination');
    if (typeof src === 'number') {
      const imm = this.imm(mnemonic, src, cls === Class.JMP32);
      return this.jump(mnemonic, cls | op | Source.K, { dst: d, src: 0, imm }, target, 'off');
    }
    return this.jump(mnemonic, cls | op | Source.X, { dst: d, src: this.reg(mnemonic, src, 'source') }, target, 'off');
  }

  private ldImm64Raw(mnemonic: string, dst: Register, src: number, imm: number, imm2: number, extra: Partial<Instruction> = {}): this {
    return this.push(mnemonic, { opcode: LD_IMM64, dst: this.reg(mnemonic, dst, 'destination'), src, off: 0, imm, imm2, ...extra });
  }

  // --- labels, comments, raw instructions -----------------------------------------------

  /** Mark the next instruction with `name`, the target of jumps and calls that name it. */
  label(name: string): this {
    this.items.push({ kind: 'label', name: this.checkName('label', name, 'label') });
    return this;
  }

  /** Attach a comment to the instruction added last (shown by disassemble and `--ebpf`). */
  comment(text: string): this {
    for (let i = this.items.length - 1; i >= 0; i--) {
      const item = this.items[i] as ProgramItem;
      if (item.kind === 'insn') {
        this.items[i] = { kind: 'insn', insn: { ...item.insn, comment: text } };
        return this;
      }
    }
    return this.fail('comment', 'there is no instruction to attach the comment to yet');
  }

  /** Any instruction in the raw model, checked like the others. */
  raw(insn: Instruction): this {
    return this.push(mnemonicOf(insn), insn);
  }

  /** Resolve labels and return the Program. Throws on unknown, duplicate or unreachable labels. */
  build(): Program {
    let insnIndex = -1;
    const insnIndexOfItem = this.items.map((item) => (item.kind === 'insn' ? ++insnIndex : insnIndex + 1));
    return link(this.items, (item, pc, reason) => {
      if (this.items[item]?.kind === 'label') return new AsmBuildError(reason, pc, 'label');
      return new AsmBuildError(reason, pc, this.mnemonics[insnIndexOfItem[item] as number] ?? 'label');
    });
  }

  // --- ALU, 64-bit ----------------------------------------------------------------------

  add64(dst: Register, src: Operand): this { return this.alu('add64', Class.ALU64, AluOp.ADD, dst, src); }
  sub64(dst: Register, src: Operand): this { return this.alu('sub64', Class.ALU64, AluOp.SUB, dst, src); }
  mul64(dst: Register, src: Operand): this { return this.alu('mul64', Class.ALU64, AluOp.MUL, dst, src); }
  div64(dst: Register, src: Operand): this { return this.alu('div64', Class.ALU64, AluOp.DIV, dst, src); }
  /** v4 signed division. */
  sdiv64(dst: Register, src: Operand): this { return this.alu('sdiv64', Class.ALU64, AluOp.DIV, dst, src, SIGNED_DIVISION_OFF); }
  mod64(dst: Register, src: Operand): this { return this.alu('mod64', Class.ALU64, AluOp.MOD, dst, src); }
  /** v4 signed modulo. */
  smod64(dst: Register, src: Operand): this { return this.alu('smod64', Class.ALU64, AluOp.MOD, dst, src, SIGNED_DIVISION_OFF); }
  or64(dst: Register, src: Operand): this { return this.alu('or64', Class.ALU64, AluOp.OR, dst, src); }
  and64(dst: Register, src: Operand): this { return this.alu('and64', Class.ALU64, AluOp.AND, dst, src); }
  xor64(dst: Register, src: Operand): this { return this.alu('xor64', Class.ALU64, AluOp.XOR, dst, src); }
  lsh64(dst: Register, src: Operand): this { return this.alu('lsh64', Class.ALU64, AluOp.LSH, dst, src); }
  rsh64(dst: Register, src: Operand): this { return this.alu('rsh64', Class.ALU64, AluOp.RSH, dst, src); }
  arsh64(dst: Register, src: Operand): this { return this.alu('arsh64', Class.ALU64, AluOp.ARSH, dst, src); }
  mov64(dst: Register, src: Operand): this { return this.alu('mov64', Class.ALU64, AluOp.MOV, dst, src); }
  neg64(dst: Register): this { return this.push('neg64', { opcode: Class.ALU64 | AluOp.NEG, dst: this.reg('neg64', dst, 'destination'), src: 0, off: 0, imm: 0 }); }
  /** v4 `dst = (s8|s16|s32)src`. */
  movsx64(dst: Register, src: Register, bits: 8 | 16 | 32): this {
    return this.push('movsx64', { opcode: Class.ALU64 | AluOp.MOV | Source.X, dst: this.reg('movsx64', dst, 'destination'), src: this.reg('movsx64', src, 'source'), off: bits, imm: 0 });
  }
  /** v4 arena pointer cast `dst = addr_space_cast(src, toSpace, fromSpace)`. */
  addrSpaceCast(dst: Register, src: Register, toSpace: number, fromSpace: number): this {
    const m = 'addr_space_cast';
    for (const space of [toSpace, fromSpace]) {
      if (!Number.isInteger(space) || space < 0 || space > 0xffff) this.fail(m, `address space ${space} is not 16-bit`);
    }
    return this.push(m, { opcode: Class.ALU64 | AluOp.MOV | Source.X, dst: this.reg(m, dst, 'destination'), src: this.reg(m, src, 'source'), off: ADDR_SPACE_CAST_OFF, imm: ((toSpace << 16) | fromSpace) | 0 });
  }

  // --- ALU, 32-bit (the result is zero-extended into the 64-bit register) ---------------

  add32(dst: Register, src: Operand): this { return this.alu('add32', Class.ALU, AluOp.ADD, dst, src); }
  sub32(dst: Register, src: Operand): this { return this.alu('sub32', Class.ALU, AluOp.SUB, dst, src); }
  mul32(dst: Register, src: Operand): this { return this.alu('mul32', Class.ALU, AluOp.MUL, dst, src); }
  div32(dst: Register, src: Operand): this { return this.alu('div32', Class.ALU, AluOp.DIV, dst, src); }
  sdiv32(dst: Register, src: Operand): this { return this.alu('sdiv32', Class.ALU, AluOp.DIV, dst, src, SIGNED_DIVISION_OFF); }
  mod32(dst: Register, src: Operand): this { return this.alu('mod32', Class.ALU, AluOp.MOD, dst, src); }
  smod32(dst: Register, src: Operand): this { return this.alu('smod32', Class.ALU, AluOp.MOD, dst, src, SIGNED_DIVISION_OFF); }
  or32(dst: Register, src: Operand): this { return this.alu('or32', Class.ALU, AluOp.OR, dst, src); }
  and32(dst: Register, src: Operand): this { return this.alu('and32', Class.ALU, AluOp.AND, dst, src); }
  xor32(dst: Register, src: Operand): this { return this.alu('xor32', Class.ALU, AluOp.XOR, dst, src); }
  lsh32(dst: Register, src: Operand): this { return this.alu('lsh32', Class.ALU, AluOp.LSH, dst, src); }
  rsh32(dst: Register, src: Operand): this { return this.alu('rsh32', Class.ALU, AluOp.RSH, dst, src); }
  arsh32(dst: Register, src: Operand): this { return this.alu('arsh32', Class.ALU, AluOp.ARSH, dst, src); }
  mov32(dst: Register, src: Operand): this { return this.alu('mov32', Class.ALU, AluOp.MOV, dst, src); }
  neg32(dst: Register): this { return this.push('neg32', { opcode: Class.ALU | AluOp.NEG, dst: this.reg('neg32', dst, 'destination'), src: 0, off: 0, imm: 0 }); }
  /** v4 `wdst = (s8|s16)wsrc`. */
  movsx32(dst: Register, src: Register, bits: 8 | 16): this {
    return this.push('movsx32', { opcode: Class.ALU | AluOp.MOV | Source.X, dst: this.reg('movsx32', dst, 'destination'), src: this.reg('movsx32', src, 'source'), off: bits, imm: 0 });
  }

  // --- byte order -----------------------------------------------------------------------

  /** Convert to little endian (`r1 = le16 r1`): truncation only on a little-endian host. */
  le(dst: Register, bits: 16 | 32 | 64): this { return this.push('le', { opcode: Class.ALU | AluOp.END | ByteOrder.TO_LE, dst: this.reg('le', dst, 'destination'), src: 0, off: 0, imm: bits }); }
  /** Convert to big endian (`r1 = be16 r1`), e.g. network byte order. */
  be(dst: Register, bits: 16 | 32 | 64): this { return this.push('be', { opcode: Class.ALU | AluOp.END | ByteOrder.TO_BE, dst: this.reg('be', dst, 'destination'), src: 0, off: 0, imm: bits }); }
  /** v4 unconditional byte swap (`r1 = bswap16 r1`). */
  bswap(dst: Register, bits: 16 | 32 | 64): this { return this.push('bswap', { opcode: Class.ALU64 | AluOp.END, dst: this.reg('bswap', dst, 'destination'), src: 0, off: 0, imm: bits }); }

  // --- jumps ----------------------------------------------------------------------------

  /** `goto target` (16-bit offset). */
  ja(target: JumpTarget): this { return this.jump('ja', Class.JMP | JmpOp.JA, { dst: 0, src: 0 }, target, 'off'); }
  /** v4 `gotol target` (32-bit offset). */
  gotol(target: JumpTarget): this { return this.jump('gotol', Class.JMP32 | JmpOp.JA, { dst: 0, src: 0 }, target, 'imm'); }
  /** v4 `may_goto target`: falls through until the kernel's loop budget runs out. */
  mayGoto(target: JumpTarget): this { return this.jump('may_goto', Class.JMP | JmpOp.JCOND, { dst: 0, src: 0 }, target, 'off'); }

  jeq(dst: Register, src: Operand, target: JumpTarget): this { return this.conditional('jeq', Class.JMP, JmpOp.JEQ, dst, src, target); }
  jne(dst: Register, src: Operand, target: JumpTarget): this { return this.conditional('jne', Class.JMP, JmpOp.JNE, dst, src, target); }
  jgt(dst: Register, src: Operand, target: JumpTarget): this { return this.conditional('jgt', Class.JMP, JmpOp.JGT, dst, src, target); }
  jge(dst: Register, src: Operand, target: JumpTarget): this { return this.conditional('jge', Class.JMP, JmpOp.JGE, dst, src, target); }
  jlt(dst: Register, src: Operand, target: JumpTarget): this { return this.conditional('jlt', Class.JMP, JmpOp.JLT, dst, src, target); }
  jle(dst: Register, src: Operand, target: JumpTarget): this { return this.conditional('jle', Class.JMP, JmpOp.JLE, dst, src, target); }
  jset(dst: Register, src: Operand, target: JumpTarget): this { return this.conditional('jset', Class.JMP, JmpOp.JSET, dst, src, target); }
  jsgt(dst: Register, src: Operand, target: JumpTarget): this { return this.conditional('jsgt', Class.JMP, JmpOp.JSGT, dst, src, target); }
  jsge(dst: Register, src: Operand, target: JumpTarget): this { return this.conditional('jsge', Class.JMP, JmpOp.JSGE, dst, src, target); }
  jslt(dst: Register, src: Operand, target: JumpTarget): this { return this.conditional('jslt', Class.JMP, JmpOp.JSLT, dst, src, target); }
  jsle(dst: Register, src: Operand, target: JumpTarget): this { return this.conditional('jsle', Class.JMP, JmpOp.JSLE, dst, src, target); }

  jeq32(dst: Register, src: Operand, target: JumpTarget): this { return this.conditional('jeq32', Class.JMP32, JmpOp.JEQ, dst, src, target); }
  jne32(dst: Register, src: Operand, target: JumpTarget): this { return this.conditional('jne32', Class.JMP32, JmpOp.JNE, dst, src, target); }
  jgt32(dst: Register, src: Operand, target: JumpTarget): this { return this.conditional('jgt32', Class.JMP32, JmpOp.JGT, dst, src, target); }
  jge32(dst: Register, src: Operand, target: JumpTarget): this { return this.conditional('jge32', Class.JMP32, JmpOp.JGE, dst, src, target); }
  jlt32(dst: Register, src: Operand, target: JumpTarget): this { return this.conditional('jlt32', Class.JMP32, JmpOp.JLT, dst, src, target); }
  jle32(dst: Register, src: Operand, target: JumpTarget): this { return this.conditional('jle32', Class.JMP32, JmpOp.JLE, dst, src, target); }
  jset32(dst: Register, src: Operand, target: JumpTarget): this { return this.conditional('jset32', Class.JMP32, JmpOp.JSET, dst, src, target); }
  jsgt32(dst: Register, src: Operand, target: JumpTarget): this { return this.conditional('jsgt32', Class.JMP32, JmpOp.JSGT, dst, src, target); }
  jsge32(dst: Register, src: Operand, target: JumpTarget): this { return this.conditional('jsge32', Class.JMP32, JmpOp.JSGE, dst, src, target); }
  jslt32(dst: Register, src: Operand, target: JumpTarget): this { return this.conditional('jslt32', Class.JMP32, JmpOp.JSLT, dst, src, target); }
  jsle32(dst: Register, src: Operand, target: JumpTarget): this { return this.conditional('jsle32', Class.JMP32, JmpOp.JSLE, dst, src, target); }

  // --- calls ----------------------------------------------------------------------------

  /** Call a helper by id: `call(Helper.ktime_get_ns)`. Arguments in R1–R5, result in R0. */
  call(helper: number): this {
    return this.push('call', { opcode: Class.JMP | JmpOp.CALL, dst: 0, src: CallKind.HELPER, off: 0, imm: this.imm('call', helper, false, 'helper id') });
  }
  /** BPF-to-BPF call of the function starting at `label`. */
  callSubprog(label: string): this {
    return this.push('call', { opcode: Class.JMP | JmpOp.CALL, dst: 0, src: CallKind.PSEUDO_CALL, off: 0, imm: 0, label: this.checkName('call', label, 'label') });
  }
  /** Call a kernel function by BTF id; `fdIndex` selects a module BTF in the fd_array (0: vmlinux). */
  callKfunc(btfId: number, fdIndex = 0): this {
    return this.push('call', { opcode: Class.JMP | JmpOp.CALL, dst: 0, src: CallKind.KFUNC, off: this.off('call', fdIndex), imm: this.imm('call', btfId, true, 'BTF id') });
  }
  exit(): this { return this.push('exit', { opcode: Class.JMP | JmpOp.EXIT, dst: 0, src: 0, off: 0, imm: 0 }); }

  // --- memory ---------------------------------------------------------------------------

  /** `dst = *(size *)(src + off)`, zero-extended. */
  ldx(size: Size, dst: Register, src: Register, off: number): this {
    const m = 'ldx';
    return this.push(m, { opcode: Class.LDX | Mode.MEM | this.size(m, size), dst: this.reg(m, dst, 'destination'), src: this.reg(m, src, 'base'), off: this.off(m, off), imm: 0 });
  }
  /** v4 `dst = *(s8|s16|s32 *)(src + off)`, sign-extended. */
  ldxsx(size: Size, dst: Register, src: Register, off: number): this {
    const m = 'ldxsx';
    return this.push(m, { opcode: Class.LDX | Mode.MEMSX | this.size(m, size), dst: this.reg(m, dst, 'destination'), src: this.reg(m, src, 'base'), off: this.off(m, off), imm: 0 });
  }
  /** `*(size *)(dst + off) = src`. */
  stx(size: Size, dst: Register, off: number, src: Register): this {
    const m = 'stx';
    return this.push(m, { opcode: Class.STX | Mode.MEM | this.size(m, size), dst: this.reg(m, dst, 'base'), src: this.reg(m, src, 'source'), off: this.off(m, off), imm: 0 });
  }
  /** `*(size *)(dst + off) = imm`. */
  st(size: Size, dst: Register, off: number, imm: number): this {
    const m = 'st';
    return this.push(m, { opcode: Class.ST | Mode.MEM | this.size(m, size), dst: this.reg(m, dst, 'base'), src: 0, off: this.off(m, off), imm: this.imm(m, imm, size !== DW) });
  }
  /**
   * Atomic read-modify-write on `*(size *)(dst + off)` (size W or DW). The fetch_ forms and
   * xchg put the old value in `src`; cmpxchg compares with R0 and returns the old value in R0.
   */
  atomic(operation: AtomicOperation, size: Size, dst: Register, off: number, src: Register): this {
    const m = `atomic ${operation}`;
    const imm = ATOMIC_IMM[operation];
    if (imm === undefined) this.fail(m, `unknown atomic operation ${JSON.stringify(operation)}`);
    return this.push(m, { opcode: Class.STX | Mode.ATOMIC | this.size(m, size), dst: this.reg(m, dst, 'base'), src: this.reg(m, src, 'source'), off: this.off(m, off), imm });
  }
  /** `dst = load_acquire((size *)(src + off))`. */
  loadAcquire(size: Size, dst: Register, src: Register, off: number): this {
    const m = 'load_acquire';
    return this.push(m, { opcode: Class.STX | Mode.ATOMIC | this.size(m, size), dst: this.reg(m, dst, 'destination'), src: this.reg(m, src, 'base'), off: this.off(m, off), imm: AtomicOp.LOAD_ACQ });
  }
  /** `store_release((size *)(dst + off), src)`. */
  storeRelease(size: Size, dst: Register, off: number, src: Register): this {
    const m = 'store_release';
    return this.push(m, { opcode: Class.STX | Mode.ATOMIC | this.size(m, size), dst: this.reg(m, dst, 'base'), src: this.reg(m, src, 'source'), off: this.off(m, off), imm: AtomicOp.STORE_REL });
  }
  /** Legacy packet load `r0 = *(size *)skb[imm]` (socket filters). */
  ldAbs(size: Size, imm: number): this {
    const m = 'ldabs';
    return this.push(m, { opcode: Class.LD | Mode.ABS | this.size(m, size), dst: 0, src: 0, off: 0, imm: this.imm(m, imm, false) });
  }
  /** Legacy packet load `r0 = *(size *)skb[src + imm]`. */
  ldInd(size: Size, src: Register, imm: number): this {
    const m = 'ldind';
    return this.push(m, { opcode: Class.LD | Mode.IND | this.size(m, size), dst: 0, src: this.reg(m, src, 'source'), off: 0, imm: this.imm(m, imm, false) });
  }

  // --- 64-bit loads (two slots) ---------------------------------------------------------

  /** `dst = value ll`: any 64-bit constant (signed or unsigned). */
  ldImm64(dst: Register, value: bigint | number): this {
    const m = 'ld_imm64';
    const big = typeof value === 'bigint' ? value : Number.isSafeInteger(value) ? BigInt(value) : undefined;
    if (big === undefined || big < -(2n ** 63n) || big > 2n ** 64n - 1n) this.fail(m, `${String(value)} is not a 64-bit integer`);
    const bits = BigInt.asUintN(64, big as bigint);
    return this.ldImm64Raw(m, dst, Pseudo.NONE, Number(BigInt.asIntN(32, bits)), Number(BigInt.asIntN(32, bits >> 32n)));
  }
  /** `dst = map[name] ll`: the map's address; its fd is filled in by `Program.bytecode`. */
  ldMap(dst: Register, name: string): this {
    return this.ldImm64Raw('ld_map', dst, Pseudo.MAP_FD, 0, 0, { map: this.checkName('ld_map', name, 'map name') });
  }
  /** `dst = map[name][0]+offset ll`: address inside the value of an array map's element 0. */
  ldMapValue(dst: Register, name: string, offset = 0): this {
    return this.ldImm64Raw('ld_map_value', dst, Pseudo.MAP_VALUE, 0, this.imm('ld_map_value', offset, true, 'value offset'), { map: this.checkName('ld_map_value', name, 'map name') });
  }
  /** `dst = map[fd:N] ll`, for a map fd known now. */
  ldMapFd(dst: Register, fd: number): this {
    return this.ldImm64Raw('ld_map', dst, Pseudo.MAP_FD, this.imm('ld_map', fd, false, 'fd'), 0);
  }
  /** `dst = map[idx:N] ll`: the N-th map of BPF_PROG_LOAD's fd_array. */
  ldMapIdx(dst: Register, index: number, valueOffset?: number): this {
    const m = 'ld_map_idx';
    if (valueOffset === undefined) return this.ldImm64Raw(m, dst, Pseudo.MAP_IDX, this.imm(m, index, true, 'index'), 0);
    return this.ldImm64Raw(m, dst, Pseudo.MAP_IDX_VALUE, this.imm(m, index, true, 'index'), this.imm(m, valueOffset, true, 'value offset'));
  }
  /** `dst = btf[id:N] ll`: address of a kernel variable by BTF id (btfFd 0: vmlinux). */
  ldBtfId(dst: Register, btfId: number, btfFd = 0): this {
    return this.ldImm64Raw('ld_btf_id', dst, Pseudo.BTF_ID, this.imm('ld_btf_id', btfId, true, 'BTF id'), this.imm('ld_btf_id', btfFd, false, 'fd'));
  }
  /** `dst = func[label] ll`: address of a BPF function, for callbacks such as bpf_loop. */
  ldFunc(dst: Register, label: string): this {
    return this.ldImm64Raw('ld_func', dst, Pseudo.FUNC, 0, 0, { label: this.checkName('ld_func', label, 'label') });
  }
}
