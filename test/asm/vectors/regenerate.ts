// Rebuilds llvm-vectors.json from forms.s with llvm-mc (LLVM >= 18 for the v4 forms). For each
// form it also records the oldest installed llvm-mc that encodes it identically, so that the
// direct llvm-mc test can run the subset an older LLVM understands.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { V4_LLVM, findLlvmMcs, llvmAccepts, llvmEncode } from '../llvm.ts';

export interface Vector {
  /** The line as written in forms.s. */
  readonly source: string;
  /** How LLVM prints it back. */
  readonly llvm: string;
  readonly hex: string;
  /** True for spellings that the disassembler prints differently (e.g. `w1 = *(u8 *)...`). */
  readonly alias: boolean;
  /** The oldest LLVM major version seen to encode it the same way. */
  readonly minLlvm: number;
}

export function readForms(path: string): { source: string; alias: boolean }[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => ({ source: line.replace(/#\s*alias\s*$/, '').trim(), alias: /#\s*alias\s*$/.test(line) }));
}

const here = dirname(fileURLToPath(import.meta.url));
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const mcs = findLlvmMcs();
  const newest = mcs[0];
  if (newest === undefined || newest.major < V4_LLVM) {
    console.error(`need llvm-mc >= ${V4_LLVM} (apt-get install llvm-19); found ${mcs.map((m) => m.major).join(', ') || 'none'}`);
    process.exit(1);
  }
  const forms = readForms(join(here, 'forms.s'));
  const encoded = llvmEncode(
    newest,
    forms.map((f) => f.source),
  );
  const vectors: Vector[] = forms.map((form, i) => {
    const { text, hex } = encoded[i] as { text: string; hex: string };
    let minLlvm = newest.major;
    for (const older of mcs.slice(1)) {
      if (llvmAccepts(older, form.source)?.hex === hex) minLlvm = Math.min(minLlvm, older.major);
    }
    return { source: form.source, llvm: text, hex, alias: form.alias, minLlvm };
  });
  const generator = `${newest.path} (LLVM ${newest.major})${
    mcs.length > 1
      ? `; minLlvm checked with ${mcs
          .slice(1)
          .map((m) => m.path)
          .join(', ')}`
      : ''
  }`;
  writeFileSync(join(here, 'llvm-vectors.json'), `${JSON.stringify({ generator, vectors }, null, 1)}\n`);
  console.log(`wrote ${vectors.length} vectors from ${generator}`);
}
