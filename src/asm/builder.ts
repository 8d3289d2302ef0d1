// The typed builder: one method per instruction form, chained. Operands are checked when the
// method is called, so an error names the instruction it came from; labels are checked by build().
import * as encode from './encode.ts';
import { ATOMIC_IMM, type AluOperation, type AtomicOperation, type Bits, type JumpCondition, type Target } from './encode.ts';
import { AsmBuildError } from './errors.ts';
import { type Instruction, isInt32, mnemonicOf, problemOf, slotsOf } from './instruction.ts';
import { isUsableName } from './lexer.ts';
import { type Size, B, H, W, DW } from './opcodes.ts';
import { type Program, type ProgramItem, link } from './program.ts';
import { Register } from './registers.ts';

/** A register, or a number for the 32-bit immediate form. */
export type Operand = Register | number;
/** A label, or a relative offset in slots (as in `goto +3`). */
export type JumpTarget = string | number;
export type { AtomicOperation } from './encode.ts';
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
    if (!Number.isInteger(value) || value < -32768 || value > 32767)
      this.fail(mnemonic, `offset ${value} does not fit in a signed 16-bit field`);
    return value;
  }

  private size(mnemonic: string, size: Size): Size {
    if (!SIZES.has(size)) this.fail(mnemonic, `${String(size)} is not a size (use B, H, W or DW)`);
    return size;
  }

  private checkName(mnemonic: string, name: string, what: string): string {
    if (typeof name !== 'string' || !isUsableName(name)) {
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

  private alu(mnemonic: string, bits: Bits, operation: AluOperation, dst: Register, src: Operand): this {
    const d = this.reg(mnemonic, dst, 'destination');
    if (typeof src === 'number') return this.push(mnemonic, encode.aluImm(bits, operation, d, this.imm(mnemonic, src, bits === 32)));
    return this.push(mnemonic, encode.aluReg(bits, operation, d, this.reg(mnemonic, src, 'source')));
  }

  /** A checked jump target: a usable label, or an offset that fits `field` (16-bit off, 32-bit imm). */
  private target(mnemonic: string, target: JumpTarget, field: 'off' | 'imm'): Target {
    if (typeof target === 'string') return { label: this.checkName(mnemonic, target, 'label') };
    if (!Number.isInteger(target)) this.fail(mnemonic, `jump target ${String(target)} is neither a label nor an integer offset`);
    return field === 'off' ? this.off(mnemonic, target) : this.imm(mnemonic, target, false, 'offset');
  }

  private conditional(mnemonic: string, bits: Bits, condition: JumpCondition, dst: Register, src: Operand, target: JumpTarget): this {
    const d = this.reg(mnemonic, dst, 'destination');
    if (typeof src === 'number') {
      const imm = this.imm(mnemonic, src, bits === 32);
      return this.push(mnemonic, encode.jumpImm(bits, condition, d, imm, this.target(mnemonic, target, 'off')));
    }
    const s = this.reg(mnemonic, src, 'source');
    return this.push(mnemonic, encode.jumpReg(bits, condition, d, s, this.target(mnemonic, target, 'off')));
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

  add64(dst: Register, src: Operand): this {
    return this.alu('add64', 64, 'add', dst, src);
  }
  sub64(dst: Register, src: Operand): this {
    return this.alu('sub64', 64, 'sub', dst, src);
  }
  mul64(dst: Register, src: Operand): this {
    return this.alu('mul64', 64, 'mul', dst, src);
  }
  div64(dst: Register, src: Operand): this {
    return this.alu('div64', 64, 'div', dst, src);
  }
  /** v4 signed division. */
  sdiv64(dst: Register, src: Operand): this {
    return this.alu('sdiv64', 64, 'sdiv', dst, src);
  }
  mod64(dst: Register, src: Operand): this {
    return this.alu('mod64', 64, 'mod', dst, src);
  }
  /** v4 signed modulo. */
  smod64(dst: Register, src: Operand): this {
    return this.alu('smod64', 64, 'smod', dst, src);
  }
  or64(dst: Register, src: Operand): this {
    return this.alu('or64', 64, 'or', dst, src);
  }
  and64(dst: Register, src: Operand): this {
    return this.alu('and64', 64, 'and', dst, src);
  }
  xor64(dst: Register, src: Operand): this {
    return this.alu('xor64', 64, 'xor', dst, src);
  }
  lsh64(dst: Register, src: Operand): this {
    return this.alu('lsh64', 64, 'lsh', dst, src);
  }
  rsh64(dst: Register, src: Operand): this {
    return this.alu('rsh64', 64, 'rsh', dst, src);
  }
  arsh64(dst: Register, src: Operand): this {
    return this.alu('arsh64', 64, 'arsh', dst, src);
  }
  mov64(dst: Register, src: Operand): this {
    return this.alu('mov64', 64, 'mov', dst, src);
  }
  neg64(dst: Register): this {
    return this.push('neg64', encode.neg(64, this.reg('neg64', dst, 'destination')));
  }
  /** v4 `dst = (s8|s16|s32)src`. */
  movsx64(dst: Register, src: Register, bits: 8 | 16 | 32): this {
    return this.push('movsx64', encode.movsx(64, this.reg('movsx64', dst, 'destination'), this.reg('movsx64', src, 'source'), bits));
  }
  /** v4 arena pointer cast `dst = addr_space_cast(src, toSpace, fromSpace)`. */
  addrSpaceCast(dst: Register, src: Register, toSpace: number, fromSpace: number): this {
    const m = 'addr_space_cast';
    for (const space of [toSpace, fromSpace]) {
      if (!Number.isInteger(space) || space < 0 || space > 0xffff) this.fail(m, `address space ${space} is not 16-bit`);
    }
    return this.push(m, encode.addrSpaceCast(this.reg(m, dst, 'destination'), this.reg(m, src, 'source'), toSpace, fromSpace));
  }

  // --- ALU, 32-bit (the result is zero-extended into the 64-bit register) ---------------

  add32(dst: Register, src: Operand): this {
    return this.alu('add32', 32, 'add', dst, src);
  }
  sub32(dst: Register, src: Operand): this {
    return this.alu('sub32', 32, 'sub', dst, src);
  }
  mul32(dst: Register, src: Operand): this {
    return this.alu('mul32', 32, 'mul', dst, src);
  }
  div32(dst: Register, src: Operand): this {
    return this.alu('div32', 32, 'div', dst, src);
  }
  sdiv32(dst: Register, src: Operand): this {
    return this.alu('sdiv32', 32, 'sdiv', dst, src);
  }
  mod32(dst: Register, src: Operand): this {
    return this.alu('mod32', 32, 'mod', dst, src);
  }
  smod32(dst: Register, src: Operand): this {
    return this.alu('smod32', 32, 'smod', dst, src);
  }
  or32(dst: Register, src: Operand): this {
    return this.alu('or32', 32, 'or', dst, src);
  }
  and32(dst: Register, src: Operand): this {
    return this.alu('and32', 32, 'and', dst, src);
  }
  xor32(dst: Register, src: Operand): this {
    return this.alu('xor32', 32, 'xor', dst, src);
  }
  lsh32(dst: Register, src: Operand): this {
    return this.alu('lsh32', 32, 'lsh', dst, src);
  }
  rsh32(dst: Register, src: Operand): this {
    return this.alu('rsh32', 32, 'rsh', dst, src);
  }
  arsh32(dst: Register, src: Operand): this {
    return this.alu('arsh32', 32, 'arsh', dst, src);
  }
  mov32(dst: Register, src: Operand): this {
    return this.alu('mov32', 32, 'mov', dst, src);
  }
  neg32(dst: Register): this {
    return this.push('neg32', encode.neg(32, this.reg('neg32', dst, 'destination')));
  }
  /** v4 `wdst = (s8|s16)wsrc`. */
  movsx32(dst: Register, src: Register, bits: 8 | 16): this {
    return this.push('movsx32', encode.movsx(32, this.reg('movsx32', dst, 'destination'), this.reg('movsx32', src, 'source'), bits));
  }

  // --- byte order -----------------------------------------------------------------------

  /** Convert to little endian (`r1 = le16 r1`): truncation only on a little-endian host. */
  le(dst: Register, bits: 16 | 32 | 64): this {
    return this.push('le', encode.byteSwap('le', this.reg('le', dst, 'destination'), bits));
  }
  /** Convert to big endian (`r1 = be16 r1`), e.g. network byte order. */
  be(dst: Register, bits: 16 | 32 | 64): this {
    return this.push('be', encode.byteSwap('be', this.reg('be', dst, 'destination'), bits));
  }
  /** v4 unconditional byte swap (`r1 = bswap16 r1`). */
  bswap(dst: Register, bits: 16 | 32 | 64): this {
    return this.push('bswap', encode.byteSwap('bswap', this.reg('bswap', dst, 'destination'), bits));
  }

  // --- jumps ----------------------------------------------------------------------------

  /** `goto target` (16-bit offset). */
  ja(target: JumpTarget): this {
    return this.push('ja', encode.ja(this.target('ja', target, 'off')));
  }
  /** v4 `gotol target` (32-bit offset). */
  gotol(target: JumpTarget): this {
    return this.push('gotol', encode.gotol(this.target('gotol', target, 'imm')));
  }
  /** v4 `may_goto target`: falls through until the kernel's loop budget runs out. */
  mayGoto(target: JumpTarget): this {
    return this.push('may_goto', encode.mayGoto(this.target('may_goto', target, 'off')));
  }

  jeq(dst: Register, src: Operand, target: JumpTarget): this {
    return this.conditional('jeq', 64, 'jeq', dst, src, target);
  }
  jne(dst: Register, src: Operand, target: JumpTarget): this {
    return this.conditional('jne', 64, 'jne', dst, src, target);
  }
  jgt(dst: Register, src: Operand, target: JumpTarget): this {
    return this.conditional('jgt', 64, 'jgt', dst, src, target);
  }
  jge(dst: Register, src: Operand, target: JumpTarget): this {
    return this.conditional('jge', 64, 'jge', dst, src, target);
  }
  jlt(dst: Register, src: Operand, target: JumpTarget): this {
    return this.conditional('jlt', 64, 'jlt', dst, src, target);
  }
  jle(dst: Register, src: Operand, target: JumpTarget): this {
    return this.conditional('jle', 64, 'jle', dst, src, target);
  }
  jset(dst: Register, src: Operand, target: JumpTarget): this {
    return this.conditional('jset', 64, 'jset', dst, src, target);
  }
  jsgt(dst: Register, src: Operand, target: JumpTarget): this {
    return this.conditional('jsgt', 64, 'jsgt', dst, src, target);
  }
  jsge(dst: Register, src: Operand, target: JumpTarget): this {
    return this.conditional('jsge', 64, 'jsge', dst, src, target);
  }
  jslt(dst: Register, src: Operand, target: JumpTarget): this {
    return this.conditional('jslt', 64, 'jslt', dst, src, target);
  }
  jsle(dst: Register, src: Operand, target: JumpTarget): this {
    return this.conditional('jsle', 64, 'jsle', dst, src, target);
  }

  jeq32(dst: Register, src: Operand, target: JumpTarget): this {
    return this.conditional('jeq32', 32, 'jeq', dst, src, target);
  }
  jne32(dst: Register, src: Operand, target: JumpTarget): this {
    return this.conditional('jne32', 32, 'jne', dst, src, target);
  }
  jgt32(dst: Register, src: Operand, target: JumpTarget): this {
    return this.conditional('jgt32', 32, 'jgt', dst, src, target);
  }
  jge32(dst: Register, src: Operand, target: JumpTarget): this {
    return this.conditional('jge32', 32, 'jge', dst, src, target);
  }
  jlt32(dst: Register, src: Operand, target: JumpTarget): this {
    return this.conditional('jlt32', 32, 'jlt', dst, src, target);
  }
  jle32(dst: Register, src: Operand, target: JumpTarget): this {
    return this.conditional('jle32', 32, 'jle', dst, src, target);
  }
  jset32(dst: Register, src: Operand, target: JumpTarget): this {
    return this.conditional('jset32', 32, 'jset', dst, src, target);
  }
  jsgt32(dst: Register, src: Operand, target: JumpTarget): this {
    return this.conditional('jsgt32', 32, 'jsgt', dst, src, target);
  }
  jsge32(dst: Register, src: Operand, target: JumpTarget): this {
    return this.conditional('jsge32', 32, 'jsge', dst, src, target);
  }
  jslt32(dst: Register, src: Operand, target: JumpTarget): this {
    return this.conditional('jslt32', 32, 'jslt', dst, src, target);
  }
  jsle32(dst: Register, src: Operand, target: JumpTarget): this {
    return this.conditional('jsle32', 32, 'jsle', dst, src, target);
  }

  // --- calls ----------------------------------------------------------------------------

  /** Call a helper by id: `call(Helper.ktime_get_ns)`. Arguments in R1–R5, result in R0. */
  call(helper: number): this {
    return this.push('call', encode.callHelper(this.imm('call', helper, false, 'helper id')));
  }
  /** BPF-to-BPF call of the function starting at `label`. */
  callSubprog(label: string): this {
    return this.push('call', encode.callLocal({ label: this.checkName('call', label, 'label') }));
  }
  /** Call a kernel function by BTF id; `fdIndex` selects a module BTF in the fd_array (0: vmlinux). */
  callKfunc(btfId: number, fdIndex = 0): this {
    const index = this.off('call', fdIndex);
    return this.push('call', encode.callKfunc(this.imm('call', btfId, true, 'BTF id'), index));
  }
  exit(): this {
    return this.push('exit', encode.exit());
  }

  // --- memory ---------------------------------------------------------------------------

  /** `dst = *(size *)(src + off)`, zero-extended. */
  ldx(size: Size, dst: Register, src: Register, off: number): this {
    const m = 'ldx';
    return this.push(m, encode.ldx(this.size(m, size), this.reg(m, dst, 'destination'), this.reg(m, src, 'base'), this.off(m, off)));
  }
  /** v4 `dst = *(s8|s16|s32 *)(src + off)`, sign-extended. */
  ldxsx(size: Size, dst: Register, src: Register, off: number): this {
    const m = 'ldxsx';
    return this.push(m, encode.ldxsx(this.size(m, size), this.reg(m, dst, 'destination'), this.reg(m, src, 'base'), this.off(m, off)));
  }
  /** `*(size *)(dst + off) = src`. */
  stx(size: Size, dst: Register, off: number, src: Register): this {
    const m = 'stx';
    const [sz, d, r] = [this.size(m, size), this.reg(m, dst, 'base'), this.reg(m, src, 'source')];
    return this.push(m, encode.stx(sz, d, this.off(m, off), r));
  }
  /** `*(size *)(dst + off) = imm`. */
  st(size: Size, dst: Register, off: number, imm: number): this {
    const m = 'st';
    return this.push(m, encode.st(this.size(m, size), this.reg(m, dst, 'base'), this.off(m, off), this.imm(m, imm, size !== DW)));
  }
  /**
   * Atomic read-modify-write on `*(size *)(dst + off)` (size W or DW). The fetch_ forms and
   * xchg put the old value in `src`; cmpxchg compares with R0 and returns the old value in R0.
   */
  atomic(operation: AtomicOperation, size: Size, dst: Register, off: number, src: Register): this {
    const m = `atomic ${operation}`;
    if (!Object.hasOwn(ATOMIC_IMM, operation)) this.fail(m, `unknown atomic operation ${JSON.stringify(operation)}`);
    const [sz, d, r] = [this.size(m, size), this.reg(m, dst, 'base'), this.reg(m, src, 'source')];
    return this.push(m, encode.atomic(operation, sz, d, this.off(m, off), r));
  }
  /** `dst = load_acquire((size *)(src + off))`. */
  loadAcquire(size: Size, dst: Register, src: Register, off: number): this {
    const m = 'load_acquire';
    return this.push(
      m,
      encode.loadAcquire(this.size(m, size), this.reg(m, dst, 'destination'), this.reg(m, src, 'base'), this.off(m, off)),
    );
  }
  /** `store_release((size *)(dst + off), src)`. */
  storeRelease(size: Size, dst: Register, off: number, src: Register): this {
    const m = 'store_release';
    const [sz, d, r] = [this.size(m, size), this.reg(m, dst, 'base'), this.reg(m, src, 'source')];
    return this.push(m, encode.storeRelease(sz, d, this.off(m, off), r));
  }
  /** Legacy packet load `r0 = *(size *)skb[imm]` (socket filters). */
  ldAbs(size: Size, imm: number): this {
    const m = 'ldabs';
    return this.push(m, encode.ldAbs(this.size(m, size), this.imm(m, imm, false)));
  }
  /** Legacy packet load `r0 = *(size *)skb[src + imm]`. */
  ldInd(size: Size, src: Register, imm: number): this {
    const m = 'ldind';
    return this.push(m, encode.ldInd(this.size(m, size), this.reg(m, src, 'source'), this.imm(m, imm, false)));
  }

  // --- 64-bit loads (two slots) ---------------------------------------------------------

  /** `dst = value ll`: any 64-bit constant (signed or unsigned). */
  ldImm64(dst: Register, value: bigint | number): this {
    const m = 'ld_imm64';
    const big = typeof value === 'bigint' ? value : Number.isSafeInteger(value) ? BigInt(value) : undefined;
    if (big === undefined || big < -(2n ** 63n) || big > 2n ** 64n - 1n) this.fail(m, `${String(value)} is not a 64-bit integer`);
    return this.push(m, encode.ldImm64(this.reg(m, dst, 'destination'), big as bigint));
  }
  /** `dst = map[name] ll`: the map's address; its fd is filled in by `Program.bytecode`. */
  ldMap(dst: Register, name: string): this {
    const m = 'ld_map';
    const map = this.checkName(m, name, 'map name');
    return this.push(m, encode.ldMap(this.reg(m, dst, 'destination'), map));
  }
  /** `dst = map[name][0]+offset ll`: address inside the value of an array map's element 0. */
  ldMapValue(dst: Register, name: string, offset = 0): this {
    const m = 'ld_map_value';
    const valueOffset = this.imm(m, offset, true, 'value offset');
    const map = this.checkName(m, name, 'map name');
    return this.push(m, encode.ldMapValue(this.reg(m, dst, 'destination'), map, valueOffset));
  }
  /** `dst = map[fd:N] ll`, for a map fd known now. */
  ldMapFd(dst: Register, fd: number): this {
    const m = 'ld_map';
    const imm = this.imm(m, fd, false, 'fd');
    return this.push(m, encode.ldMap(this.reg(m, dst, 'destination'), imm));
  }
  /** `dst = map[idx:N] ll`: the N-th map of BPF_PROG_LOAD's fd_array. */
  ldMapIdx(dst: Register, index: number, valueOffset?: number): this {
    const m = 'ld_map_idx';
    const idx = this.imm(m, index, true, 'index');
    const value = valueOffset === undefined ? undefined : this.imm(m, valueOffset, true, 'value offset');
    return this.push(m, encode.ldMapIdx(this.reg(m, dst, 'destination'), idx, value));
  }
  /** `dst = btf[id:N] ll`: address of a kernel variable by BTF id (btfFd 0: vmlinux). */
  ldBtfId(dst: Register, btfId: number, btfFd = 0): this {
    const m = 'ld_btf_id';
    const [id, fd] = [this.imm(m, btfId, true, 'BTF id'), this.imm(m, btfFd, false, 'fd')];
    return this.push(m, encode.ldBtfId(this.reg(m, dst, 'destination'), id, fd));
  }
  /** `dst = func[label] ll`: address of a BPF function, for callbacks such as bpf_loop. */
  ldFunc(dst: Register, label: string): this {
    const m = 'ld_func';
    const target = { label: this.checkName(m, label, 'label') };
    return this.push(m, encode.ldFunc(this.reg(m, dst, 'destination'), target));
  }
}
