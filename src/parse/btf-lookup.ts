// BTF lookups: struct member offsets, type sizes and enum values, over a blob parsed by
// btf-index.ts. Pure. Every question a program generator asks at start-up
// (`offsetOf('task_struct', 'files')`) is answered here, and a miss says what is near.
import { ParseError } from './parse-error.ts';
import { BtfKind, KIND_NAMES, TYPE_HEADER_WORDS, NAMED_LOOKUP_KINDS, type MemberOffset, type ParsedBtf } from './btf-index.ts';

// Deeper chains than this are cycles in a corrupt blob: real kernels stay far below it
// (libbpf gives up at 32 modifier hops).
const MAX_RESOLVE_DEPTH = 64;
// Anonymous members can fan out (a struct of many anonymous members of a type that has many
// anonymous members…), so depth limits alone do not bound the work a crafted blob causes.
// The deepest real lookup (task_struct) visits a few hundred members.
const MEMBER_VISIT_BUDGET = 1_000_000;

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
 * Lookups over parsed BTF, the kernel's type information, read to find struct member offsets at start-up
 * (`Btf.kernel().offsetOf('task_struct', 'files')`) instead of hard-coding them.
 */
export class BtfTypes {
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

  protected constructor(parsed: ParsedBtf) {
    this.source = parsed.source;
    this.candidateIds = parsed.candidateIds;
    this.words = parsed.words;
    this.strings = parsed.strings;
    this.typeStarts = parsed.typeStarts;
    this.typeCount = parsed.typeStarts.length;
  }

  /** Drops the blob (its memory is about to go away): every lookup afterwards throws. */
  protected release(): void {
    this.closed = true;
    this.words = new Uint32Array(0);
    this.strings = Buffer.alloc(0);
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
      const signed = info >>> 31 === 1;
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
          throw new Error(
            `${walked} is ${withArticle(KIND_NAMES[kind] ?? 'unknown kind')}, not a struct or union, so it has no member '${component}'${pointerNote}`,
          );
        }
        if (found.bitSize !== undefined) throw new Error(`${walked} is a bitfield and has no members`);
      }
      const member = this.findMember(containerId, component, 0, 0) ?? this.findEmbedded(containerId, component, walked);
      if (member === undefined) {
        const available = this.visibleMembers(containerId, 0, 0).map((m) => m.name);
        const close = nearby(component, available);
        const shown =
          close.length > 0
            ? `similar: ${close.join(', ')}`
            : `members: ${available.slice(0, 12).join(', ')}${available.length > 12 ? ', …' : ''}`;
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
    if (this.visitsLeft < 0)
      this.fail(`member lookup visited more than ${MEMBER_VISIT_BUDGET} members (anonymous members fan out or form a cycle)`);
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
