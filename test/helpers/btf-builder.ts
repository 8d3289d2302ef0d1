// A tiny BTF writer, so every layout a test (or a recorded kernel fixture) needs is known
// exactly: types are appended in order and get ids 1, 2, ...; `build` lays out the header,
// the type section and the string section as the kernel does.
import { BtfKind } from '../../src/syscalls/btf.ts';

export type Member = [name: string, type: number, bitOffset: number, bitfieldSize?: number];

export class BtfBuilder {
  private readonly records: number[][] = [];
  private readonly stringBytes: number[] = [0];
  private readonly stringOffsets = new Map<string, number>([['', 0]]);

  /** The id the next type will get. */
  get nextId(): number {
    return this.records.length + 1;
  }

  str(name: string): number {
    const known = this.stringOffsets.get(name);
    if (known !== undefined) return known;
    const offset = this.stringBytes.length;
    this.stringBytes.push(...Buffer.from(name, 'latin1'), 0);
    this.stringOffsets.set(name, offset);
    return offset;
  }

  raw(kind: number, name: string, vlen: number, kindFlag: boolean, sizeOrType: number, extra: number[] = []): number {
    const info = ((kindFlag ? 1 : 0) << 31) | (kind << 24) | vlen;
    this.records.push([this.str(name), info >>> 0, sizeOrType >>> 0, ...extra.map((w) => w >>> 0)]);
    return this.records.length;
  }

  int(name: string, size: number, opts: { bits?: number; bitOffset?: number; signed?: boolean } = {}): number {
    const encoding = ((opts.signed ? 1 : 0) << 24) | ((opts.bitOffset ?? 0) << 16) | (opts.bits ?? size * 8);
    return this.raw(BtfKind.INT, name, 0, false, size, [encoding]);
  }
  ptr(target: number): number {
    return this.raw(BtfKind.PTR, '', 0, false, target);
  }
  array(element: number, indexType: number, count: number): number {
    return this.raw(BtfKind.ARRAY, '', 0, false, 0, [element, indexType, count]);
  }
  private aggregate(kind: number, name: string, size: number, members: Member[]): number {
    const kindFlag = members.some((m) => m[3] !== undefined);
    const extra = members.flatMap(([memberName, type, bitOffset, bitfieldSize]) => [
      this.str(memberName),
      type,
      kindFlag ? ((bitfieldSize ?? 0) << 24) | bitOffset : bitOffset,
    ]);
    return this.raw(kind, name, members.length, kindFlag, size, extra);
  }
  struct(name: string, size: number, members: Member[]): number {
    return this.aggregate(BtfKind.STRUCT, name, size, members);
  }
  union(name: string, size: number, members: Member[]): number {
    return this.aggregate(BtfKind.UNION, name, size, members);
  }
  enumeration(name: string, size: number, values: Array<[string, number]>): number {
    return this.raw(
      BtfKind.ENUM,
      name,
      values.length,
      false,
      size,
      values.flatMap(([n, v]) => [this.str(n), v]),
    );
  }
  enum64(name: string, size: number, values: Array<[string, bigint]>): number {
    return this.raw(
      BtfKind.ENUM64,
      name,
      values.length,
      false,
      size,
      values.flatMap(([n, v]) => [this.str(n), Number(v & 0xffffffffn), Number(v >> 32n)]),
    );
  }
  fwd(name: string, isUnion = false): number {
    return this.raw(BtfKind.FWD, name, 0, isUnion, 0);
  }
  typedef(name: string, target: number): number {
    return this.raw(BtfKind.TYPEDEF, name, 0, false, target);
  }
  volatile(target: number): number {
    return this.raw(BtfKind.VOLATILE, '', 0, false, target);
  }
  constant(target: number): number {
    return this.raw(BtfKind.CONST, '', 0, false, target);
  }
  restrict(target: number): number {
    return this.raw(BtfKind.RESTRICT, '', 0, false, target);
  }
  funcProto(returnType: number, params: Array<[string, number]>): number {
    return this.raw(
      BtfKind.FUNC_PROTO,
      '',
      params.length,
      false,
      returnType,
      params.flatMap(([n, ty]) => [this.str(n), ty]),
    );
  }
  func(name: string, proto: number): number {
    return this.raw(BtfKind.FUNC, name, 1 /* global linkage */, false, proto);
  }
  variable(name: string, type: number): number {
    return this.raw(BtfKind.VAR, name, 0, false, type, [1]);
  }
  datasec(name: string, size: number, vars: Array<[type: number, offset: number, size: number]>): number {
    return this.raw(BtfKind.DATASEC, name, vars.length, false, size, vars.flat());
  }
  float(name: string, size: number): number {
    return this.raw(BtfKind.FLOAT, name, 0, false, size);
  }
  declTag(name: string, target: number, componentIndex: number): number {
    return this.raw(BtfKind.DECL_TAG, name, 0, false, target, [componentIndex]);
  }
  typeTag(name: string, target: number): number {
    return this.raw(BtfKind.TYPE_TAG, name, 0, false, target);
  }

  build(opts: { bigEndian?: boolean; headerPadding?: number; leadingBytes?: number } = {}): Uint8Array {
    const le = !opts.bigEndian;
    const headerLength = 24 + (opts.headerPadding ?? 0);
    const words = this.records.flat();
    const typeLength = words.length * 4;
    const strings = this.stringBytes;
    const lead = opts.leadingBytes ?? 0;
    const out = new Uint8Array(lead + headerLength + typeLength + strings.length);
    const view = new DataView(out.buffer, lead);
    view.setUint16(0, 0xeb9f, le);
    view.setUint8(2, 1);
    view.setUint8(3, 0);
    view.setUint32(4, headerLength, le);
    view.setUint32(8, 0, le);
    view.setUint32(12, typeLength, le);
    view.setUint32(16, typeLength, le);
    view.setUint32(20, strings.length, le);
    words.forEach((w, i) => view.setUint32(headerLength + 4 * i, w, le));
    out.set(strings, lead + headerLength + typeLength);
    return out.subarray(lead);
  }
}
