// Tokens of the assembly text. Template interpolations arrive as `value` tokens carrying the
// JavaScript value itself, so `${-8}` or `${R1}` never goes through text.
import type { AluOperation, AtomicOperation, ByteSwap, JumpCondition } from './encode.ts';
import { AsmSyntaxError } from './errors.ts';
import { B, DW, H, type Size, W } from './opcodes.ts';
import { Register } from './registers.ts';

interface Position {
  readonly line: number;
  readonly column: number;
}

export type Token = Position &
  (
    | { readonly kind: 'ident'; readonly text: string }
    | { readonly kind: 'number'; readonly text: string; readonly value: bigint }
    | { readonly kind: 'punct'; readonly text: string }
    | { readonly kind: 'value'; readonly text: string; readonly value: unknown }
    | { readonly kind: 'comment'; readonly text: string }
    | { readonly kind: 'newline'; readonly text: string }
    | { readonly kind: 'eof'; readonly text: string }
  );

// --- the words and operators of the syntax, and what each one means ----------------------

/** `r0`..`r10` and `w0`..`w10` (LLVM also takes capitals). */
export const REGISTER_NAME = /^[rRwW]([0-9]|10)$/;
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Words that cannot name a label or map because the grammar gives them another meaning. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(['pc', 'll', 'fd', 'idx', 'id']);

/** Whether `name` can name a label or a map: an identifier that is neither a register nor reserved. */
export function isUsableName(name: string): boolean {
  return IDENTIFIER.test(name) && !REGISTER_NAME.test(name) && !RESERVED_NAMES.has(name);
}

/** `dst OP= src`: the compound assignments and the ALU operation each one is. */
export const ALU_ASSIGN: Readonly<Record<string, AluOperation>> = {
  '+=': 'add',
  '-=': 'sub',
  '*=': 'mul',
  '/=': 'div',
  '|=': 'or',
  '&=': 'and',
  '<<=': 'lsh',
  '>>=': 'rsh',
  '%=': 'mod',
  '^=': 'xor',
  's>>=': 'arsh',
  's/=': 'sdiv',
  's%=': 'smod',
};

/** `if dst OP src goto`: the comparisons and the jump each one is. */
export const CONDITIONS: Readonly<Record<string, JumpCondition>> = {
  '==': 'jeq',
  '!=': 'jne',
  '>': 'jgt',
  '>=': 'jge',
  '<': 'jlt',
  '<=': 'jle',
  '&': 'jset',
  's>': 'jsgt',
  's>=': 'jsge',
  's<': 'jslt',
  's<=': 'jsle',
};

/** `lock *(u64 *)(r1 + 0) OP= r2`. */
export const LOCK_OPERATORS: Readonly<Record<string, AtomicOperation>> = { '+=': 'add', '|=': 'or', '&=': 'and', '^=': 'xor' };
/** `atomic_fetch_NAME(...)`. */
export const FETCH_OPERATIONS: Readonly<Record<string, AtomicOperation>> = {
  add: 'fetch_add',
  or: 'fetch_or',
  and: 'fetch_and',
  xor: 'fetch_xor',
};

/** `(u32 *)`: the memory types, their size and signedness. */
export const MEMORY_TYPES: Readonly<Record<string, { readonly size: Size; readonly signed: boolean }>> = {
  u8: { size: B, signed: false },
  u16: { size: H, signed: false },
  u32: { size: W, signed: false },
  u64: { size: DW, signed: false },
  s8: { size: B, signed: true },
  s16: { size: H, signed: true },
  s32: { size: W, signed: true },
};

/** `r1 = be16 r1`: the byte-order words. */
export const BYTE_SWAPS: Readonly<Record<string, { readonly kind: ByteSwap; readonly width: 16 | 32 | 64 }>> = {};
for (const width of [16, 32, 64] as const) {
  for (const kind of ['le', 'be', 'bswap'] as const) {
    (BYTE_SWAPS as Record<string, { kind: ByteSwap; width: 16 | 32 | 64 }>)[`${kind}${width}`] = { kind, width };
  }
}

// --- tokens --------------------------------------------------------------------------------

// Longest first, so that `<<=` wins over `<`.
const PUNCTUATION = [
  '<<=',
  '>>=',
  '==',
  '!=',
  '>=',
  '<=',
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '|=',
  '&=',
  '^=',
  '=',
  '<',
  '>',
  '&',
  '+',
  '-',
  '*',
  '(',
  ')',
  '[',
  ']',
  ',',
  ':',
  ';',
];
// After a lone `s` these form LLVM's signed operators: `s>>=`, `s/=`, `s%=`, `s>`, `s>=`, `s<`, `s<=`.
const SIGNED_SUFFIXES = ['>>=', '/=', '%=', '>=', '<=', '>', '<'];

// Character classes by code, not regular expressions: the lexer meets every character of the
// probe programs at start-up, before V8 has optimised anything.
const isIdentStartCode = (code: number): boolean => (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || code === 95;
const isDigitCode = (code: number): boolean => code >= 48 && code <= 57;
const isIdentCode = (code: number): boolean => isIdentStartCode(code) || isDigitCode(code);
const isIdentChar = (c: string): boolean => isIdentCode(c.charCodeAt(0));
// Sticky: matched where the lexer stands, without copying the rest of the text first.
const NUMBER = /0[xX][0-9a-fA-F]+|0[bB][01]+|[0-9]+/y;

/** How an interpolated value is shown in error messages and source lines. */
export function displayValue(value: unknown): string {
  if (value instanceof Register) return `\${${value.name}}`;
  if (typeof value === 'string') return `\${'${value}'}`;
  if (typeof value === 'bigint') return `\${${value}n}`;
  return `\${${String(value)}}`;
}

/** The program text as a person sees it: interpolations shown as `${value}`. */
export function sourceLines(chunks: readonly string[], values: readonly unknown[]): string[] {
  let text = chunks[0] ?? '';
  for (let i = 0; i < values.length; i++) text += displayValue(values[i]) + (chunks[i + 1] ?? '');
  return text.split('\n').map((line) => line.replace(/\r$/, ''));
}

export function tokenize(chunks: readonly string[], values: readonly unknown[]): { tokens: Token[]; lines: string[] } {
  const lines = sourceLines(chunks, values);
  const tokens: Token[] = [];
  let line = 1;
  let column = 1;
  let comment: { text: string; line: number; column: number; block: boolean } | undefined;

  const fail = (reason: string, at: Position = { line, column }): never => {
    throw new AsmSyntaxError(reason, at.line, at.column, lines[at.line - 1] ?? '');
  };
  const newline = (): void => {
    if (comment !== undefined && !comment.block) {
      tokens.push({ kind: 'comment', text: comment.text.trim(), line: comment.line, column: comment.column });
      comment = undefined;
    }
    tokens.push({ kind: 'newline', text: '\n', line, column });
    line++;
    column = 1;
  };

  chunks.forEach((chunk, chunkIndex) => {
    let i = 0;
    while (i < chunk.length) {
      const c = chunk[i] as string;
      if (comment !== undefined) {
        if (c === '\n') {
          newline();
          i++;
        } else if (comment.block) {
          if (chunk.startsWith('*/', i)) {
            comment = undefined;
            i += 2;
            column += 2;
          } else {
            // A block comment's text is not kept: skip to its end, the line's or the chunk's.
            let end = i + 1;
            while (end < chunk.length && chunk[end] !== '\n' && !(chunk[end] === '*' && chunk[end + 1] === '/')) end++;
            column += end - i;
            i = end;
          }
        } else {
          // A line comment runs to the end of the line (or of this chunk, when a value follows).
          const newlineAt = chunk.indexOf('\n', i);
          const end = newlineAt < 0 ? chunk.length : newlineAt;
          comment.text += chunk.slice(i, end);
          column += end - i;
          i = end;
        }
        continue;
      }
      if (c === '\n') {
        newline();
        i++;
        continue;
      }
      if (c === ' ' || c === '\t' || c === '\r') {
        i++;
        column++;
        continue;
      }
      const start = { line, column };
      if (c === '#' || chunk.startsWith('//', i)) {
        const width = c === '#' ? 1 : 2;
        comment = { text: '', ...start, block: false };
        i += width;
        column += width;
      } else if (chunk.startsWith('/*', i)) {
        comment = { text: '', ...start, block: true };
        i += 2;
        column += 2;
      } else if (isIdentStartCode(chunk.charCodeAt(i))) {
        let end = i + 1;
        while (end < chunk.length && isIdentCode(chunk.charCodeAt(end))) end++;
        let text = chunk.slice(i, end);
        if (text === 's') {
          const suffix = SIGNED_SUFFIXES.find((s) => chunk.startsWith(s, end));
          if (suffix !== undefined) {
            text += suffix;
            end += suffix.length;
            tokens.push({ kind: 'punct', text, ...start });
            column += end - i;
            i = end;
            continue;
          }
        }
        tokens.push({ kind: 'ident', text, ...start });
        column += end - i;
        i = end;
      } else if (isDigitCode(chunk.charCodeAt(i))) {
        NUMBER.lastIndex = i;
        const text = (NUMBER.exec(chunk) as RegExpExecArray)[0];
        const after = chunk[i + text.length];
        if (after !== undefined && isIdentChar(after)) {
          fail(
            `expected a number, found "${text}${after}" (digits ${/^0[xX]/.test(text) ? 'in hex are 0-9a-f' : 'may not run into letters'})`,
            start,
          );
        }
        if (/^0[0-9]/.test(text)) {
          fail(`ambiguous number "${text}": LLVM reads a leading 0 as octal; write it in decimal or 0x hex`, start);
        }
        tokens.push({ kind: 'number', text, value: BigInt(text), ...start });
        column += text.length;
        i += text.length;
      } else {
        const punct = PUNCTUATION.find((p) => chunk.startsWith(p, i));
        if (punct === undefined) fail(`unexpected character ${JSON.stringify(c)}`, start);
        tokens.push({ kind: 'punct', text: punct as string, ...start });
        column += (punct as string).length;
        i += (punct as string).length;
      }
    }
    if (chunkIndex < values.length) {
      const value = values[chunkIndex];
      const text = displayValue(value);
      if (comment !== undefined) comment.text += text;
      else tokens.push({ kind: 'value', text, value, line, column });
      column += text.length;
    }
  });
  if (comment?.block) fail('unterminated /* comment', comment);
  if (comment !== undefined) tokens.push({ kind: 'comment', text: comment.text.trim(), line: comment.line, column: comment.column });
  tokens.push({ kind: 'eof', text: '', line, column });
  return { tokens, lines };
}
