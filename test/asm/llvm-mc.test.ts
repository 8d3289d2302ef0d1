// llvm-mc as a live oracle: the committed vectors still match what it encodes, and random
// programs printed by our disassembler are encoded by llvm-mc to the very same bytes.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import t from 'tap';
import { Program, assemble, decode, encode } from '../../src/asm/index.ts';
import { instruction, llvmExpressible } from './arbitrary.ts';
import { V4_LLVM, findLlvmMcs, llvmEncode } from './llvm.ts';
import type { Vector } from './vectors/regenerate.ts';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const { vectors } = JSON.parse(readFileSync(new URL('./vectors/llvm-vectors.json', import.meta.url), 'utf8')) as { vectors: Vector[] };
const llvmMc = findLlvmMcs()[0];
const absent = llvmMc === undefined ? { skip: 'llvm-mc is not installed (Debian: apt-get install llvm-19)' } : {};

t.test('llvm-mc encodes every vector it supports as recorded, and so do we', absent, async (t) => {
  const mc = llvmMc!;
  const supported = vectors.filter((v) => v.minLlvm <= mc.major);
  t.ok(supported.length > 100, `${supported.length} of ${vectors.length} vectors are in LLVM ${mc.major}'s syntax`);
  const encoded = llvmEncode(
    mc,
    supported.map((v) => v.source),
  );
  supported.forEach((vector, i) => {
    t.equal(encoded[i]?.hex, vector.hex, `llvm-mc: ${vector.source}`);
    t.equal(hex(assemble(vector.source)), vector.hex, `ours: ${vector.source}`);
  });
});

const tooOld =
  llvmMc !== undefined && llvmMc.major < V4_LLVM ? { skip: `llvm-mc ${llvmMc.major} has no v4 syntax; install llvm-19` } : absent;

t.test('random programs: llvm-mc encodes our disassembly to our bytes', tooOld, async (t) => {
  const mc = llvmMc!;
  // One llvm-mc run for many programs: concatenate them, compare instruction by instruction.
  const programs = fc.sample(fc.array(instruction.filter(llvmExpressible), { minLength: 1, maxLength: 30 }), { numRuns: 200, seed: 2024 });
  const instructions = programs.flat();
  const lines = instructions.map((insn) => new Program([insn], new Map()).disassemble({ helperNames: false }).trim());
  const encoded = llvmEncode(mc, lines);
  let same = 0;
  instructions.forEach((insn, i) => {
    if (encoded[i]?.hex === hex(encode([insn]))) same++;
    else t.fail(`${lines[i]}: llvm-mc ${encoded[i]?.hex}, ours ${hex(encode([insn]))}`);
  });
  t.equal(same, instructions.length, `${same} random instructions agree with llvm-mc ${mc.major}`);
  t.same(decode(encode(instructions)).length, instructions.length);
});
