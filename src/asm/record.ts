// Records defined once: the bytes a BPF program writes (to a ring, or as a map key or value)
// and the bytes user space reads, from one declaration.
//
//   const Event = defineRecord({ timestampNs: 'u64', pid: 'u32', family: 'u16', comm: 'char[16]' });
//   const rec = Event.onStack(-Event.size);      // the record at [r10 - size, r10)
//   program text:  `${rec.zero()}`  `${rec.store('pid', 'r0')}`  `r4 += ${rec.offset}`
//   user space:    Event.decode(bytes).pid      Event.encode({ family: 2 }) for a map key
//
// Fields are laid out as a C compiler lays out the same struct: in declaration order, each at
// its natural alignment (arrays at their element's), the size rounded up to the largest
// alignment. So every store is aligned, as the verifier wants, and a record matches the C
// struct a reader in another language would declare (a u16 map key is 2 bytes).
// Padding is explicit in `padding` so a program can zero it (the verifier rejects passing
// uninitialised stack bytes to a helper). Pure: no I/O, no FFI.
import { fp, copyToStack, sizeName } from './snippets.ts';

/** Scalar field types, as the kernel's BTF and tracefs spell them. */
export type ScalarType = 'u8' | 'u16' | 'u32' | 'u64' | 's8' | 's16' | 's32' | 's64';
/** A field type: a scalar, bytes (`u8[16]`: an address) or a NUL-padded string (`char[16]`: a comm). */
export type FieldType = ScalarType | `u8[${number}]` | `char[${number}]`;

/** The TypeScript type a field decodes to: u64/s64 as bigint, other scalars as number. */
export type DecodedField<T extends FieldType> = T extends 'u64' | 's64'
  ? bigint
  : T extends ScalarType
    ? number
    : T extends `char[${number}]`
      ? string
      : Uint8Array;

export type DecodedRecord<S extends Record<string, FieldType>> = { [K in keyof S]: DecodedField<S[K]> };

export interface RecordFieldLayout {
  readonly type: FieldType;
  readonly offset: number;
  /** Bytes the field occupies. */
  readonly size: number;
  /** Bytes of one element: the field's size for scalars, 1 for arrays. */
  readonly elementSize: number;
  /** Scalars only: whether loads and decodes sign-extend. */
  readonly signed: boolean;
  readonly kind: 'scalar' | 'bytes' | 'string';
}

/** A record placed on the BPF stack at `r10 + offset` (offset < 0), as program text. */
export interface StackRecord<S extends Record<string, FieldType>> {
  /** Offset of the record's first byte from r10: what `r2 += ${rec.offset}` adds. */
  readonly offset: number;
  /** `r10 - 40`: the stack address of a field, or of the whole record. */
  address(field?: keyof S & string): string;
  /** `*(u16 *)(r10 - 38) = r7`: stores a register or an immediate into a scalar field. */
  store(field: keyof S & string, source: string | number): string;
  /** Stores of zero over the whole record, widest first: padding and unset fields included. */
  zero(): string;
  /** Copies `length` bytes (default: the field's size) from `base + srcOffset` into a field. */
  copy(field: keyof S & string, base: string, srcOffset: number, length?: number): string;
}

export interface RecordLayout<S extends Record<string, FieldType>> {
  /** Total size in bytes: C's sizeof, a multiple of the largest field alignment. */
  readonly size: number;
  readonly fields: { readonly [K in keyof S]: RecordFieldLayout };
  /** Gaps the alignment left, as [offset, size] pairs. */
  readonly padding: readonly (readonly [number, number])[];
  offsetOf(field: keyof S & string): number;
  /** Reads one record from `bytes` at `offset`, copying arrays out (safe to keep). */
  decode(bytes: Uint8Array, offset?: number): DecodedRecord<S>;
  /** The record's bytes with the given fields set and the rest zero: map keys and values. */
  encode(values: Partial<DecodedRecord<S>>): Uint8Array;
  /** The record on the stack at `r10 + offset`, for program text. */
  onStack(offset: number): StackRecord<S>;
}

const SCALAR_SIZE: Readonly<Record<ScalarType, number>> = { u8: 1, u16: 2, u32: 4, u64: 8, s8: 1, s16: 2, s32: 4, s64: 8 };

function fieldLayout(name: string, type: FieldType, offset: number): RecordFieldLayout {
  if (type in SCALAR_SIZE) {
    const size = SCALAR_SIZE[type as ScalarType];
    return { type, offset, size, elementSize: size, signed: type.startsWith('s'), kind: 'scalar' };
  }
  const array = /^(u8|char)\[([1-9][0-9]*)\]$/.exec(type);
  if (array === null) throw new TypeError(`field ${name}: type ${JSON.stringify(type)} is not one of u8..u64, s8..s64, u8[N], char[N]`);
  return { type, offset, size: Number(array[2]), elementSize: 1, signed: false, kind: array[1] === 'char' ? 'string' : 'bytes' };
}

/** Lays out a record as C lays out the same struct: natural alignment, sizeof rounded to the largest. */
export function defineRecord<const S extends Record<string, FieldType>>(spec: S): RecordLayout<S> {
  const fields: Record<string, RecordFieldLayout> = {};
  const padding: [number, number][] = [];
  let offset = 0;
  let alignment = 1;
  for (const [name, type] of Object.entries(spec)) {
    const probe = fieldLayout(name, type, 0);
    alignment = Math.max(alignment, probe.elementSize);
    const aligned = Math.ceil(offset / probe.elementSize) * probe.elementSize;
    if (aligned > offset) padding.push([offset, aligned - offset]);
    fields[name] = { ...probe, offset: aligned };
    offset = aligned + probe.size;
  }
  if (offset === 0) throw new RangeError('a record needs at least one field');
  const size = Math.ceil(offset / alignment) * alignment;
  if (size > offset) padding.push([offset, size - offset]);
  const layout = fields as { [K in keyof S]: RecordFieldLayout };
  const field = (name: string): RecordFieldLayout => {
    const found = fields[name];
    if (found === undefined)
      throw new RangeError(`the record has no field ${JSON.stringify(name)} (fields: ${Object.keys(fields).join(', ')})`);
    return found;
  };

  const decode = (bytes: Uint8Array, at = 0): DecodedRecord<S> => {
    if (bytes.length - at < size)
      throw new RangeError(`a ${size}-byte record needs ${size} bytes at offset ${at}, the buffer has ${bytes.length - at}`);
    const view = new DataView(bytes.buffer, bytes.byteOffset + at, size);
    const out: Record<string, number | bigint | string | Uint8Array> = {};
    for (const [name, f] of Object.entries(fields)) out[name] = readField(view, bytes, at, f);
    return out as DecodedRecord<S>;
  };

  const encode = (values: Partial<DecodedRecord<S>>): Uint8Array => {
    const bytes = new Uint8Array(size);
    const view = new DataView(bytes.buffer);
    for (const [name, value] of Object.entries(values) as [string, unknown][]) {
      if (value !== undefined) writeField(view, bytes, field(name), name, value);
    }
    return bytes;
  };

  const onStack = (base: number): StackRecord<S> => {
    if (!Number.isInteger(base) || base > -size || base < -512)
      throw new RangeError(`a ${size}-byte record on the stack needs an offset from -512 to -${size}, not ${base}`);
    if (base % 8 !== 0) throw new RangeError(`a record on the stack starts 8-byte aligned: ${base} is not a multiple of 8`);
    return {
      offset: base,
      address: (name) => fp(name === undefined ? base : base + field(name).offset),
      store(name, source) {
        const f = field(name);
        if (f.kind !== 'scalar') throw new TypeError(`field ${name} is ${f.type}: fill it with copy(), not store()`);
        return `*(${sizeName(f.size)} *)(${fp(base + f.offset)}) = ${source}`;
      },
      zero() {
        // The record starts 8-byte aligned, so the widest store that fits is always aligned.
        const lines: string[] = [];
        for (let done = 0, width = 8; done < size; done += width) {
          while (width > size - done) width /= 2;
          lines.push(`*(${sizeName(width)} *)(${fp(base + done)}) = 0`);
        }
        return lines.join('\n');
      },
      copy(name, srcBase, srcOffset, length) {
        const f = field(name);
        const bytes = length ?? f.size;
        if (bytes > f.size) throw new RangeError(`field ${name} holds ${f.size} bytes, not ${bytes}`);
        return copyToStack(srcBase, srcOffset, base + f.offset, bytes, name);
      },
    };
  };

  return { size, fields: layout, padding, offsetOf: (name) => field(name).offset, decode, encode, onStack };
}

function readField(view: DataView, bytes: Uint8Array, at: number, f: RecordFieldLayout): number | bigint | string | Uint8Array {
  switch (f.kind) {
    case 'bytes':
      return bytes.slice(at + f.offset, at + f.offset + f.size);
    case 'string': {
      const raw = bytes.subarray(at + f.offset, at + f.offset + f.size);
      const end = raw.indexOf(0);
      return Buffer.from(raw.subarray(0, end < 0 ? raw.length : end)).toString('latin1');
    }
    case 'scalar':
      switch (f.size) {
        case 1:
          return f.signed ? view.getInt8(f.offset) : view.getUint8(f.offset);
        case 2:
          return f.signed ? view.getInt16(f.offset, true) : view.getUint16(f.offset, true);
        case 4:
          return f.signed ? view.getInt32(f.offset, true) : view.getUint32(f.offset, true);
        default:
          return f.signed ? view.getBigInt64(f.offset, true) : view.getBigUint64(f.offset, true);
      }
  }
}

function writeField(view: DataView, bytes: Uint8Array, f: RecordFieldLayout, name: string, value: unknown): void {
  if (f.kind !== 'scalar') {
    const data = typeof value === 'string' ? Buffer.from(value, 'latin1') : value instanceof Uint8Array ? value : undefined;
    if (data === undefined || data.length > f.size)
      throw new TypeError(
        `field ${name} (${f.type}) takes ${f.kind === 'string' ? 'a string' : 'a Uint8Array'} of at most ${f.size} bytes`,
      );
    bytes.set(data, f.offset);
    return;
  }
  if (f.size === 8) {
    if (typeof value !== 'bigint') throw new TypeError(`field ${name} (${f.type}) takes a bigint`);
    if (f.signed) view.setBigInt64(f.offset, value, true);
    else view.setBigUint64(f.offset, value, true);
    return;
  }
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(`field ${name} (${f.type}) takes an integer`);
  const limit = 2 ** (8 * f.size);
  if (f.signed ? value < -limit / 2 || value >= limit / 2 : value < 0 || value >= limit)
    throw new RangeError(`field ${name} (${f.type}) cannot hold ${value}`);
  switch (f.size) {
    case 1:
      view.setUint8(f.offset, value & 0xff);
      break;
    case 2:
      view.setUint16(f.offset, value & 0xffff, true);
      break;
    default:
      view.setUint32(f.offset, value >>> 0, true);
      break;
  }
}
