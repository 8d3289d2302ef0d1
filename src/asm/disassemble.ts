import { type DisassembleOptions, Program } from './program.ts';

/**
 * Assembly text for bytecode, or for a Program (then with its labels, map names and comments).
 * `assemble(disassemble(bytes))` returns the same bytes for every valid program.
 */
export function disassemble(code: Uint8Array | Program, options: DisassembleOptions = {}): string {
  const program = code instanceof Program ? code : Program.fromBytecode(code);
  return program.disassemble(options);
}
