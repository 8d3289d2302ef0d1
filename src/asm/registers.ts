/**
 * An eBPF register. R0 holds return values, R1–R5 arguments (clobbered by calls), R6–R9 are
 * preserved across calls, R10 is the read-only frame pointer.
 *
 * `bits` only matters inside `bpf` templates, where `${W1}` stands for the 32-bit view `w1`;
 * the builder takes the operation width from the method (`add32`, `add64`), not the register.
 */
export class Register {
  private constructor(
    readonly index: number,
    readonly bits: 32 | 64,
  ) {}

  get name(): string {
    return `${this.bits === 64 ? 'r' : 'w'}${this.index}`;
  }

  toString(): string {
    return this.name;
  }

  /** @internal The register table below is the only place registers are made. */
  static create(index: number, bits: 32 | 64): Register {
    return new Register(index, bits);
  }
}

export const REGISTER_COUNT = 11;

/** 64-bit views r0..r10. */
export const R: readonly Register[] = Array.from({ length: REGISTER_COUNT }, (_, i) => Register.create(i, 64));
/** 32-bit views w0..w10 (for templates). */
export const Wreg: readonly Register[] = Array.from({ length: REGISTER_COUNT }, (_, i) => Register.create(i, 32));

export const [R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10] = R as [
  Register,
  Register,
  Register,
  Register,
  Register,
  Register,
  Register,
  Register,
  Register,
  Register,
  Register,
];
export const [W0, W1, W2, W3, W4, W5, W6, W7, W8, W9, W10] = Wreg as [
  Register,
  Register,
  Register,
  Register,
  Register,
  Register,
  Register,
  Register,
  Register,
  Register,
  Register,
];
/** The frame pointer, R10. */
export const FP = R10;
