// The golden programs (test/probe/golden/*.s): every plan variant of VARIANTS, planned for the
// recorded kernel, must list exactly as its file. Pure: runs without root on any machine. A
// change to the programs fails here with the first differing line; update the files with
// `node --import tsx scripts/update-golden.ts` (or UPDATE_GOLDEN=1) and review `git diff`.
import t from 'tap';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parse } from '../../src/internal.ts';
import { GOLDEN_DIR, VARIANTS, goldenPath, planGolden, renderGolden } from './golden/variants.ts';

const update = process.env.UPDATE_GOLDEN === '1';

function firstDifference(want: string, got: string): string {
  const a = want.split('\n');
  const b = got.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `line ${i + 1}:\n  golden:  ${a[i] ?? '(end of file)'}\n  planned: ${b[i] ?? '(end of file)'}`;
  }
  return 'no difference';
}

/** Program name -> its listing lines, from a golden file. */
function sections(text: string): Map<string, string> {
  const found = new Map<string, string>();
  let name: string | undefined;
  for (const line of text.split('\n')) {
    const header = /^\/\/ program (\S+) /.exec(line);
    if (header !== null) {
      name = header[1]!;
      found.set(name, '');
    } else if (name !== undefined) {
      found.set(name, `${found.get(name)!}${line}\n`);
    }
  }
  return found;
}

t.test('the variant table names each file once', async (t) => {
  const names = VARIANTS.map((v) => v.name);
  t.same([...new Set(names)], names, 'no two variants share a name');
  for (const name of names) t.match(name, /^[a-z0-9-]+$/, `${name}: a plain file name`);
  const files = readdirSync(GOLDEN_DIR)
    .filter((f) => f.endsWith('.s'))
    .sort();
  t.same(files, names.map((n) => `${n}.s`).sort(), 'every .s file has a row in VARIANTS, and every row its file');
});

for (const variant of VARIANTS) {
  t.test(`golden ${variant.name}.s`, async (t) => {
    const fresh = renderGolden(variant);
    const path = goldenPath(variant);
    if (update) writeFileSync(path, fresh);
    let golden = '';
    try {
      golden = readFileSync(path, 'utf8');
    } catch {
      t.fail(`${path} is missing: run node --import tsx scripts/update-golden.ts`);
      return;
    }
    t.ok(golden === fresh, `the planned programs list as ${variant.name}.s`, {
      diagnostic: golden !== fresh,
      difference: golden === fresh ? undefined : firstDifference(golden, fresh),
      fix: 'node --import tsx scripts/update-golden.ts, then review git diff test/probe/golden',
    });
  });
}

t.test('each golden listing assembles to the bytes of the program it lists', async (t) => {
  // The listing is the program: its text parses back to the planned instructions (map fds 0).
  for (const variant of VARIANTS) {
    const plan = planGolden(variant);
    const listed = sections(renderGolden(variant));
    t.same(
      [...listed.keys()],
      plan.programs.map((p) => p.name),
      `${variant.name}: one section per planned program`,
    );
    for (const planned of plan.programs) {
      const zero = Object.fromEntries(planned.program.mapNames.map((m) => [m, 0]));
      const reparsed = parse(listed.get(planned.name)!);
      t.same(
        reparsed.bytecode(zero),
        planned.program.bytecode(zero),
        `${variant.name}/${planned.name}: listing assembles to the planned bytes`,
      );
    }
  }
});
