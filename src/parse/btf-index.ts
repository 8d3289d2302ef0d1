// BTF, parsed and indexed: the kernel's own description of its types (the blob at
// /sys/kernel/btf/vmlinux). Pure: bytes in, an index out; no I/O (src/syscalls/btf.ts loads the
// blob, btf-lookup.ts answers questions about it).
//
// Format: include/uapi/linux/btf.h and Documentation/bpf/btf.rst. A blob is a header, a type
// section (variable-length records; type id N is the N-th record, id 0 is void) and a string
// section (NUL-terminated names referenced by byte offset).
//
// Speed: the vmlinux blob holds ~127k types. Parsing does one pass that only records where
// each type starts; names are decoded only for the kinds a lookup can ask for, and only on the
// first lookup (bench/btf.ts measures both).
import { ParseError } from './parse-error.ts';

/** BTF_KIND_* (include/uapi/linux/btf.h): what a BTF type record describes. */
export const BtfKind = {
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
} as const;
/** One of the {@link BtfKind} values. */
export type BtfKind = (typeof BtfKind)[keyof typeof BtfKind];

export const KIND_NAMES: readonly string[] = [
  'void',
  'int',
  'pointer',
  'array',
  'struct',
  'union',
  'enum',
  'forward declaration',
  'typedef',
  'volatile',
  'const',
  'restrict',
  'function',
  'function prototype',
  'variable',
  'data section',
  'float',
  'declaration tag',
  'type tag',
  'enum64',
];

/** Where a struct member lives. */
export interface MemberOffset {
  /** Offset in bytes from the start of the outer struct (of the first bit, for bitfields). */
  byteOffset: number;
  /** Offset in bits from the start of the outer struct; 8 × byteOffset except for bitfields. */
  bitOffset: number;
  /** Width in bits, present only for bitfields. */
  bitSize?: number;
  /** Size in bytes of the member's type after typedefs and qualifiers (the storage type for bitfields). */
  size: number;
}

const HEADER_MIN_LENGTH = 24;
const MAGIC = 0xeb9f;
export const TYPE_HEADER_WORDS = 3;

// Kinds a name lookup can return, as a table indexed by kind for the hot scans.
export const NAMED_LOOKUP_KINDS = new Uint8Array(32);
for (const kind of [
  BtfKind.INT,
  BtfKind.STRUCT,
  BtfKind.UNION,
  BtfKind.ENUM,
  BtfKind.FWD,
  BtfKind.TYPEDEF,
  BtfKind.FLOAT,
  BtfKind.ENUM64,
]) {
  NAMED_LOOKUP_KINDS[kind] = 1;
}

/** Extra 32-bit words after the 3-word common header, by kind; undefined for unknown kinds. */
function extraWords(kind: number, vlen: number): number | undefined {
  switch (kind) {
    case BtfKind.INT:
    case BtfKind.VAR:
    case BtfKind.DECL_TAG:
      return 1;
    case BtfKind.ARRAY:
      return 3;
    case BtfKind.STRUCT:
    case BtfKind.UNION:
    case BtfKind.DATASEC:
    case BtfKind.ENUM64:
      return 3 * vlen;
    case BtfKind.ENUM:
    case BtfKind.FUNC_PROTO:
      return 2 * vlen;
    case BtfKind.PTR:
    case BtfKind.FWD:
    case BtfKind.TYPEDEF:
    case BtfKind.VOLATILE:
    case BtfKind.CONST:
    case BtfKind.RESTRICT:
    case BtfKind.FUNC:
    case BtfKind.FLOAT:
    case BtfKind.TYPE_TAG:
      return 0;
    default:
      return undefined;
  }
}

// extraWords() as two tables indexed by kind (-1: unknown kind), so the parse loop, which runs
// once per type, does a lookup instead of a switch.
export const EXTRA_WORDS_FIXED = new Int8Array(32).fill(-1);
const EXTRA_WORDS_PER_VLEN = new Uint8Array(32);
for (let kind = 0; kind < 32; kind++) {
  const withoutMembers = extraWords(kind, 0);
  if (withoutMembers === undefined) continue;
  EXTRA_WORDS_FIXED[kind] = withoutMembers;
  EXTRA_WORDS_PER_VLEN[kind] = (extraWords(kind, 1) as number) - withoutMembers;
}

/** Where each type record starts, and which ids a name lookup can return; see indexTypes. */
interface TypeIndex {
  starts: Uint32Array;
  count: number;
  candidates: Uint32Array;
  candidateCount: number;
  /** Word index of the first malformed record, or -1. */
  badAt: number;
}

/**
 * One pass over the type section: the word index where each type id starts, and the ids a name
 * lookup can return. This loop runs once, over ~127k records, before V8 has optimised
 * anything, so it is kept to the bare walk (errors are only located here and described by the
 * caller). The arrays start at one slot per 8 words (vmlinux averages ~10 words per type) and
 * double when a blob needs more: sized for the 3-word minimum they took 3.4 MB, enough to set
 * off full garbage collections at start-up.
 */
function indexTypes(words: Uint32Array): TypeIndex {
  const end = words.length;
  let starts = new Uint32Array(Math.max(16, end >>> 3));
  let candidates = new Uint32Array(starts.length);
  let candidateCount = 0;
  let count = 1;
  let at = 0;
  while (at < end) {
    if (end - at < TYPE_HEADER_WORDS) return { starts, count, candidates, candidateCount, badAt: at };
    const info = words[at + 1] as number;
    const kind = (info >>> 24) & 0x1f;
    const fixed = EXTRA_WORDS_FIXED[kind] as number;
    const next = at + TYPE_HEADER_WORDS + fixed + (EXTRA_WORDS_PER_VLEN[kind] as number) * (info & 0xffff);
    if (fixed < 0 || next > end) return { starts, count, candidates, candidateCount, badAt: at };
    if (count === starts.length) {
      const grownStarts = new Uint32Array(count * 2);
      grownStarts.set(starts);
      starts = grownStarts;
      const grownCandidates = new Uint32Array(count * 2);
      grownCandidates.set(candidates);
      candidates = grownCandidates;
    }
    if (words[at] !== 0 && NAMED_LOOKUP_KINDS[kind] === 1) candidates[candidateCount++] = count;
    starts[count++] = at;
    at = next;
  }
  return { starts, count, candidates, candidateCount, badAt: -1 };
}

/** A parsed blob: its type words, its strings and where each type starts. */
export interface ParsedBtf {
  /** Where the blob came from, for error messages. */
  source: string;
  words: Uint32Array;
  strings: Buffer;
  /** Word index into `words` of each type's record; index 0 (void) is unused. */
  typeStarts: Uint32Array;
  /** Ids of every type a name lookup can return (named structs, unions, typedefs…). */
  candidateIds: Uint32Array;
}

/**
 * Parses a BTF blob (either byte order) and indexes its types. The type section is read in
 * place when it is little-endian and 4-byte aligned, so the caller must not modify `bytes`
 * afterwards.
 */
export function parseBtf(bytes: Uint8Array, source = 'BTF blob'): ParsedBtf {
  const fail = (message: string, offset?: number): never => {
    throw new ParseError(source, message, offset);
  };
  if (bytes.length < HEADER_MIN_LENGTH) fail(`is ${bytes.length} bytes, shorter than a BTF header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let littleEndian: boolean;
  if (view.getUint16(0, true) === MAGIC) littleEndian = true;
  else if (view.getUint16(0, false) === MAGIC) littleEndian = false;
  else return fail(`bad magic 0x${view.getUint16(0, true).toString(16)}, expected 0xeb9f: not BTF`, 0);
  const version = view.getUint8(2);
  if (version !== 1) fail(`unsupported BTF version ${version}`, 2);
  const u32 = (at: number): number => view.getUint32(at, littleEndian);
  const headerLength = u32(4);
  const typeOff = u32(8);
  const typeLen = u32(12);
  const strOff = u32(16);
  const strLen = u32(20);
  if (headerLength < HEADER_MIN_LENGTH || headerLength > bytes.length) fail(`header length ${headerLength} is out of range`, 4);
  const dataLength = bytes.length - headerLength;
  if (typeOff > dataLength || typeLen > dataLength - typeOff) fail(`type section (${typeOff}+${typeLen}) runs past the end`, 8);
  if (strOff > dataLength || strLen > dataLength - strOff) fail(`string section (${strOff}+${strLen}) runs past the end`, 16);
  if (typeLen % 4 !== 0) fail(`type section length ${typeLen} is not a multiple of 4`, 12);
  const typeStart = headerLength + typeOff;
  const strStart = headerLength + strOff;
  if (strLen === 0 || bytes[strStart] !== 0) fail('string section does not start with the empty string', strStart);
  if (bytes[strStart + strLen - 1] !== 0) fail('string section does not end with a NUL', strStart + strLen - 1);

  let words: Uint32Array;
  if (littleEndian && (bytes.byteOffset + typeStart) % 4 === 0) {
    words = new Uint32Array(bytes.buffer, bytes.byteOffset + typeStart, typeLen / 4);
  } else {
    words = new Uint32Array(typeLen / 4);
    for (let i = 0; i < words.length; i++) words[i] = view.getUint32(typeStart + 4 * i, littleEndian);
  }

  const index = indexTypes(words);
  if (index.badAt >= 0) {
    const at = index.badAt;
    const id = index.count;
    if (words.length - at < TYPE_HEADER_WORDS) fail(`type ${id} is truncated`, typeStart + 4 * at);
    const kind = ((words[at + 1] as number) >>> 24) & 0x1f;
    if ((EXTRA_WORDS_FIXED[kind] as number) < 0) fail(`type ${id} has unknown kind ${kind}`, typeStart + 4 * at + 4);
    fail(`type ${id} (${KIND_NAMES[kind]}) runs past the type section`, typeStart + 4 * at);
  }
  const { starts, count, candidates, candidateCount } = index;
  const strings = Buffer.from(bytes.buffer, bytes.byteOffset + strStart, strLen);
  return { source, words, strings, typeStarts: starts.subarray(0, count), candidateIds: candidates.subarray(0, candidateCount) };
}
