// BTF: the kernel's own description of its types (/sys/kernel/btf/vmlinux). The BPF programs
// read kernel structs (task_struct → files → fdtable → file → socket → sock) with
// bpf_probe_read_kernel at offsets that change with every kernel build, so they are looked up
// here at start-up instead of being compiled in.
//
// Format: include/uapi/linux/btf.h and Documentation/bpf/btf.rst. A blob is a header, a type
// section (variable-length records; type id N is the N-th record, id 0 is void) and a string
// section (NUL-terminated names referenced by byte offset).
//
// Speed: the vmlinux blob holds ~127k types. Parsing does one pass that only records where
// each type starts; names are decoded only for the kinds a lookup can ask for, and only on the
// first lookup (bench/btf.ts measures both). The kernel's own blob is mapped, not read, where
// the kernel allows it (Linux 6.16+): /sys/kernel/btf/vmlinux is a sysfs file that read(2)
// hands out 4 KiB at a time, ~1 350 reads and 6–9 ms for 5.5 MB, while mmap takes 0.15 ms and
// maps the kernel's own pages (not counted in our RSS).
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { ParseError } from './parse-error.ts';
import { mmapFd, type MappedMemory } from './perf-event.ts';

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

const KIND_NAMES: readonly string[] = [
  'void', 'int', 'pointer', 'array', 'struct', 'union', 'enum', 'forward declaration', 'typedef',
  'volatile', 'const', 'restrict', 'function', 'function prototype', 'variable', 'data section',
  'float', 'declaration tag', 'type tag', 'enum64',
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
const TYPE_HEADER_WORDS = 3;
// Deeper chains than this are cycles in a corrupt blob: real kernels stay far below it
// (libbpf gives up at 32 modifier hops).
const MAX_RESOLVE_DEPTH = 64;
// Anonymous members can fan out (a struct of many anonymous members of a type that has many
// anonymous members…), so depth limits alone do not bound the work a crafted blob causes.
// The deepest real lookup (task_struct) visits a few hundred members.
const MEMBER_VISIT_BUDGET = 1_000_000;

// Kinds a name lookup can return, as a table indexed by kind for the hot scans.
const NAMED_LOOKUP_KINDS = new Uint8Array(32);
for (const kind of [BtfKind.INT, BtfKind.STRUCT, BtfKind.UNION, BtfKind.ENUM, BtfKind.FWD, BtfKind.TYPEDEF, BtfKind.FLOAT, BtfKind.ENUM64]) {
  NAMED_LOOKUP_KINDS[kind] = 1;
}

/** Where the running kernel publishes its own BTF (CONFIG_DEBUG_INFO_BTF). */
export const KERNEL_BTF_PATH = '/sys/kernel/btf/vmlinux';

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
const EXTRA_WORDS_FIXED = new Int8Array(32).fill(-1);
const EXTRA_WORDS_PER_VLEN = new Uint8Array(32);
for (let kind = 0; kind < 32; kind++) {
  const withoutMembers = extraWords(kind, 0);
  if (withoutMembers === undefined) continue;
  EXTRA_WORDS_FIXED[kind] = withoutMembers;
  EXTRA_WORDS_PER_VLEN[kind] = (extraWords(kind, 1) as number) - withoutMembers;
}

function withArticle(noun: string): string {
  return /^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** Up to `limit` names close to `wanted`, closest first. */
function nearby(wanted: string, names: Iterable<string>, limit = 8): string[] {
  const scored: Array<[string, number]> = [];
  const lower = wanted.toLowerCase();
  for (const name of names) {
    const candidate = name.toLowerCase();
    let score = editDistance(lower, candidate);
    const contains = candidate.includes(lower) || (lower.includes(candidate) && 2 * candidate.length >= lower.length);
    if (contains) score = Math.min(score, 1 + Math.abs(candidate.length - lower.length) / 10);
    if (score <= Math.max(2, wanted.length / 3)) scored.push([name, score]);
  }
  scored.sort((x, y) => x[1] - y[1] || x[0].localeCompare(y[0]));
  return [...new Set(scored.map(([name]) => name))].slice(0, limit);
}

interface FoundMember {
  typeId: number;
  bitOffset: number;
  bitSize?: number;
}

/**
 * Parsed BTF: the kernel's type information, read to find struct member offsets at start-up
 * (`Btf.kernel().offsetOf('task_struct', 'files')`) instead of hard-coding them.
 */
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

export class Btf {
  private static kernelInstance: Btf | undefined;

  /** Where the blob came from, for error messages. */
  readonly source: string;
  /** Number of type ids, void (id 0) included. */
  readonly typeCount: number;

  private words: Uint32Array;
  private strings: Buffer;
  private closed = false;
  /** Word index into `words` of each type's record; index 0 (void) is unused. */
  private readonly typeStarts: Uint32Array;
  private namedTypes: Map<string, number[]> | undefined;
  /** Ids of every type a name lookup can return (named structs, unions, typedefs…), listed by parse(). */
  private readonly candidateIds: Uint32Array;
  private readonly lookups = new Map<string, number[]>();
  /** Members a single offsetOf may still visit; see MEMBER_VISIT_BUDGET. */
  private visitsLeft = 0;
  private pointerBytes: number | undefined;
  /** The mapping `words` and `strings` point into, when the blob was mapped; see close(). */
  private mapping: MappedMemory | undefined;

  private constructor(source: string, words: Uint32Array, strings: Buffer, typeStarts: Uint32Array, candidateIds: Uint32Array) {
    this.source = source;
    this.candidateIds = candidateIds;
    this.words = words;
    this.strings = strings;
    this.typeStarts = typeStarts;
    this.typeCount = typeStarts.length;
  }

  /** The running kernel's BTF, parsed once per process (and kept, mapped or read, until exit). */
  static kernel(): Btf {
    Btf.kernelInstance ??= Btf.fromFile(KERNEL_BTF_PATH);
    return Btf.kernelInstance;
  }

  /**
   * Reads and parses a BTF file; errors say why it cannot be read (no CONFIG_DEBUG_INFO_BTF, not
   * root). A file under /sys/kernel/btf is mapped instead of read when the kernel allows it; call
   * close() when done with the result to unmap it (the kernel() instance stays for the process).
   */
  static fromFile(path: string = KERNEL_BTF_PATH): Btf {
    const mapped = path.startsWith('/sys/kernel/btf/') ? mapKernelBtf(path) : undefined;
    if (mapped !== undefined) {
      try {
        const btf = Btf.parse(new Uint8Array(mapped.buffer), path);
        btf.mapping = mapped;
        return btf;
      } catch (error) {
        mapped.close();
        throw error;
      }
    }
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      const hint =
        code === 'ENOENT' && path === KERNEL_BTF_PATH
          ? 'this kernel was built without CONFIG_DEBUG_INFO_BTF, so struct offsets cannot be looked up'
          : code === 'EACCES'
            ? 'run as root'
            : `cannot read it (${code ?? String(cause)})`;
      throw new Error(`cannot read BTF from ${path}: ${hint}`, { cause });
    }
    return Btf.parse(bytes, path);
  }

  /** True when the blob is a mapping of the kernel's pages rather than a copy in the heap. */
  get mapped(): boolean {
    return this.mapping !== undefined;
  }

  /**
   * Unmaps a mapped blob; lookups afterwards throw. A no-op for a blob read into memory. Lookups
   * over an unmapped blob would touch freed memory, so every one checks first.
   */
  close(): void {
    const mapping = this.mapping;
    if (mapping === undefined) return;
    this.mapping = undefined;
    this.closed = true;
    this.words = new Uint32Array(0);
    this.strings = Buffer.alloc(0);
    mapping.close();
  }

  /**
   * Parses a BTF blob (either byte order). The type section is read in place when it is
   * little-endian and 4-byte aligned, so the caller must not modify `bytes` afterwards.
   */
  static parse(bytes: Uint8Array, source = 'BTF blob'): Btf {
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
    return new Btf(source, words, strings, starts.subarray(0, count), candidates.subarray(0, candidateCount));
  }

  /**
   * Where `memberPath` sits inside struct or union `struct` (or a typedef of one; a leading
   * `struct `/`union ` is accepted). Components are separated by dots and never follow
   * pointers. Each component is found as C finds it, anonymous structs and unions searched
   * transparently (`sock_common` → `skc_num`); failing that, inside embedded struct members
   * when exactly one has it (`sock` → `skc_num`, like the kernel's `sk_*` macros).
   */
  offsetOf(struct: string, memberPath: string): MemberOffset {
    this.checkOpen();
    const components = memberPath.split('.');
    if (components.some((c) => c === '')) throw new Error(`invalid member path ${JSON.stringify(memberPath)}`);
    const definitions = this.aggregatesNamed(struct);
    this.visitsLeft = MEMBER_VISIT_BUDGET;
    const results: Array<{ id: number; offset: MemberOffset }> = [];
    let firstFailure: Error | undefined;
    for (const id of definitions) {
      try {
        results.push({ id, offset: this.resolvePath(id, struct, components) });
      } catch (error) {
        if (error instanceof ParseError) throw error;
        firstFailure ??= error as Error;
      }
    }
    const [first, ...others] = results;
    if (first === undefined) throw firstFailure ?? new Error(`no definition of ${struct} in ${this.source}`);
    // vmlinux can keep several different structs with one name (BTF dedup merges only identical
    // ones); that is harmless unless they disagree about the member we need.
    for (const other of others) {
      const a = first.offset;
      const b = other.offset;
      if (a.bitOffset !== b.bitOffset || a.size !== b.size || a.bitSize !== b.bitSize) {
        throw new Error(
          `${this.source} has ${definitions.length} different definitions of ${struct} (type ids ${definitions.join(', ')}) ` +
            `that disagree about ${memberPath} (bit ${a.bitOffset} vs ${b.bitOffset})`,
        );
      }
    }
    return first.offset;
  }

  /** Size in bytes of a named struct, union, typedef, enum, int or float type. */
  sizeOf(typeName: string): number {
    this.checkOpen();
    const ids = this.typesNamed(typeName);
    const [best] = ids;
    if (best === undefined) {
      const close = nearby(typeName.replace(/^(struct|union)\s+/, ''), this.nameIndex().keys());
      throw new Error(`${this.source} has no type named '${typeName}'${close.length > 0 ? ` (similar: ${close.join(', ')})` : ''}`);
    }
    if (this.kindOf(best) === BtfKind.FWD) {
      throw new Error(`${this.source} only has a forward declaration of ${typeName}, not its size`);
    }
    return this.byteSize(best);
  }

  /**
   * The value of enumerator `valueName` in enum `enumName` (ENUM or ENUM64), e.g.
   * `enumValue('skb_drop_reason', 'SKB_DROP_REASON_TCP_LISTEN_OVERFLOW')`: enum numbers change
   * from kernel to kernel, so programs take them from here, never typed in. Throws when the
   * enum or the enumerator is missing (an older kernel), naming which.
   */
  enumValue(enumName: string, valueName: string): bigint {
    this.checkOpen();
    const ids = this.typesNamed(enumName).filter((id) => this.kindOf(id) === BtfKind.ENUM || this.kindOf(id) === BtfKind.ENUM64);
    if (ids.length === 0) throw new Error(`${this.source} has no enum named '${enumName}'`);
    for (const id of ids) {
      const at = this.startOf(id);
      const info = this.words[at + 1] as number;
      const vlen = info & 0xffff;
      const signed = (info >>> 31) === 1;
      const wide = this.kindOf(id) === BtfKind.ENUM64;
      const stride = wide ? 3 : 2;
      for (let i = 0; i < vlen; i++) {
        const entry = at + TYPE_HEADER_WORDS + i * stride;
        if (this.nameAt(this.words[entry] as number, id) !== valueName) continue;
        const low = this.words[entry + 1] as number;
        if (!wide) return signed ? BigInt(low | 0) : BigInt(low >>> 0);
        const value = (BigInt(this.words[entry + 2] as number) << 32n) | BigInt(low >>> 0);
        return signed ? BigInt.asIntN(64, value) : value;
      }
    }
    throw new Error(`${this.source}: enum ${enumName} has no value ${valueName} (the kernel may be older than the feature)`);
  }

  // ----- name lookup -------------------------------------------------------------------

  /**
   * Ids of the types (of the lookup kinds) named exactly `name`. Compares the string section's
   * bytes in place: tcpaccept asks for a handful of names, and decoding ~20k names into a Map
   * first cost more than all of its lookups together (bench/btf.ts).
   */
  private idsNamed(name: string): number[] {
    const cached = this.lookups.get(name);
    if (cached !== undefined) return cached;
    const wanted = Buffer.from(name, 'latin1');
    const length = wanted.length;
    const first = wanted[0];
    const { words, typeStarts, strings } = this;
    const limit = strings.length - length;
    const found: number[] = [];
    const candidates = this.candidateIds;
    for (let i = 0; i < candidates.length; i++) {
      const id = candidates[i] as number;
      const nameOff = words[typeStarts[id] as number] as number;
      if (nameOff >= limit || strings[nameOff] !== first || strings[nameOff + length] !== 0) continue;
      let same = true;
      for (let k = 1; k < length; k++) {
        if (strings[nameOff + k] !== wanted[k]) {
          same = false;
          break;
        }
      }
      if (same) found.push(id);
    }
    this.lookups.set(name, found);
    return found;
  }

  /** Every lookup-kind name, decoded: only needed to suggest names after a failed lookup. */
  private nameIndex(): Map<string, number[]> {
    if (this.namedTypes !== undefined) return this.namedTypes;
    const index = new Map<string, number[]>();
    const { words, typeStarts } = this;
    for (let id = 1; id < typeStarts.length; id++) {
      const at = typeStarts[id] as number;
      const kind = ((words[at + 1] as number) >>> 24) & 0x1f;
      const nameOff = words[at] as number;
      if (nameOff === 0 || NAMED_LOOKUP_KINDS[kind] !== 1) continue;
      const name = this.nameAt(nameOff, id);
      const ids = index.get(name);
      if (ids === undefined) index.set(name, [id]);
      else ids.push(id);
    }
    this.namedTypes = index;
    return index;
  }

  /** Ids of the types named `name`, most specific kind first (struct/union, typedef, others, forward declarations). */
  private typesNamed(name: string): number[] {
    const aggregateOnly = /^(struct|union)\s+/.exec(name);
    const bare = aggregateOnly ? name.slice(aggregateOnly[0].length) : name;
    const ids = this.idsNamed(bare);
    const rank = (id: number): number => {
      const kind = this.kindOf(id);
      if (kind === BtfKind.STRUCT || kind === BtfKind.UNION) return 0;
      if (kind === BtfKind.TYPEDEF) return 1;
      if (kind === BtfKind.FWD) return 3;
      return 2;
    };
    const ranked = [...ids].sort((a, b) => rank(a) - rank(b) || a - b);
    return aggregateOnly ? ranked.filter((id) => rank(id) === 0) : ranked;
  }

  /** Struct/union type ids for `name`, directly or through a typedef; throws with suggestions when none. */
  private aggregatesNamed(name: string): number[] {
    const direct: number[] = [];
    const viaTypedef: number[] = [];
    let forwardOnly = false;
    for (const id of this.typesNamed(name)) {
      const kind = this.kindOf(id);
      if (kind === BtfKind.STRUCT || kind === BtfKind.UNION) direct.push(id);
      else if (kind === BtfKind.FWD) forwardOnly = true;
      else if (kind === BtfKind.TYPEDEF) {
        const target = this.skipModifiers(id);
        const targetKind = this.kindOf(target);
        if (targetKind === BtfKind.STRUCT || targetKind === BtfKind.UNION) viaTypedef.push(target);
      }
    }
    if (direct.length > 0) return direct;
    if (viaTypedef.length > 0) return viaTypedef;
    if (forwardOnly) throw new Error(`${this.source} only has a forward declaration of struct ${name}, not its members`);
    const aggregates: string[] = [];
    for (const [candidate, ids] of this.nameIndex()) {
      if (ids.some((id) => this.kindOf(id) === BtfKind.STRUCT || this.kindOf(id) === BtfKind.UNION)) aggregates.push(candidate);
    }
    const close = nearby(name.replace(/^(struct|union)\s+/, ''), aggregates);
    throw new Error(`${this.source} has no struct or union named '${name}'${close.length > 0 ? ` (similar: ${close.join(', ')})` : ''}`);
  }

  // ----- member resolution -------------------------------------------------------------

  private resolvePath(structId: number, structName: string, components: string[]): MemberOffset {
    let containerId = structId;
    let bitOffset = 0;
    let found: FoundMember | undefined;
    let walked = structName;
    for (const component of components) {
      if (found !== undefined) {
        containerId = this.skipModifiers(found.typeId);
        const kind = this.kindOf(containerId);
        if (kind !== BtfKind.STRUCT && kind !== BtfKind.UNION) {
          const pointerNote = kind === BtfKind.PTR ? ' (offsets do not follow pointers: look up the pointed-to struct separately)' : '';
          throw new Error(`${walked} is ${withArticle(KIND_NAMES[kind] ?? 'unknown kind')}, not a struct or union, so it has no member '${component}'${pointerNote}`);
        }
        if (found.bitSize !== undefined) throw new Error(`${walked} is a bitfield and has no members`);
      }
      const member = this.findMember(containerId, component, 0, 0) ?? this.findEmbedded(containerId, component, walked);
      if (member === undefined) {
        const available = this.visibleMembers(containerId, 0, 0).map((m) => m.name);
        const close = nearby(component, available);
        const shown = close.length > 0 ? `similar: ${close.join(', ')}` : `members: ${available.slice(0, 12).join(', ')}${available.length > 12 ? ', …' : ''}`;
        throw new Error(`${this.describe(containerId)} (in ${walked}) has no member '${component}' (${shown})`);
      }
      bitOffset += member.bitOffset;
      found = member;
      walked = `${walked}.${component}`;
    }
    if (found === undefined) throw new Error('empty member path');
    const result: MemberOffset = {
      byteOffset: Math.floor(bitOffset / 8),
      bitOffset,
      size: this.byteSize(found.typeId),
    };
    if (found.bitSize !== undefined) result.bitSize = found.bitSize;
    return result;
  }

  /** Searches `containerId`'s members, descending into anonymous structs and unions as C does. */
  private findMember(containerId: number, name: string, baseBits: number, depth: number): FoundMember | undefined {
    if (depth > MAX_RESOLVE_DEPTH) this.fail(`anonymous members nest deeper than ${MAX_RESOLVE_DEPTH} (a cycle?) in type ${containerId}`);
    const at = this.startOf(containerId);
    const { words } = this;
    const info = words[at + 1] as number;
    const bitfieldsInOffset = info >>> 31 === 1;
    const vlen = info & 0xffff;
    this.spend(vlen);
    for (let i = 0; i < vlen; i++) {
      const m = at + TYPE_HEADER_WORDS + 3 * i;
      const nameOff = words[m] as number;
      const typeId = words[m + 1] as number;
      const rawOffset = words[m + 2] as number;
      const memberBits = baseBits + (bitfieldsInOffset ? rawOffset & 0xffffff : rawOffset);
      if (nameOff === 0) {
        const inner = this.skipModifiers(typeId);
        const kind = this.kindOf(inner);
        if (kind !== BtfKind.STRUCT && kind !== BtfKind.UNION) continue;
        const hit = this.findMember(inner, name, memberBits, depth + 1);
        if (hit !== undefined) return hit;
        continue;
      }
      if (this.nameAt(nameOff, containerId) !== name) continue;
      return this.memberLayout(containerId, typeId, memberBits, bitfieldsInOffset ? rawOffset >>> 24 : 0);
    }
    return undefined;
  }

  private memberLayout(containerId: number, typeId: number, bitOffset: number, kindFlagBitSize: number): FoundMember {
    if (kindFlagBitSize > 0) return { typeId, bitOffset, bitSize: kindFlagBitSize };
    // Without kind_flag, a bitfield is an int member whose encoding is narrower than its size.
    const resolved = this.skipModifiers(typeId);
    if (this.kindOf(resolved) === BtfKind.INT) {
      const at = this.startOf(resolved);
      const encoding = this.words[at + 3] as number;
      const bits = encoding & 0xff;
      const intBitOffset = (encoding >>> 16) & 0xff;
      if (bits !== 8 * (this.words[at + 2] as number) || intBitOffset !== 0) {
        return { typeId, bitOffset: bitOffset + intBitOffset, bitSize: bits };
      }
    }
    if (bitOffset % 8 !== 0) this.fail(`member of type ${containerId} at bit ${bitOffset} is not byte-aligned and not a bitfield`);
    return { typeId, bitOffset };
  }

  /**
   * The kernel reaches some members through macros (`sk->sk_family` is
   * `sk->__sk_common.skc_family`), so a name C cannot see directly is also looked for inside
   * embedded (not pointed-to) struct and union members, nearest level first. Only a unique
   * match counts: two embedded structs with the member would make the answer a guess.
   */
  private findEmbedded(containerId: number, name: string, walked: string): FoundMember | undefined {
    let level = [{ id: containerId, bitOffset: 0, path: walked }];
    for (let depth = 0; depth < 8 && level.length > 0; depth++) {
      const next: typeof level = [];
      const matches: Array<{ path: string; member: FoundMember }> = [];
      for (const container of level) {
        for (const member of this.visibleMembers(container.id, container.bitOffset, 0)) {
          const inner = this.skipModifiers(member.typeId);
          const kind = this.kindOf(inner);
          if (kind !== BtfKind.STRUCT && kind !== BtfKind.UNION) continue;
          const path = `${container.path}.${member.name}`;
          const hit = this.findMember(inner, name, member.bitOffset, 0);
          if (hit !== undefined) matches.push({ path: `${path}.${name}`, member: hit });
          next.push({ id: inner, bitOffset: member.bitOffset, path });
        }
      }
      const [only, ...more] = matches;
      if (only !== undefined && more.length === 0) return only.member;
      if (only !== undefined) {
        throw new Error(`'${name}' in ${walked} is ambiguous: ${matches.map((m) => m.path).join(', ')}; give the full path`);
      }
      level = next;
    }
    return undefined;
  }

  /** Named members as C sees them (anonymous members' members in their place), with absolute bit offsets. */
  private visibleMembers(containerId: number, baseBits: number, depth: number): Array<{ name: string; typeId: number; bitOffset: number }> {
    if (depth > MAX_RESOLVE_DEPTH) this.fail(`anonymous members nest deeper than ${MAX_RESOLVE_DEPTH} (a cycle?) in type ${containerId}`);
    const at = this.startOf(containerId);
    const info = this.words[at + 1] as number;
    const bitfieldsInOffset = info >>> 31 === 1;
    const members: Array<{ name: string; typeId: number; bitOffset: number }> = [];
    const vlen = info & 0xffff;
    this.spend(vlen);
    for (let i = 0; i < vlen; i++) {
      const m = at + TYPE_HEADER_WORDS + 3 * i;
      const nameOff = this.words[m] as number;
      const typeId = this.words[m + 1] as number;
      const rawOffset = this.words[m + 2] as number;
      const bitOffset = baseBits + (bitfieldsInOffset ? rawOffset & 0xffffff : rawOffset);
      if (nameOff !== 0) {
        members.push({ name: this.nameAt(nameOff, containerId), typeId, bitOffset });
        continue;
      }
      const inner = this.skipModifiers(typeId);
      const kind = this.kindOf(inner);
      if (kind === BtfKind.STRUCT || kind === BtfKind.UNION) members.push(...this.visibleMembers(inner, bitOffset, depth + 1));
    }
    return members;
  }

  // ----- type primitives ---------------------------------------------------------------

  private checkOpen(): void {
    if (this.closed) throw new Error(`BTF from ${this.source} is closed (unmapped)`);
  }

  private fail(message: string): never {
    throw new ParseError(this.source, message);
  }

  private spend(members: number): void {
    this.visitsLeft -= members;
    if (this.visitsLeft < 0) this.fail(`member lookup visited more than ${MEMBER_VISIT_BUDGET} members (anonymous members fan out or form a cycle)`);
  }

  private startOf(id: number): number {
    const at = this.typeStarts[id];
    if (id === 0 || at === undefined) this.fail(`reference to type id ${id}, outside 1..${this.typeCount - 1}`);
    return at;
  }

  private kindOf(id: number): number {
    if (id === 0) return 0;
    return ((this.words[this.startOf(id) + 1] as number) >>> 24) & 0x1f;
  }

  private nameAt(nameOff: number, id: number): string {
    const { strings } = this;
    if (nameOff >= strings.length) this.fail(`type ${id} has name offset ${nameOff} past the string section`);
    // The section ends with a NUL (checked in parse), so this always finds one.
    const end = strings.indexOf(0, nameOff);
    return strings.toString('latin1', nameOff, end);
  }

  /** Follows typedef, const, volatile, restrict and type tags to the underlying type. */
  private skipModifiers(id: number): number {
    let current = id;
    for (let hops = 0; hops <= MAX_RESOLVE_DEPTH; hops++) {
      switch (this.kindOf(current)) {
        case BtfKind.TYPEDEF:
        case BtfKind.CONST:
        case BtfKind.VOLATILE:
        case BtfKind.RESTRICT:
        case BtfKind.TYPE_TAG:
          current = this.words[this.startOf(current) + 2] as number;
          break;
        default:
          return current;
      }
    }
    return this.fail(`type ${id} is a chain of more than ${MAX_RESOLVE_DEPTH} typedefs/qualifiers (a cycle?)`);
  }

  private byteSize(id: number, depth = 0): number {
    if (depth > MAX_RESOLVE_DEPTH) this.fail(`type ${id} nests arrays deeper than ${MAX_RESOLVE_DEPTH} (a cycle?)`);
    const resolved = this.skipModifiers(id);
    const kind = this.kindOf(resolved);
    switch (kind) {
      case BtfKind.INT:
      case BtfKind.STRUCT:
      case BtfKind.UNION:
      case BtfKind.ENUM:
      case BtfKind.ENUM64:
      case BtfKind.FLOAT:
      case BtfKind.DATASEC:
        return this.words[this.startOf(resolved) + 2] as number;
      case BtfKind.PTR:
        return this.pointerSize();
      case BtfKind.ARRAY: {
        const at = this.startOf(resolved);
        const elements = this.words[at + 5] as number;
        const total = elements * this.byteSize(this.words[at + 3] as number, depth + 1);
        if (total > 0xffffffff) this.fail(`array type ${resolved} is larger than 4 GiB`);
        return total;
      }
      case BtfKind.VAR:
        return this.byteSize(this.words[this.startOf(resolved) + 2] as number, depth + 1);
      default:
        throw new Error(`${this.describe(resolved)} has no size`);
    }
  }

  /** BTF does not record pointer size; like libbpf, take it from `long`. */
  private pointerSize(): number {
    if (this.pointerBytes !== undefined) return this.pointerBytes;
    let size = 8;
    for (const name of ['long int', 'long unsigned int', 'long', 'unsigned long']) {
      const id = this.idsNamed(name).find((candidate) => this.kindOf(candidate) === BtfKind.INT);
      if (id !== undefined) {
        size = this.words[this.startOf(id) + 2] as number;
        break;
      }
    }
    this.pointerBytes = size;
    return size;
  }

  private describe(id: number): string {
    const kind = this.kindOf(id);
    if (id === 0) return 'void';
    const nameOff = this.words[this.startOf(id)] as number;
    const name = nameOff === 0 ? '(anonymous)' : this.nameAt(nameOff, id);
    return `${KIND_NAMES[kind] ?? `kind ${kind}`} ${name}`;
  }
}

/**
 * /sys/kernel/btf/<name> mapped read-only and private (the only way the kernel maps it), or
 * undefined when this kernel cannot map it (before 6.16) or the file cannot be opened: the
 * caller then reads it and reports why that failed.
 */
function mapKernelBtf(path: string): MappedMemory | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    // sysfs reports the blob's real size for BTF files.
    const size = fstatSync(fd).size;
    return size > 0 ? mmapFd(fd, size, { private: true }) : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
