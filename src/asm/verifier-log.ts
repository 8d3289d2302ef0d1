// Where a verifier rejection points in a program: the kernel's log names the instruction it
// stopped at (`12: (79) r1 = *(u64 *)(r0 +16)`, then the reason), by slot. A Program parsed from
// text knows the line each slot came from, so a rejection can be shown at its source line,
// comment and all. Pure: the log is text the loader already has.
import { formatInstruction } from './format.ts';
import type { Program } from './program.ts';

/** The instruction a verifier log rejected, placed in the program and its text. */
export interface VerifierRejection {
  /** Slot index the log names. */
  readonly slot: number;
  /** The verifier's own reason: the log lines after the instruction, up to its statistics. */
  readonly reason: string;
  /** The instruction at that slot as our disassembler prints it, when the program has one there. */
  readonly instruction?: string;
  /** The comment attached to it. */
  readonly comment?: string;
  /** Its line in the program text (1-based), for programs parsed from text. */
  readonly line?: number;
  /** That line as written, comment included. */
  readonly sourceText?: string;
}

const INSN_LINE = /^(\d+): \([0-9a-f]{2}\)/;
const NAMES_INSN = /\binsn (\d+)\b/;
const STATISTICS = /^(processed \d+ insns|verification time|stack depth|max_states_per_insn)/;

/**
 * The instruction the verifier stopped at, from the end of its log: the last `NN: (op) …` line
 * (or, for structural errors such as `unreachable insn 7`, the insn a final line names),
 * with the program's instruction, comment and source line there. Undefined when the log names
 * no instruction.
 */
export function locateVerifierRejection(program: Program, log: string): VerifierRejection | undefined {
  const lines = log.split('\n').map((line) => line.trimEnd());
  let slot: number | undefined;
  let reasonFrom = lines.length;
  for (let i = lines.length - 1; i >= 0; i--) {
    const match = INSN_LINE.exec(lines[i]!);
    if (match !== null) {
      slot = Number(match[1]);
      reasonFrom = i + 1;
      break;
    }
  }
  const tail = lines.filter((line) => line !== '' && !STATISTICS.test(line));
  if (slot === undefined) {
    const named = tail
      .slice(-3)
      .map((line) => NAMES_INSN.exec(line))
      .find((m) => m !== null);
    if (named == null) return undefined;
    slot = Number(named[1]);
    reasonFrom = Math.max(0, lines.length - 3);
  }
  const reason = lines
    .slice(reasonFrom)
    .filter((line) => line !== '' && !STATISTICS.test(line) && !INSN_LINE.test(line))
    .join('\n');
  const insn = program.instructionAt(slot);
  const source = program.sourceOf(slot);
  return {
    slot,
    reason: reason === '' ? (tail.at(-1) ?? '') : reason,
    ...(insn === undefined ? {} : { instruction: formatInstruction(insn, { pc: slot }) }),
    ...(insn?.comment === undefined ? {} : { comment: insn.comment }),
    ...(source === undefined ? {} : { line: source.line, sourceText: source.text.trim() }),
  };
}

/**
 * One line saying where the rejection is, for error messages: `slot 12, line 34 of the program
 * text: r1 = *(u64 *)(r0 + 16)    // the task's files`.
 */
export function describeVerifierRejection(rejection: VerifierRejection): string {
  const where =
    rejection.line === undefined ? `slot ${rejection.slot}` : `slot ${rejection.slot}, line ${rejection.line} of the program text`;
  if (rejection.sourceText !== undefined) return `${where}: ${rejection.sourceText}`;
  if (rejection.instruction !== undefined)
    return `${where}: ${rejection.instruction}${rejection.comment === undefined ? '' : `    // ${rejection.comment}`}`;
  return where;
}
