/** A text program that does not parse. Positions are 1-based. */
export class AsmSyntaxError extends Error {
  override readonly name = 'AsmSyntaxError';

  constructor(
    /** What was wrong, e.g. `expected a register, found "foo"`. */
    readonly reason: string,
    readonly line: number,
    readonly column: number,
    /** The offending source line, for the caret display in `message`. */
    readonly sourceLine: string,
  ) {
    super(`line ${line}, column ${column}: ${reason}\n  ${sourceLine}\n  ${' '.repeat(Math.max(0, column - 1))}^`);
  }
}

/** An instruction the builder (or a Program) cannot encode, e.g. an immediate out of range. */
export class AsmBuildError extends Error {
  override readonly name = 'AsmBuildError';

  constructor(
    readonly reason: string,
    /** Position of the instruction in 8-byte slots, as the verifier log numbers them. */
    readonly index: number,
    readonly mnemonic: string,
  ) {
    super(`instruction ${index} (${mnemonic}): ${reason}`);
  }
}

/** Bytes that are not a valid eBPF program (unknown opcode, reserved field set, cut short). */
export class AsmDecodeError extends Error {
  override readonly name = 'AsmDecodeError';

  constructor(
    readonly reason: string,
    /** Slot index of the offending instruction. */
    readonly index: number,
  ) {
    super(`instruction ${index}: ${reason}`);
  }
}
