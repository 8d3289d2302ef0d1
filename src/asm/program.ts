// A linked program: instructions with every label turned into a relative offset, the labels
// themselves (for listings), and the names of the maps it uses, resolved to fds at load time.
import { AsmBuildError } from './errors.ts';
import { formatInstruction } from './format.ts';
import {
  type Instruction,
  decode,
  encode,
  isInt16,
  isInt32,
  mnemonicOf,
  problemOf,
  slotsOf,
  targetField,
  targetOf,
} from './instruction.ts';
import { LD_IMM64 } from './opcodes.ts';

/** One element of a program being built: an instruction, or a label for the next one. */
export type ProgramItem = { readonly kind: 'insn'; readonly insn: Instruction } | { readonly kind: 'label'; readonly name: string };

/** Map names to fds: a plain object or a Map. */
export type MapFds = Readonly<Record<string, number>> | ReadonlyMap<string, number>;

export interface DisassembleOptions {
  /**
   * Name jump targets: `goto L12` and a line `L12:` (the number is the target's slot).
   * Default false: numeric offsets, `goto +5`, as LLVM and the verifier print them.
   * A Program's own labels are always printed.
   */
  readonly labels?: boolean;
  /** `call bpf_ktime_get_ns` (default) or LLVM's numeric `call 5`. */
  readonly helperNames?: boolean;
  /** Print the comments attached to instructions (default true). */
  readonly comments?: boolean;
  /**
   * Number each instruction with its slot, `12: r1 = r6`, as the verifier log and `bpftool prog
   * dump xlated` do (ld_imm64 takes two slots, so the next number skips one). Default false.
   * The numbers parse back: the parser checks each against the slot it names.
   */
  readonly slots?: boolean;
}

/** Where an instruction of a parsed program came from in its text. */
export interface SourceLine {
  /** 1-based line number in the program text. */
  readonly line: number;
  /** The whole line as written, comment included (interpolations shown as `${value}`). */
  readonly text: string;
}

/** One instruction of a listing, with everything a printer needs. */
export interface ListingEntry {
  /** Slot index, as the verifier log numbers instructions. */
  readonly pc: number;
  /** Labels that mark this instruction. */
  readonly labels: readonly string[];
  readonly text: string;
  readonly comment: string | undefined;
  readonly instruction: Instruction;
}

const COMMENT_COLUMN = 36;

export class Program {
  /** Instructions with label targets resolved; map references still carry `imm` 0. */
  readonly instructions: readonly Instruction[];
  /** Label name → slot index. */
  readonly labels: ReadonlyMap<string, number>;
  readonly #sourceLines: readonly string[];
  readonly #lineOfSlot: ReadonlyMap<number, number>;

  /**
   * @internal Use `link`, the builder, `bpf` or `parse`. `source`: the program text's lines and
   * the line (1-based) each instruction's slot came from, for programs parsed from text.
   */
  constructor(
    instructions: readonly Instruction[],
    labels: ReadonlyMap<string, number>,
    source?: { readonly lines: readonly string[]; readonly lineOfSlot: ReadonlyMap<number, number> },
  ) {
    this.instructions = instructions;
    this.labels = labels;
    this.#sourceLines = source?.lines ?? [];
    this.#lineOfSlot = source?.lineOfSlot ?? new Map();
  }

  /**
   * The line of the program text the instruction at `slot` was written on (either slot of an
   * ld_imm64), or undefined for a program that was not parsed from text.
   */
  sourceOf(slot: number): SourceLine | undefined {
    let line = this.#lineOfSlot.get(slot);
    if (line === undefined && this.instructionAt(slot - 1)?.opcode === LD_IMM64) line = this.#lineOfSlot.get(slot - 1);
    return line === undefined ? undefined : { line, text: this.#sourceLines[line - 1] ?? '' };
  }

  /** The instruction that starts at `slot` (not the second half of an ld_imm64), if any. */
  instructionAt(slot: number): Instruction | undefined {
    let pc = 0;
    for (const insn of this.instructions) {
      if (pc === slot) return insn;
      if (pc > slot) return undefined;
      pc += slotsOf(insn);
    }
    return undefined;
  }

  /** Length in 8-byte slots — the `insn_cnt` that BPF_PROG_LOAD wants (ld_imm64 counts 2). */
  get instructionCount(): number {
    return this.instructions.reduce((n, insn) => n + slotsOf(insn), 0);
  }

  /** The maps the program references by name, in order of first use. */
  get mapNames(): readonly string[] {
    return [...new Set(this.instructions.flatMap((insn) => (insn.map === undefined ? [] : [insn.map])))];
  }

  /** Bytecode with every named map replaced by its fd. Throws naming a map that has none. */
  bytecode(maps: MapFds = {}): Uint8Array {
    const fdOf = (name: string): number | undefined =>
      maps instanceof Map ? maps.get(name) : Object.hasOwn(maps, name) ? (maps as Record<string, number>)[name] : undefined;
    let pc = 0;
    const resolved = this.instructions.map((insn) => {
      const at = pc;
      pc += slotsOf(insn);
      if (insn.map === undefined) return insn;
      const fd = fdOf(insn.map);
      if (fd === undefined) {
        throw new AsmBuildError(`map '${insn.map}' has no fd: pass it to bytecode({ ${insn.map}: fd })`, at, mnemonicOf(insn));
      }
      if (!isInt32(fd) || fd < 0) throw new AsmBuildError(`fd ${fd} for map '${insn.map}' is not a file descriptor`, at, mnemonicOf(insn));
      return { ...insn, imm: fd };
    });
    return encode(resolved);
  }

  /** The program as structured lines, for printers that lay out their own columns. */
  listing(options: DisassembleOptions = {}): ListingEntry[] {
    const labelsAt = new Map<number, string[]>();
    for (const [name, at] of this.labels) labelsAt.set(at, [...(labelsAt.get(at) ?? []), name]);
    const starts = new Set<number>();
    let pc = 0;
    for (const insn of this.instructions) {
      starts.add(pc);
      pc += slotsOf(insn);
    }
    if (options.labels) {
      pc = 0;
      for (const insn of this.instructions) {
        const target = insn.label === undefined ? targetOf(insn, pc) : undefined;
        if (target !== undefined && starts.has(target) && !labelsAt.has(target)) labelsAt.set(target, [`L${target}`]);
        pc += slotsOf(insn);
      }
    }
    const labelAt = (target: number): string | undefined => (options.labels ? labelsAt.get(target)?.[0] : undefined);
    pc = 0;
    return this.instructions.map((insn) => {
      const entry: ListingEntry = {
        pc,
        labels: labelsAt.get(pc) ?? [],
        text: formatInstruction(insn, { pc, labelAt, helperNames: options.helperNames ?? true }),
        comment: insn.comment,
        instruction: insn,
      };
      pc += slotsOf(insn);
      return entry;
    });
  }

  /** Assembly text that `assemble` turns back into the same bytes (given the same map fds). */
  disassemble(options: DisassembleOptions = {}): string {
    const entries = this.listing(options);
    const end = this.instructionCount;
    const trailing = [...this.labels].filter(([, at]) => at === end).map(([name]) => name);
    const indent = entries.some((e) => e.labels.length > 0) || trailing.length > 0 ? '\t' : '';
    // Slot numbers right-aligned to the widest, so the instructions still line up.
    const width = options.slots ? String(entries.at(-1)?.pc ?? 0).length : 0;
    const lines: string[] = [];
    for (const entry of entries) {
      for (const name of entry.labels) lines.push(`${name}:`);
      const comment = options.comments === false || entry.comment === undefined ? '' : entry.comment;
      const slot = options.slots ? `${String(entry.pc).padStart(width)}: ` : '';
      const text = `${slot}${entry.text}`;
      lines.push(comment ? `${indent}${text.padEnd(COMMENT_COLUMN + slot.length)} // ${comment}` : `${indent}${text}`);
    }
    for (const name of trailing) lines.push(`${name}:`);
    return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  }

  /** A Program from bytecode, so that raw bytes can be listed like any other program. */
  static fromBytecode(bytes: Uint8Array): Program {
    return new Program(decode(bytes), new Map());
  }
}

/**
 * Resolve labels and check every instruction. `fail` builds the error for the item at an index
 * (the builder reports instruction index and mnemonic, the parser a line and column).
 */
export function link(
  items: readonly ProgramItem[],
  fail: (item: number, pc: number, reason: string) => Error,
  source?: { readonly lines: readonly string[]; readonly lineOfItem: (item: number) => number | undefined },
): Program {
  const labels = new Map<string, number>();
  let pc = 0;
  items.forEach((item, i) => {
    if (item.kind === 'insn') {
      pc += slotsOf(item.insn);
    } else {
      if (labels.has(item.name)) throw fail(i, pc, `duplicate label '${item.name}'`);
      labels.set(item.name, pc);
    }
  });
  const end = pc;
  pc = 0;
  const instructions: Instruction[] = [];
  const lineOfSlot = new Map<number, number>();
  items.forEach((item, i) => {
    if (item.kind === 'label') return;
    const line = source?.lineOfItem(i);
    if (line !== undefined) lineOfSlot.set(pc, line);
    let insn = item.insn;
    if (insn.label !== undefined) {
      const field = targetField(insn);
      if (field === undefined) throw fail(i, pc, `${mnemonicOf(insn)} does not take a label`);
      const at = labels.get(insn.label);
      if (at === undefined) throw fail(i, pc, `unknown label '${insn.label}'`);
      if (at >= end) throw fail(i, pc, `label '${insn.label}' marks no instruction (it is at the end of the program)`);
      const delta = at - (pc + 1);
      if (field === 'off' && !isInt16(delta)) {
        throw fail(
          i,
          pc,
          `label '${insn.label}' is ${delta} slots away, beyond the ±32767 of a 16-bit jump offset (gotol reaches further)`,
        );
      }
      insn = field === 'off' ? { ...insn, off: delta } : { ...insn, imm: delta };
    }
    const problem = problemOf(insn);
    if (problem !== undefined) throw fail(i, pc, problem);
    instructions.push(insn);
    pc += slotsOf(insn);
  });
  return new Program(instructions, labels, source === undefined ? undefined : { lines: source.lines, lineOfSlot });
}
