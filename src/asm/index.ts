// The eBPF assembler: one instruction model, two front ends (the typed ProgramBuilder and the
// LLVM-syntax text / `bpf` template), and a disassembler that prints the same text.
// Syntax and examples: README.md in this directory.
export { assemble, bpf, parse } from './text.ts';
export { disassemble } from './disassemble.ts';
export { ProgramBuilder, type AtomicOperation, type JumpTarget, type Operand } from './builder.ts';
export { Program, link, type DisassembleOptions, type ListingEntry, type MapFds, type ProgramItem, type SourceLine } from './program.ts';
export { describeVerifierRejection, locateVerifierRejection, type VerifierRejection } from './verifier-log.ts';
export { AsmBuildError, AsmDecodeError, AsmSyntaxError } from './errors.ts';
export { Helper, helperId, helperName, type HelperName } from './helpers.ts';
export {
  Register,
  R,
  Wreg,
  R0,
  R1,
  R2,
  R3,
  R4,
  R5,
  R6,
  R7,
  R8,
  R9,
  R10,
  W0,
  W1,
  W2,
  W3,
  W4,
  W5,
  W6,
  W7,
  W8,
  W9,
  W10,
  FP,
} from './registers.ts';
export { B, H, W, DW, Size, Class, Mode, Source, AluOp, JmpOp, AtomicOp, Pseudo, CallKind, LD_IMM64 } from './opcodes.ts';
export { type Instruction, INSTRUCTION_BYTES, decode, encode, mnemonicOf, problemOf, slotsOf } from './instruction.ts';
export { formatInstruction } from './format.ts';
export { fp, address, sizeName, copyToStack, loadField, ringbufOutput, mapUpdateElem, type LoadableField } from './snippets.ts';
export {
  defineRecord,
  type FieldType,
  type ScalarType,
  type DecodedField,
  type DecodedRecord,
  type RecordFieldLayout,
  type RecordLayout,
  type StackRecord,
} from './record.ts';
