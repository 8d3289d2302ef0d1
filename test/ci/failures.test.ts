// .ci/failures.mjs: the recap at the end of a CI log names each failed leaf check, with the
// subtests around it and its diagnostics, per part and per guest label.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';

const script = join(import.meta.dirname, '..', '..', '.ci', 'failures.mjs');

const TAP = `TAP version 14
# Subtest: test/a.test.ts
    # Subtest: group one
        ok 1 - fine
        not ok 2 - bad value
          ---
          found: 3
          wanted: 4
          ...
        ok 3 - quotes ok(x) in its name
        1..3
    not ok 1 - group one # time=3ms
    # Subtest: timed out
        ok 1 - x
        1..1
    not ok 2 - timed out
      ---
      message: timeout!
      ...
    # Subtest: skipped
    ok 3 - skipped # SKIP no kernel
    1..3
not ok 1 - test/a.test.ts
# Subtest: test/b.test.ts
    ok 1 - passes
    1..1
ok 2 - test/b.test.ts
`;

function recap(...args: string[]) {
  const result = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  return result.stdout;
}

t.test('failures.mjs names failed leaves with their subtests and diagnostics', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'failures-'));
  const plain = join(dir, 'host.tap');
  writeFileSync(plain, TAP);
  t.equal(
    recap(`host=${plain}`),
    [
      '== what failed (2 checks)',
      'host: test/a.test.ts > group one > not ok 2 - bad value',
      'host:     found: 3',
      'host:     wanted: 4',
      'host: test/a.test.ts > not ok 2 - timed out',
      'host:     message: timeout!',
      '',
    ].join('\n'),
  );
});

t.test('failures.mjs parses each [label] stream of an interleaved log on its own', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'failures-'));
  const a = TAP.split('\n').map((l) => `[6.1] ${l}`);
  const b = TAP.replace('not ok 2 - bad value', 'ok 2 - bad value')
    .split('\n')
    .map((l) => `[6.12] ${l}`);
  // Interleave line by line, as two guests echoing at once would.
  const mixed = a.flatMap((line, i) => [line, b[i] ?? '']).join('\n');
  const file = join(dir, 'kernels.log');
  writeFileSync(file, `== kernel 6.1\n${mixed}\nkernel 6.1 (...): FAIL\n`);
  const out = recap(`kernels=${file}`);
  t.match(out, /^== what failed \(4 checks\)\n/);
  t.match(out, /kernels: \[6\.1\] test\/a\.test\.ts > group one > not ok 2 - bad value\n/);
  t.notMatch(out, /\[6\.12\] test\/a\.test\.ts > group one/);
  t.match(out, /kernels: \[6\.12\] test\/a\.test\.ts > not ok 2 - timed out\n/);
});

t.test('failures.mjs prints nothing for a green log or a missing one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'failures-'));
  const green = join(dir, 'green.tap');
  writeFileSync(green, TAP.replace(/not ok/g, 'ok'));
  t.equal(recap(green, join(dir, 'absent.tap')), '');
});
