// llvm-mc as a byte-exact oracle: find a usable binary and encode assembly lines with it.
// Test-only code (it runs a process); src/asm never touches I/O.
import { spawnSync } from 'node:child_process';

export interface LlvmMc {
  readonly path: string;
  readonly major: number;
}

/** v4 instructions (sdiv, movsx, bswap, gotol, sign-extending loads) need LLVM 18 or later. */
export const V4_LLVM = 18;

function version(path: string): number | undefined {
  const run = spawnSync(path, ['--version'], { encoding: 'utf8' });
  if (run.status !== 0) return undefined;
  const match = /LLVM version (\d+)/.exec(run.stdout);
  return match ? Number(match[1]) : undefined;
}

/** Every llvm-mc on PATH (and $LLVM_MC), newest first. */
export function findLlvmMcs(): LlvmMc[] {
  const candidates = [process.env.LLVM_MC, ...Array.from({ length: 13 }, (_, i) => `llvm-mc-${25 - i}`), 'llvm-mc'];
  const found = new Map<string, LlvmMc>();
  for (const path of candidates) {
    if (path === undefined || path === '') continue;
    const major = version(path);
    if (major !== undefined && !found.has(path)) found.set(path, { path, major });
  }
  return [...found.values()].sort((a, b) => b.major - a.major);
}

export interface Encoded {
  /** The instruction as LLVM prints it back. */
  readonly text: string;
  readonly hex: string;
}

function mcpu(mc: LlvmMc): string {
  return mc.major >= V4_LLVM ? 'v4' : 'v3';
}

/**
 * Encode each line (one instruction per line) in a single llvm-mc run. Throws with llvm-mc's
 * message if any line is refused.
 */
export function llvmEncode(mc: LlvmMc, lines: readonly string[]): Encoded[] {
  const run = spawnSync(mc.path, ['-triple', 'bpfel', `-mcpu=${mcpu(mc)}`, '-show-encoding'], {
    input: `${lines.join('\n')}\n`,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0 || run.stderr.trim() !== '') throw new Error(`llvm-mc refused the input:\n${run.stderr}`);
  const encoded: Encoded[] = [];
  for (const line of run.stdout.split('\n')) {
    const match = /^\s*(.*?)\s*# encoding: \[([^\]]*)\]/.exec(line);
    if (match === null) continue;
    const bytes = (match[2] as string).split(',').map((b) => Number.parseInt(b, 16));
    if (bytes.some(Number.isNaN)) throw new Error(`llvm-mc left a fixup in "${line}": use numeric offsets`);
    encoded.push({ text: match[1] as string, hex: Buffer.from(bytes).toString('hex') });
  }
  if (encoded.length !== lines.length) throw new Error(`llvm-mc encoded ${encoded.length} of ${lines.length} lines`);
  return encoded;
}

/** Whether llvm-mc accepts one line (used to find the oldest LLVM a vector works with). */
export function llvmAccepts(mc: LlvmMc, line: string): Encoded | undefined {
  try {
    return llvmEncode(mc, [line])[0];
  } catch {
    return undefined;
  }
}
