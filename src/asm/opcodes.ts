// The numbers of the eBPF instruction encoding, as defined by include/uapi/linux/bpf.h,
// bpf_common.h and Documentation/bpf/standardization/instruction-set.rst.
// An opcode byte is `class | size | mode` for loads and stores, `class | op | source` otherwise.

export const Class = {
  LD: 0x00,
  LDX: 0x01,
  ST: 0x02,
  STX: 0x03,
  ALU: 0x04,
  JMP: 0x05,
  JMP32: 0x06,
  ALU64: 0x07,
} as const;

/** Access width of a load or store; the value is its bits in the opcode byte. */
export const Size = { W: 0x00, H: 0x08, B: 0x10, DW: 0x18 } as const;
export type Size = (typeof Size)[keyof typeof Size];
export const W = Size.W;
export const H = Size.H;
export const B = Size.B;
export const DW = Size.DW;

export const Mode = {
  IMM: 0x00,
  ABS: 0x20,
  IND: 0x40,
  MEM: 0x60,
  /** v4: sign-extending load. */
  MEMSX: 0x80,
  ATOMIC: 0xc0,
} as const;

/** Second operand: the 32-bit immediate (K) or the source register (X). */
export const Source = { K: 0x00, X: 0x08 } as const;

export const AluOp = {
  ADD: 0x00,
  SUB: 0x10,
  MUL: 0x20,
  DIV: 0x30,
  OR: 0x40,
  AND: 0x50,
  LSH: 0x60,
  RSH: 0x70,
  NEG: 0x80,
  MOD: 0x90,
  XOR: 0xa0,
  MOV: 0xb0,
  ARSH: 0xc0,
  END: 0xd0,
} as const;

export const JmpOp = {
  JA: 0x00,
  JEQ: 0x10,
  JGT: 0x20,
  JGE: 0x30,
  JSET: 0x40,
  JNE: 0x50,
  JSGT: 0x60,
  JSGE: 0x70,
  CALL: 0x80,
  EXIT: 0x90,
  JLT: 0xa0,
  JLE: 0xb0,
  JSLT: 0xc0,
  JSLE: 0xd0,
  /** v4 `may_goto` (BPF_JCOND with src = BPF_MAY_GOTO). */
  JCOND: 0xe0,
} as const;

/** In a BPF_END instruction of class ALU the source bit picks the byte order. */
export const ByteOrder = { TO_LE: 0x00, TO_BE: 0x08 } as const;

/** The `imm` of a BPF_ATOMIC instruction. */
export const AtomicOp = {
  ADD: 0x00,
  OR: 0x40,
  AND: 0x50,
  XOR: 0xa0,
  FETCH: 0x01,
  XCHG: 0xe0 | 0x01,
  CMPXCHG: 0xf0 | 0x01,
  LOAD_ACQ: 0x100,
  STORE_REL: 0x110,
} as const;

/** `off` values that turn an ALU instruction into its v4 variant. */
export const SIGNED_DIVISION_OFF = 1;
export const ADDR_SPACE_CAST_OFF = 1;

/** `src` of a call: which kind of function `imm` names. */
export const CallKind = { HELPER: 0, PSEUDO_CALL: 1, KFUNC: 2 } as const;

/** `src` of a 16-byte ld_imm64: what the 64-bit immediate means to the loader. */
export const Pseudo = {
  NONE: 0,
  MAP_FD: 1,
  MAP_VALUE: 2,
  BTF_ID: 3,
  FUNC: 4,
  MAP_IDX: 5,
  MAP_IDX_VALUE: 6,
} as const;

export const LD_IMM64 = Class.LD | Mode.IMM | Size.DW; // 0x18

export const classOf = (opcode: number): number => opcode & 0x07;
export const sizeOf = (opcode: number): Size => (opcode & 0x18) as Size;
export const modeOf = (opcode: number): number => opcode & 0xe0;
export const opOf = (opcode: number): number => opcode & 0xf0;
export const sourceOf = (opcode: number): number => opcode & 0x08;

export const SIZE_BYTES: Readonly<Record<Size, number>> = { [W]: 4, [H]: 2, [B]: 1, [DW]: 8 };
