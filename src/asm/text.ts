import { parseProgram } from './parser.ts';
import type { MapFds, Program } from './program.ts';

/** Parse assembly text into a Program (labels resolved, maps still by name). */
export function parse(text: string): Program {
  return parseProgram([text]);
}

/** Bytecode for assembly text; `maps` gives the fd of every map the text names. */
export function assemble(text: string, maps?: MapFds): Uint8Array {
  return parse(text).bytecode(maps);
}

/**
 * Tagged template: `bpf\`r2 = *(u32 *)(r6 + ${offset})\``. Interpolate integers (number or
 * bigint), registers (R1, W1) and names (labels, maps, helpers) as strings.
 */
export function bpf(strings: TemplateStringsArray, ...values: unknown[]): Program {
  return parseProgram(strings, values);
}
