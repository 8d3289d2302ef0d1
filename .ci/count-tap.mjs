// Counts leaf test points (assertions and childless subtests) in a TAP 14 stream, so the
// closing line of .ci/run speaks of checks rather than of files. A point that closes a
// "# Subtest:" header at its own indentation is a parent and is not counted: its children
// were. The one exception is a failed parent none of whose children failed (a subtest that
// timed out or ended wrongly without a failing assertion of its own): it counts as one failure,
// so a red run never totals 0 failed.
import { readFileSync } from 'node:fs';

const lines = readFileSync(process.argv[2], 'utf8').split('\n');
/** Open subtests, innermost last: the indentation of their header and whether a leaf failed inside. */
const open = [];
let passed = 0, failed = 0, skipped = 0;
// A failure's YAML diagnostics (between "---" and "...") may quote source lines such as "ok(…)".
let inYaml = false;
for (const line of lines) {
  const indent = line.length - line.trimStart().length;
  const text = line.trimStart();
  if (inYaml) { if (text === '...') inYaml = false; continue; }
  if (text === '---') { inYaml = true; continue; }
  if (text.startsWith('# Subtest')) { open.push({ indent, failedInside: false }); continue; }
  const point = /^(not ok|ok)\b/.exec(text);
  if (!point) continue;
  const ok = point[1] === 'ok';
  const skip = /# SKIP/i.test(text);
  const top = open.at(-1);
  if (top !== undefined && top.indent === indent) {
    open.pop();
    if (skip) skipped++;
    else if (!ok && !top.failedInside) { failed++; for (const frame of open) frame.failedInside = true; }
    else if (!ok) for (const frame of open) frame.failedInside = true;
    continue;
  }
  if (skip) skipped++;
  else if (ok) passed++;
  else { failed++; for (const frame of open) frame.failedInside = true; }
}
console.log(`${passed} ${failed} ${skipped}`);
