// Tracepoint `format` files (tracefs events/<group>/<event>/format), parsed: the record layout a
// tracepoint program reads from its context pointer. Pure: text in, fields out; src/syscalls/
// tracefs.ts finds tracefs and reads the files.
import { ParseError } from './parse-error.ts';

/** One field of a tracepoint record, as the kernel's `format` file describes it. */
export interface FormatField {
  name: string;
  /** The declaration without the name: `const void *`, `__u8[4]`, `__data_loc char[]`. */
  type: string;
  /** Byte offset from the start of the record (the BPF program's context pointer). */
  offset: number;
  /** Size in bytes; for `__data_loc` fields the 4-byte (length << 16 | offset) descriptor. */
  size: number;
  signed: boolean;
  /** Element count of a fixed-size array field. */
  arrayLength?: number;
}

/** A tracepoint's id and the layout of its record, from `events/<group>/<event>/format`. */
export interface TracepointFormat {
  group: string;
  event: string;
  id: number;
  fields: FormatField[];
  /** The named field; throws naming the tracepoint and its fields when absent. */
  field(name: string): FormatField;
}

class ParsedTracepointFormat implements TracepointFormat {
  readonly group: string;
  readonly event: string;
  readonly id: number;
  readonly fields: FormatField[];

  constructor(group: string, event: string, id: number, fields: FormatField[]) {
    this.group = group;
    this.event = event;
    this.id = id;
    this.fields = fields;
  }

  field(name: string): FormatField {
    const found = this.fields.find((f) => f.name === name);
    if (found !== undefined) return found;
    const names = this.fields.map((f) => f.name).join(', ');
    throw new Error(
      `tracepoint ${this.group}:${this.event} has no field '${name}' (fields: ${names}); ` +
        'the running kernel uses a different record layout than this program expects',
    );
  }
}

// Element sizes of the scalar types that appear with symbolic array lengths
// (`char comm[TASK_COMM_LEN]` on older kernels), so the length can still be derived from size.
const SCALAR_SIZES: ReadonlyMap<string, number> = new Map([
  ['char', 1],
  ['signed char', 1],
  ['unsigned char', 1],
  ['u8', 1],
  ['__u8', 1],
  ['s8', 1],
  ['__s8', 1],
  ['short', 2],
  ['unsigned short', 2],
  ['u16', 2],
  ['__u16', 2],
  ['s16', 2],
  ['__s16', 2],
  ['int', 4],
  ['unsigned int', 4],
  ['u32', 4],
  ['__u32', 4],
  ['s32', 4],
  ['__s32', 4],
  ['u64', 8],
  ['__u64', 8],
  ['s64', 8],
  ['__s64', 8],
  ['long long', 8],
  ['unsigned long long', 8],
]);

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const IDENTIFIER_CHAR = /[A-Za-z0-9_]/;

/**
 * Splits `<type> <name><dims>` (the name is the last identifier, optionally followed by [..]
 * dimensions) by scanning from the end. A regular expression with a lazy type part did the
 * same in time quadratic in the line length (40 000 characters took 10 s).
 */
function splitDeclaration(declaration: string): { baseType: string; name: string; dimensions: string } | undefined {
  let rest = declaration.trimEnd();
  const dims: string[] = [];
  while (rest.endsWith(']')) {
    const open = rest.lastIndexOf('[');
    if (open < 0 || rest.slice(open + 1, -1).includes(']')) return undefined;
    dims.push(rest.slice(open));
    rest = rest.slice(0, open).trimEnd();
  }
  let start = rest.length;
  while (start > 0 && IDENTIFIER_CHAR.test(rest[start - 1]!)) start--;
  // The name cannot start with a digit: `int 9x` declares x.
  while (start < rest.length && /[0-9]/.test(rest[start]!)) start++;
  if (start === rest.length) return undefined;
  return { baseType: rest.slice(0, start).trim(), name: rest.slice(start), dimensions: dims.reverse().join('').replace(/\s+/g, '') };
}

interface LineContext {
  source: string;
  lineNumber: number;
  line: string;
  byteOffset: number;
}

function fail(ctx: LineContext, problem: string): never {
  throw new ParseError(ctx.source, `line ${ctx.lineNumber} ${problem}: ${JSON.stringify(ctx.line)}`, ctx.byteOffset);
}

function parseCount(ctx: LineContext, key: string, text: string | undefined): number {
  if (text === undefined) fail(ctx, `has no ${key}:`);
  if (!/^\d{1,9}$/.test(text)) fail(ctx, `has a ${key} that is not a small decimal number`);
  return Number(text);
}

function parseFieldLine(ctx: LineContext, body: string): FormatField {
  // body: `field:const void * skaddr;\toffset:8;\tsize:8;\tsigned:0;`
  const attributes = new Map<string, string>();
  for (const part of body.split(';')) {
    const item = part.trim();
    if (item === '') continue;
    const colon = item.indexOf(':');
    if (colon <= 0) fail(ctx, `has '${item}' where key:value was expected`);
    let key = item.slice(0, colon).trim();
    if (key === 'field special') key = 'field'; // pre-2.6.32 spelling of some fields
    if (attributes.has(key)) fail(ctx, `repeats ${key}:`);
    attributes.set(key, item.slice(colon + 1).trim());
  }
  const declaration = attributes.get('field');
  if (declaration === undefined || declaration === '') fail(ctx, 'has no field declaration');
  const offset = parseCount(ctx, 'offset', attributes.get('offset'));
  const size = parseCount(ctx, 'size', attributes.get('size'));
  const signedText = attributes.get('signed');
  if (signedText !== '0' && signedText !== '1') fail(ctx, 'has no signed:0 or signed:1');

  const match = splitDeclaration(declaration);
  const baseType = match?.baseType ?? '';
  const name = match?.name ?? '';
  const dimensions = match?.dimensions ?? '';
  if (match === undefined || baseType === '' || !IDENTIFIER.test(name)) {
    fail(ctx, `has a declaration '${declaration}' without both a type and a name`);
  }
  const field: FormatField = { name, type: baseType + dimensions, offset, size, signed: signedText === '1' };
  if (dimensions !== '') {
    const lengths = dimensions.slice(1, -1).split('][');
    if (lengths.includes('')) {
      // `u32 buf[]`: a flexible array whose length only the record itself knows.
    } else if (lengths.every((l) => /^\d{1,9}$/.test(l))) {
      field.arrayLength = lengths.reduce((total, l) => total * Number(l), 1);
    } else {
      const elementSize = SCALAR_SIZES.get(baseType.replace(/^const\s+/, ''));
      if (elementSize !== undefined && size % elementSize === 0) field.arrayLength = size / elementSize;
    }
  }
  return field;
}

/**
 * Parses a tracepoint `format` file. Every `field:` line becomes a FormatField, the common
 * header fields (`common_type`, `common_pid`…) included; everything after `print fmt:` is
 * ignored. Lines we do not understand are errors, not skipped: a field we failed to see
 * would make every later offset suspect.
 */
export function parseFormat(text: string, group: string, event: string): TracepointFormat {
  const source = `tracepoint ${group}:${event} format`;
  const fields: FormatField[] = [];
  const names = new Set<string>();
  let id: number | undefined;
  let byteOffset = 0;
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? '';
    const ctx: LineContext = { source, lineNumber: index + 1, line, byteOffset };
    byteOffset += Buffer.byteLength(line) + 1;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed === 'format:') continue;
    if (trimmed.startsWith('print fmt:')) break;
    if (trimmed.startsWith('field:') || trimmed.startsWith('field special:')) {
      const field = parseFieldLine(ctx, trimmed);
      if (names.has(field.name)) fail(ctx, `declares field '${field.name}' twice`);
      names.add(field.name);
      fields.push(field);
    } else if (trimmed.startsWith('name:')) {
      const name = trimmed.slice('name:'.length).trim();
      if (name !== event) fail(ctx, `names event '${name}', expected '${event}'`);
    } else if (trimmed.startsWith('ID:')) {
      id = parseCount(ctx, 'ID', trimmed.slice('ID:'.length).trim());
    } else {
      fail(ctx, 'is not a name:, ID:, format:, field: or print fmt: line');
    }
  }
  if (id === undefined) throw new ParseError(source, 'has no ID: line');
  if (fields.length === 0) throw new ParseError(source, 'has no field: lines');
  return new ParsedTracepointFormat(group, event, id, fields);
}
