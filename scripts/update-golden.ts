// Rewrites test/probe/golden/*.s, the --ebpf listing of every plan variant for the recorded
// kernel (the table is in test/probe/golden/variants.ts). Run it after changing the programs,
// then read `git diff test/probe/golden` before committing: that diff is the change to the BPF.
//
//   node --import tsx scripts/update-golden.ts
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { GOLDEN_DIR, VARIANTS, goldenPath, renderGolden } from '../test/probe/golden/variants.ts';

let changed = 0;
for (const variant of VARIANTS) {
  const path = goldenPath(variant);
  const text = renderGolden(variant);
  let old: string | undefined;
  try {
    old = readFileSync(path, 'utf8');
  } catch {
    old = undefined;
  }
  if (old !== text) {
    writeFileSync(path, text);
    changed++;
    process.stdout.write(`${old === undefined ? 'new' : 'changed'}: ${relative(process.cwd(), path)}\n`);
  }
}
// A variant taken out of the table takes its file with it.
const wanted = new Set(VARIANTS.map((v) => `${v.name}.s`));
for (const file of readdirSync(GOLDEN_DIR)) {
  if (file.endsWith('.s') && !wanted.has(file)) {
    rmSync(join(GOLDEN_DIR, file));
    changed++;
    process.stdout.write(`removed: ${relative(process.cwd(), join(GOLDEN_DIR, file))}\n`);
  }
}
process.stdout.write(`${VARIANTS.length} golden programs, ${changed} file(s) written or removed\n`);
