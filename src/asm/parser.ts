// Text → Program. The grammar is LLVM's BPF assembly (see README.md in this directory), read
// one statement at a time; a statement ends at a newline, `;`, a comment or the end.
import * as encode from './encode.ts';
import { AsmSyntaxError } from './errors.ts';
import { helperId } from './helpers.ts';
import { type Instruction, slotsOf } from './instruction.ts';
import {
  ALU_ASSIGN,
  BYTE_SWAPS,
  CONDITIONS,
  FETCH_OPERATIONS,
  IDENTIFIER,
  LOCK_OPERATORS,
  MEMORY_TYPES,
  REGISTER_NAME,
  RESERVED_NAMES,
  type Token,
  tokenize,
} from './lexer.ts';
import { DW, type Size, W } from './opcodes.ts';
import { type Program, type ProgramItem, link } from './program.ts';
import { Register } from './registers.ts';

interface Reg {
  readonly index: number;
  readonly bits: 32 | 64;
  readonly token: Token;
}

interface MemoryType {
  readonly size: Size;
  readonly signed: boolean;
  readonly token: Token;
}

interface Address {
  readonly base: Reg;
  readonly off: number;
}

type Target = { readonly label: string } | { readonly delta: number };

/** The encoder's form of a parsed target. */
const encodeTarget = (target: Target): encode.Target => ('label' in target ? { label: target.label } : target.delta);

const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;
const UINT32_MAX = 2n ** 32n - 1n;

function describe(token: Token): string {
  switch (token.kind) {
    case 'eof':
      return 'end of input';
    case 'newline':
      return 'end of line';
    case 'comment':
      return 'a comment';
    case 'value':
      return token.text;
    default:
      return `"${token.text}"`;
  }
}

interface PendingCall {
  readonly item: number;
  readonly name: string;
  readonly token: Token;
}

class Parser {
  private pos = 0;
  private readonly items: ProgramItem[] = [];
  /** Where each item came from, for errors found while linking. */
  private readonly origins: Token[] = [];
  private readonly calls: PendingCall[] = [];
  private lineStartItem = 0;
  /** The slot the next instruction takes. */
  private pc = 0;

  constructor(
    private readonly tokens: readonly Token[],
    private readonly lines: readonly string[],
  ) {}

  parse(): Program {
    for (;;) {
      const token = this.peek();
      if (token.kind === 'eof') break;
      if (token.kind === 'newline') {
        this.pos++;
        this.lineStartItem = this.items.length;
      } else if (token.kind === 'comment') {
        this.pos++;
        this.attachComment(token.text);
      } else if (this.isPunct(token, ';')) {
        this.pos++;
      } else {
        this.statement();
        const end = this.peek();
        if (!(end.kind === 'newline' || end.kind === 'eof' || end.kind === 'comment' || this.isPunct(end, ';'))) {
          this.fail(end, `expected the end of the statement, found ${describe(end)}`);
        }
      }
    }
    this.resolveCalls();
    return link(
      this.items,
      (item, _pc, reason) => {
        const at = this.origins[item] as Token;
        return this.error(at, reason);
      },
      { lines: this.lines, lineOfItem: (item) => this.origins[item]?.line },
    );
  }

  // --- plumbing -------------------------------------------------------------------------

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.pos + ahead, this.tokens.length - 1)] as Token;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'eof') this.pos++;
    return token;
  }

  private isPunct(token: Token, text: string): boolean {
    return token.kind === 'punct' && token.text === text;
  }

  private isWord(token: Token, text: string): boolean {
    return token.kind === 'ident' && token.text === text;
  }

  private error(token: Token, reason: string): AsmSyntaxError {
    return new AsmSyntaxError(reason, token.line, token.column, this.lines[token.line - 1] ?? '');
  }

  private fail(token: Token, reason: string): never {
    throw this.error(token, reason);
  }

  private expectPunct(text: string): Token {
    const token = this.next();
    if (!this.isPunct(token, text)) this.fail(token, `expected "${text}", found ${describe(token)}`);
    return token;
  }

  private expectWord(text: string): Token {
    const token = this.next();
    if (!this.isWord(token, text)) this.fail(token, `expected "${text}", found ${describe(token)}`);
    return token;
  }

  private emit(origin: Token, insn: Instruction): number {
    this.items.push({ kind: 'insn', insn });
    this.origins.push(origin);
    this.pc += slotsOf(insn);
    return this.items.length - 1;
  }

  private attachComment(text: string): void {
    if (text === '') return;
    for (let i = this.items.length - 1; i >= this.lineStartItem; i--) {
      const item = this.items[i] as ProgramItem;
      if (item.kind === 'insn') {
        const comment = item.insn.comment === undefined ? text : `${item.insn.comment} ${text}`;
        this.items[i] = { kind: 'insn', insn: { ...item.insn, comment } };
        return;
      }
    }
  }

  // --- operands -------------------------------------------------------------------------

  private isRegister(token: Token): boolean {
    return (token.kind === 'ident' && REGISTER_NAME.test(token.text)) || (token.kind === 'value' && token.value instanceof Register);
  }

  private register(what = 'a register'): Reg {
    const token = this.next();
    if (token.kind === 'ident' && REGISTER_NAME.test(token.text)) {
      const bits = token.text[0] === 'w' || token.text[0] === 'W' ? 32 : 64;
      return { index: Number(token.text.slice(1)), bits, token };
    }
    if (token.kind === 'value' && token.value instanceof Register) return { index: token.value.index, bits: token.value.bits, token };
    return this.fail(token, `expected ${what}, found ${describe(token)}`);
  }

  private register64(what: string): Reg {
    const reg = this.register(what);
    if (reg.bits !== 64) this.fail(reg.token, `expected ${what}, found 32-bit ${describe(reg.token)} (use r${reg.index})`);
    return reg;
  }

  private sameWidth(a: Reg, b: Reg): void {
    if (a.bits !== b.bits) {
      this.fail(b.token, `${describe(b.token)} and ${describe(a.token)} differ in width: use ${a.bits === 64 ? 'r' : 'w'}${b.index}`);
    }
  }

  private startsInteger(token: Token): boolean {
    return (
      token.kind === 'number' ||
      (this.isPunct(token, '-') && this.peek(1).kind === 'number') ||
      (token.kind === 'value' && (typeof token.value === 'number' || typeof token.value === 'bigint'))
    );
  }

  /** An integer literal, `-` literal, or an interpolated number or bigint. */
  private integer(what = 'a number'): { value: bigint; token: Token } {
    const token = this.next();
    if (token.kind === 'number') return { value: token.value, token };
    if (this.isPunct(token, '-')) {
      const digits = this.next();
      if (digits.kind === 'number') return { value: -digits.value, token };
      this.fail(digits, `expected ${what}, found ${describe(digits)}`);
    }
    if (token.kind === 'value') {
      if (typeof token.value === 'bigint') return { value: token.value, token };
      if (typeof token.value === 'number') {
        if (Number.isSafeInteger(token.value)) return { value: BigInt(token.value), token };
        this.fail(token, `expected ${what}, found ${token.text}, which is not a safe integer`);
      }
    }
    return this.fail(token, `expected ${what}, found ${describe(token)}`);
  }

  private inRange(value: bigint, token: Token, min: bigint, max: bigint, what: string): number {
    if (value < min || value > max) this.fail(token, `${what} ${value} is out of range (${min}..${max})`);
    return Number(value);
  }

  /**
   * A 32-bit immediate. Operations on 32 bits (w registers, u32 stores) also take unsigned
   * values up to 0xffffffff, which name the same bits; 64-bit operations sign-extend, so there
   * 0x80000000 would silently become 0xffffffff80000000 — refused, as LLVM does not.
   */
  private imm32(value: bigint, token: Token, unsignedAllowed: boolean, hint = ''): number {
    if (value >= INT32_MIN && value <= INT32_MAX) return Number(value);
    if (unsignedAllowed && value >= 0n && value <= UINT32_MAX) return Number(BigInt.asIntN(32, value));
    return this.fail(token, `immediate ${value} does not fit in a signed 32-bit field${hint}`);
  }

  private off16(value: bigint, token: Token): number {
    return this.inRange(value, token, -32768n, 32767n, 'offset');
  }

  /** A name (label, map, helper): an identifier, or an interpolated string. */
  private isName(token: Token): boolean {
    return (token.kind === 'ident' && !REGISTER_NAME.test(token.text)) || (token.kind === 'value' && typeof token.value === 'string');
  }

  private name(what: string): { name: string; token: Token } {
    const token = this.next();
    if (token.kind === 'ident' && !REGISTER_NAME.test(token.text)) return { name: token.text, token };
    if (token.kind === 'value' && typeof token.value === 'string') {
      if (!IDENTIFIER.test(token.value) || REGISTER_NAME.test(token.value)) {
        this.fail(token, `expected ${what}, found ${token.text}, which is not an identifier`);
      }
      return { name: token.value, token };
    }
    return this.fail(token, `expected ${what}, found ${describe(token)}`);
  }

  /** `+5`, `-3`, `5`, `pc+5`, `pc-3`, a label, or an interpolated number or label. */
  private target(range: 'int16' | 'int32'): Target & { token: Token } {
    const token = this.peek();
    const [min, max] = range === 'int16' ? [-32768n, 32767n] : [INT32_MIN, INT32_MAX];
    if (this.isWord(token, 'pc') && (this.isPunct(this.peek(1), '+') || this.isPunct(this.peek(1), '-'))) {
      this.pos++;
    }
    const sign = this.peek();
    if (this.isPunct(sign, '+')) {
      this.pos++;
      const { value, token: at } = this.integer('a jump offset');
      return { delta: this.inRange(value, at, min, max, 'jump offset'), token };
    }
    if (this.startsInteger(sign)) {
      const { value, token: at } = this.integer('a jump offset');
      return { delta: this.inRange(value, at, min, max, 'jump offset'), token };
    }
    if (this.isName(sign)) {
      const { name } = this.name('a label');
      if (RESERVED_NAMES.has(name)) this.fail(sign, `expected a label or offset, found "${name}"`);
      return { label: name, token };
    }
    return this.fail(sign, `expected a label or a jump offset like +3, found ${describe(sign)}`);
  }

  /** `(u32 *)`, the type of a memory access. */
  private memoryType(): MemoryType {
    this.expectPunct('(');
    const token = this.next();
    const type = token.kind === 'ident' ? MEMORY_TYPES[token.text] : undefined;
    if (type === undefined) this.fail(token, `expected a memory type (u8, u16, u32, u64, s8, s16, s32), found ${describe(token)}`);
    this.expectPunct('*');
    this.expectPunct(')');
    return { ...type, token };
  }

  /** `r1 + 16`, `r1 - 8`, `r6 +16` (the verifier's spacing), or `r1`. */
  private address(): Address {
    const base = this.register64('a 64-bit base register');
    const sign = this.peek();
    if (this.isPunct(sign, '+') || this.isPunct(sign, '-')) {
      this.pos++;
      const { value, token } = this.integer('an offset');
      return { base, off: this.off16(this.isPunct(sign, '-') ? -value : value, token) };
    }
    return { base, off: 0 };
  }

  /** `*(u32 *)(r1 + 16)`, after the `*`. */
  private memory(): { type: MemoryType } & Address {
    const type = this.memoryType();
    this.expectPunct('(');
    const address = this.address();
    this.expectPunct(')');
    return { type, ...address };
  }

  private optionalLl(): void {
    if (this.isWord(this.peek(), 'll')) this.pos++;
  }

  // --- statements -----------------------------------------------------------------------

  private statement(): void {
    const token = this.peek();
    if (token.kind === 'number' && this.isPunct(this.peek(1), ':')) {
      // `12: r1 = r6`: a slot number, as the verifier log and disassemble({ slots: true }) print.
      if (token.value !== BigInt(this.pc))
        this.fail(token, `slot number ${token.text} does not match: this instruction is at slot ${this.pc}`);
      this.pos += 2;
      const after = this.peek();
      if (after.kind === 'newline' || after.kind === 'eof' || after.kind === 'comment' || this.isPunct(after, ';')) {
        this.fail(after, `expected an instruction after slot number ${token.text}, found ${describe(after)}`);
      }
      return this.statement();
    }
    if (this.isName(token) && this.isPunct(this.peek(1), ':')) {
      const { name } = this.name('a label');
      if (RESERVED_NAMES.has(name)) this.fail(token, `"${name}" cannot be a label`);
      this.pos++;
      this.items.push({ kind: 'label', name });
      this.origins.push(token);
      const after = this.peek();
      if (!(after.kind === 'newline' || after.kind === 'eof' || after.kind === 'comment' || this.isPunct(after, ';'))) {
        this.statement();
      }
      return;
    }
    if (token.kind === 'ident') {
      switch (token.text) {
        case 'exit':
          this.pos++;
          this.emit(token, encode.exit());
          return;
        case 'call':
          this.pos++;
          return this.call(token);
        case 'goto':
        case 'gotol':
        case 'may_goto':
          this.pos++;
          return this.goto(token);
        case 'if':
          this.pos++;
          return this.conditional(token);
        case 'lock':
          this.pos++;
          return this.lock(token);
        case 'store_release':
          this.pos++;
          return this.storeRelease(token);
        case 'callx':
          this.fail(token, 'callx (an indirect call) is not accepted by the Linux verifier');
      }
    }
    if (this.isPunct(token, '*')) {
      this.pos++;
      return this.store(token);
    }
    if (this.isRegister(token)) return this.assignment();
    this.fail(token, `expected an instruction or a label, found ${describe(token)}`);
  }

  private call(start: Token): void {
    const token = this.peek();
    if (this.isWord(token, 'pc')) {
      const target = this.target('int32');
      if ('label' in target) return this.fail(token, 'expected pc+N');
      this.emit(start, encode.callLocal(target.delta));
      return;
    }
    if (this.isWord(token, 'kfunc') && this.isPunct(this.peek(1), '[')) {
      this.pos += 2;
      this.expectWord('id');
      this.expectPunct(':');
      const id = this.integer('a BTF id');
      let index = 0;
      if (this.isPunct(this.peek(), ',')) {
        this.pos++;
        this.expectWord('idx');
        this.expectPunct(':');
        const idx = this.integer('an fd_array index');
        index = this.inRange(idx.value, idx.token, 0n, 32767n, 'fd_array index');
      }
      this.expectPunct(']');
      const imm = this.imm32(id.value, id.token, true);
      this.emit(start, encode.callKfunc(imm, index));
      return;
    }
    if (this.startsInteger(token)) {
      const { value, token: at } = this.integer('a helper id');
      this.emit(start, encode.callHelper(this.imm32(value, at, false)));
      return;
    }
    const { name, token: at } = this.name('a helper (call bpf_ktime_get_ns, call 5) or a function label');
    // A label decides between a BPF-to-BPF call and a helper once every label is known.
    const item = this.emit(at, encode.callLocal({ label: name }));
    this.calls.push({ item, name, token: at });
  }

  private resolveCalls(): void {
    const labels = new Set(this.items.flatMap((item) => (item.kind === 'label' ? [item.name] : [])));
    for (const call of this.calls) {
      if (labels.has(call.name)) continue;
      const id = call.name.startsWith('bpf_') ? helperId(call.name) : undefined;
      if (id === undefined) {
        this.fail(call.token, `"${call.name}" is neither a label nor a helper (helpers are written bpf_<name>, e.g. bpf_ktime_get_ns)`);
      }
      const { label: _resolved, ...call_ } = (this.items[call.item] as { kind: 'insn'; insn: Instruction }).insn;
      const comment = call_.comment === undefined ? {} : { comment: call_.comment };
      this.items[call.item] = { kind: 'insn', insn: { ...encode.callHelper(id as number), ...comment } };
    }
  }

  private goto(start: Token): void {
    const long = start.text === 'gotol';
    const target = this.target(long ? 'int32' : 'int16');
    const make = long ? encode.gotol : start.text === 'may_goto' ? encode.mayGoto : encode.ja;
    this.emit('label' in target ? target.token : start, make(encodeTarget(target)));
  }

  private conditional(start: Token): void {
    const dst = this.register();
    const operator = this.next();
    const condition = operator.kind === 'punct' && Object.hasOwn(CONDITIONS, operator.text) ? CONDITIONS[operator.text] : undefined;
    if (condition === undefined)
      this.fail(operator, `expected a comparison (==, !=, >, >=, <, <=, &, s>, s>=, s<, s<=), found ${describe(operator)}`);
    let make: (target: encode.Target) => Instruction;
    if (this.isRegister(this.peek())) {
      const src = this.register();
      this.sameWidth(dst, src);
      make = (target) => encode.jumpReg(dst.bits, condition, dst.index, src.index, target);
    } else {
      const { value, token } = this.integer('a register or a number');
      const imm = this.imm32(value, token, dst.bits === 32);
      make = (target) => encode.jumpImm(dst.bits, condition, dst.index, imm, target);
    }
    this.expectWord('goto');
    const target = this.target('int16');
    this.emit('label' in target ? target.token : start, make(encodeTarget(target)));
  }

  private lock(start: Token): void {
    this.expectPunct('*');
    const memory = this.memory();
    if (memory.type.signed || (memory.type.size !== W && memory.type.size !== DW)) {
      this.fail(memory.type.token, 'atomic operations are on u32 or u64');
    }
    const operator = this.next();
    const operation = operator.kind === 'punct' && Object.hasOwn(LOCK_OPERATORS, operator.text) ? LOCK_OPERATORS[operator.text] : undefined;
    if (operation === undefined) this.fail(operator, `expected +=, |=, &= or ^=, found ${describe(operator)}`);
    const src = this.register();
    if (memory.type.size === DW && src.bits !== 64) this.fail(src.token, `a u64 atomic needs a 64-bit register: r${src.index}`);
    this.emit(start, encode.atomic(operation, memory.type.size, memory.base.index, memory.off, src.index));
  }

  private storeRelease(start: Token): void {
    this.expectPunct('(');
    const memory = this.memory();
    if (memory.type.signed) this.fail(memory.type.token, 'store_release stores an unsigned type');
    this.expectPunct(',');
    const src = this.register();
    this.expectPunct(')');
    this.emit(start, encode.storeRelease(memory.type.size, memory.base.index, memory.off, src.index));
  }

  private store(start: Token): void {
    const memory = this.memory();
    if (memory.type.signed) this.fail(memory.type.token, 'stores take an unsigned type (u8, u16, u32, u64)');
    this.expectPunct('=');
    if (this.isRegister(this.peek())) {
      const src = this.register();
      if (memory.type.size === DW && src.bits !== 64) this.fail(src.token, `a u64 store needs a 64-bit register: r${src.index}`);
      this.emit(start, encode.stx(memory.type.size, memory.base.index, memory.off, src.index));
      return;
    }
    const { value, token } = this.integer('a register or a number');
    const imm = this.imm32(value, token, memory.type.size !== DW);
    this.emit(start, encode.st(memory.type.size, memory.base.index, memory.off, imm));
  }

  private assignment(): void {
    const dst = this.register();
    const start = dst.token;
    const operator = this.next();
    if (this.isPunct(operator, '=')) return this.assignTo(dst);
    const operation = operator.kind === 'punct' && Object.hasOwn(ALU_ASSIGN, operator.text) ? ALU_ASSIGN[operator.text] : undefined;
    if (operation === undefined)
      this.fail(
        operator,
        `expected an assignment (=, +=, -=, *=, /=, %=, |=, &=, ^=, <<=, >>=, s>>=, s/=, s%=), found ${describe(operator)}`,
      );
    if (this.isRegister(this.peek())) {
      const src = this.register();
      this.sameWidth(dst, src);
      this.emit(start, encode.aluReg(dst.bits, operation, dst.index, src.index));
      return;
    }
    const { value, token } = this.integer('a register or a number');
    this.emit(start, encode.aluImm(dst.bits, operation, dst.index, this.imm32(value, token, dst.bits === 32)));
  }

  /** Everything of the form `dst = ...`. */
  private assignTo(dst: Reg): void {
    const start = dst.token;
    const token = this.peek();
    const requireR = (what: string): void => {
      if (dst.bits !== 64) this.fail(dst.token, `${what} writes a 64-bit register: r${dst.index}`);
    };

    if (this.isPunct(token, '-') && this.isRegister(this.peek(1))) {
      this.pos++;
      const src = this.register();
      if (src.index !== dst.index || src.bits !== dst.bits)
        this.fail(src.token, `negation is in place: write ${dst.token.text} = -${dst.token.text}`);
      this.emit(start, encode.neg(dst.bits, dst.index));
      return;
    }
    if (this.startsInteger(token)) {
      const { value, token: at } = this.integer();
      if (this.isWord(this.peek(), 'll')) {
        this.pos++;
        requireR('a 64-bit load (ll)');
        this.emit(start, encode.ldImm64(dst.index, this.bigintInRange(value, at)));
        return;
      }
      const hint = dst.bits === 64 ? '; add "ll" for a 64-bit constant' : '';
      this.emit(start, encode.aluImm(dst.bits, 'mov', dst.index, this.imm32(value, at, dst.bits === 32, hint)));
      return;
    }
    if (this.isRegister(token)) {
      const src = this.register();
      this.sameWidth(dst, src);
      this.emit(start, encode.aluReg(dst.bits, 'mov', dst.index, src.index));
      return;
    }
    if (this.isPunct(token, '(')) {
      this.pos++;
      const type = this.next();
      const bits = type.kind === 'ident' ? /^s(8|16|32)$/.exec(type.text)?.[1] : undefined;
      if (bits === undefined || (dst.bits === 32 && bits === '32')) {
        this.fail(type, `expected a sign-extension cast (s8, s16${dst.bits === 64 ? ', s32' : ''}), found ${describe(type)}`);
      }
      this.expectPunct(')');
      const src = this.register();
      this.sameWidth(dst, src);
      this.emit(start, encode.movsx(dst.bits, dst.index, src.index, Number(bits) as 8 | 16 | 32));
      return;
    }
    if (this.isPunct(token, '*')) {
      this.pos++;
      return this.load(dst);
    }
    if (token.kind === 'ident') {
      const swap = Object.hasOwn(BYTE_SWAPS, token.text) ? BYTE_SWAPS[token.text] : undefined;
      if (swap !== undefined) {
        this.pos++;
        requireR('a byte swap');
        const src = this.register();
        if (src.index !== dst.index || src.bits !== 64)
          this.fail(src.token, `byte swaps are in place: write r${dst.index} = ${token.text} r${dst.index}`);
        this.emit(start, encode.byteSwap(swap.kind, dst.index, swap.width));
        return;
      }
      if (token.text === 'map' || token.text === 'btf' || token.text === 'func') {
        this.pos++;
        requireR(`a ${token.text}[...] load`);
        this.expectPunct('[');
        return token.text === 'map'
          ? this.mapReference(dst, start)
          : token.text === 'btf'
            ? this.btfReference(dst, start)
            : this.funcReference(dst, start);
      }
      const fetch = /^atomic(64)?_fetch_(add|or|and|xor)$/.exec(token.text);
      if (fetch !== null) {
        this.pos++;
        return this.atomicWithType(dst, start, fetch[1] === '64', FETCH_OPERATIONS[fetch[2] as string] as encode.AtomicOperation);
      }
      if (token.text === 'atomic_xchg' || token.text === 'atomic64_xchg') {
        this.pos++;
        return this.atomicWithType(dst, start, token.text === 'atomic64_xchg', 'xchg');
      }
      if (token.text === 'atomic_cmpxchg' || token.text === 'atomic64_cmpxchg') {
        this.pos++;
        return this.atomicWithType(dst, start, token.text === 'atomic64_cmpxchg', 'cmpxchg');
      }
      if (token.text === 'xchg_64' || token.text === 'xchg32_32' || token.text === 'cmpxchg_64' || token.text === 'cmpxchg32_32') {
        this.pos++;
        return this.atomicLlvm(dst, start, token.text);
      }
      if (token.text === 'load_acquire') {
        this.pos++;
        this.expectPunct('(');
        const memory = this.memory();
        this.expectPunct(')');
        if (memory.type.signed) this.fail(memory.type.token, 'load_acquire loads an unsigned type');
        if (memory.type.size === DW) requireR('a u64 load_acquire');
        this.emit(start, encode.loadAcquire(memory.type.size, dst.index, memory.base.index, memory.off));
        return;
      }
      if (token.text === 'addr_space_cast') {
        this.pos++;
        requireR('addr_space_cast');
        this.expectPunct('(');
        const src = this.register64('a 64-bit register');
        this.expectPunct(',');
        const to = this.integer('an address space');
        const toSpace = this.inRange(to.value, to.token, 0n, 0xffffn, 'address space');
        this.expectPunct(',');
        const from = this.integer('an address space');
        const fromSpace = this.inRange(from.value, from.token, 0n, 0xffffn, 'address space');
        this.expectPunct(')');
        this.emit(start, encode.addrSpaceCast(dst.index, src.index, toSpace, fromSpace));
        return;
      }
    }
    this.fail(token, `expected a register, a number, a load *(u32 *)(rN + off), map[...] or an operation, found ${describe(token)}`);
  }

  private bigintInRange(value: bigint, token: Token): bigint {
    if (value < -(2n ** 63n) || value > 2n ** 64n - 1n) this.fail(token, `constant ${value} does not fit in 64 bits`);
    return value;
  }

  private load(dst: Reg): void {
    const type = this.memoryType();
    if (this.isWord(this.peek(), 'skb')) {
      this.pos++;
      if (dst.index !== 0 || dst.bits !== 64) this.fail(dst.token, 'packet loads (skb[...]) write r0');
      if (type.signed || type.size === DW) this.fail(type.token, 'packet loads are u8, u16 or u32');
      this.expectPunct('[');
      if (this.isRegister(this.peek())) {
        const src = this.register64('a 64-bit register');
        let imm = 0;
        const sign = this.peek();
        if (this.isPunct(sign, '+') || this.isPunct(sign, '-')) {
          this.pos++;
          const { value, token } = this.integer('an offset');
          imm = this.imm32(this.isPunct(sign, '-') ? -value : value, token, false);
        }
        this.expectPunct(']');
        this.emit(dst.token, encode.ldInd(type.size, src.index, imm));
      } else {
        const { value, token } = this.integer('a packet offset');
        this.expectPunct(']');
        this.emit(dst.token, encode.ldAbs(type.size, this.imm32(value, token, false)));
      }
      return;
    }
    this.expectPunct('(');
    const address = this.address();
    this.expectPunct(')');
    if (dst.bits === 32 && (type.size === DW || type.signed)) {
      this.fail(dst.token, `a ${type.token.text} load writes a 64-bit register: r${dst.index}`);
    }
    this.emit(dst.token, (type.signed ? encode.ldxsx : encode.ldx)(type.size, dst.index, address.base.index, address.off));
  }

  /** Kernel and LLVM forms with a typed pointer: atomic_fetch_add((u64 *)(r1 + 0), r2), atomic64_xchg(...), atomic_cmpxchg(..., r0, r2). */
  private atomicWithType(dst: Reg, start: Token, needs64: boolean, operation: encode.AtomicOperation): void {
    this.expectPunct('(');
    const memory = this.memory();
    if (memory.type.signed || (memory.type.size !== W && memory.type.size !== DW))
      this.fail(memory.type.token, 'atomic operations are on u32 or u64');
    if (needs64 && memory.type.size !== DW) this.fail(memory.type.token, `atomic64_ operations are on u64`);
    this.expectPunct(',');
    if (operation === 'cmpxchg') {
      const expected = this.register();
      if (expected.index !== 0 || dst.index !== 0)
        this.fail(expected.index !== 0 ? expected.token : dst.token, 'cmpxchg compares with and returns in r0');
      this.expectPunct(',');
    }
    const src = this.register();
    this.expectPunct(')');
    if (operation !== 'cmpxchg' && src.index !== dst.index)
      this.fail(src.token, `the fetched value replaces the operand: write ${dst.token.text} on both sides`);
    if (memory.type.size === DW && (src.bits !== 64 || dst.bits !== 64)) this.fail(src.token, 'a u64 atomic uses 64-bit registers');
    this.emit(start, encode.atomic(operation, memory.type.size, memory.base.index, memory.off, src.index));
  }

  /** LLVM's xchg_64(r1 + 0, r2), xchg32_32(r1 + 0, w2), cmpxchg_64(r1 + 0, r0, r2), cmpxchg32_32(r1 + 0, w0, w2). */
  private atomicLlvm(dst: Reg, start: Token, name: string): void {
    const size = name.endsWith('_64') ? DW : W;
    const cmpxchg = name.startsWith('cmpxchg');
    this.expectPunct('(');
    const address = this.address();
    this.expectPunct(',');
    if (cmpxchg) {
      const expected = this.register();
      if (expected.index !== 0 || dst.index !== 0)
        this.fail(expected.index !== 0 ? expected.token : dst.token, 'cmpxchg compares with and returns in r0');
      this.expectPunct(',');
    }
    const src = this.register();
    this.expectPunct(')');
    if (!cmpxchg && src.index !== dst.index) this.fail(src.token, `xchg swaps the operand in place: write ${dst.token.text} on both sides`);
    if (size === DW && (src.bits !== 64 || dst.bits !== 64)) this.fail(src.token, `${name} uses 64-bit registers`);
    this.emit(start, encode.atomic(cmpxchg ? 'cmpxchg' : 'xchg', size, address.base.index, address.off, src.index));
  }

  /** After `map[`: `events]`, `fd:7]`, `idx:2]`, each optionally followed by `[0]+off` for the value address. */
  private mapReference(dst: Reg, start: Token): void {
    const keyToken = this.peek();
    let key: { kind: 'name'; name: string } | { kind: 'fd' | 'idx'; number: number };
    if ((this.isWord(keyToken, 'fd') || this.isWord(keyToken, 'idx')) && this.isPunct(this.peek(1), ':')) {
      this.pos += 2;
      const kind = keyToken.text === 'fd' ? 'fd' : 'idx';
      const { value, token } = this.integer(kind === 'fd' ? 'a file descriptor' : 'an fd_array index');
      const number = this.inRange(value, token, 0n, kind === 'fd' ? INT32_MAX : UINT32_MAX, kind);
      key = { kind, number: kind === 'fd' ? number : number | 0 };
    } else {
      const { name, token } = this.name('a map name');
      if (RESERVED_NAMES.has(name)) this.fail(token, `"${name}" cannot name a map`);
      key = { kind: 'name', name };
    }
    this.expectPunct(']');
    let valueOffset: number | undefined;
    if (this.isPunct(this.peek(), '[')) {
      this.pos++;
      const { value, token } = this.integer('0');
      if (value !== 0n)
        this.fail(token, "a map value address names element [0] (the value of an array map's first element); add an offset with +N");
      this.expectPunct(']');
      valueOffset = 0;
      if (this.isPunct(this.peek(), '+')) {
        this.pos++;
        const { value: offset, token: at } = this.integer('an offset into the map value');
        valueOffset = this.inRange(offset, at, 0n, UINT32_MAX, 'map value offset') | 0;
      }
    }
    this.optionalLl();
    const map = key.kind === 'name' ? key.name : key.number;
    if (key.kind === 'idx') this.emit(start, encode.ldMapIdx(dst.index, key.number, valueOffset));
    else this.emit(start, valueOffset === undefined ? encode.ldMap(dst.index, map) : encode.ldMapValue(dst.index, map, valueOffset));
  }

  /** After `btf[`: `id:123]` or `id:123, fd:4]`. */
  private btfReference(dst: Reg, start: Token): void {
    this.expectWord('id');
    this.expectPunct(':');
    const id = this.integer('a BTF id');
    const imm = this.inRange(id.value, id.token, 0n, UINT32_MAX, 'BTF id') | 0;
    let imm2 = 0;
    if (this.isPunct(this.peek(), ',')) {
      this.pos++;
      this.expectWord('fd');
      this.expectPunct(':');
      const fd = this.integer('a BTF object fd');
      imm2 = this.inRange(fd.value, fd.token, 0n, INT32_MAX, 'fd');
    }
    this.expectPunct(']');
    this.optionalLl();
    this.emit(start, encode.ldBtfId(dst.index, imm, imm2));
  }

  /** After `func[`: a label or `pc+N`. */
  private funcReference(dst: Reg, start: Token): void {
    const target = this.target('int32');
    this.expectPunct(']');
    this.optionalLl();
    this.emit('label' in target ? target.token : start, encode.ldFunc(dst.index, encodeTarget(target)));
  }
}

/** A Program from text: `template` holds the literal chunks, `values` what goes between them. */
export function parseProgram(chunks: readonly string[], values: readonly unknown[] = []): Program {
  const { tokens, lines } = tokenize(chunks, values);
  return new Parser(tokens, lines).parse();
}
