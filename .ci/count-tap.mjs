// Counts leaf test points (assertions and childless subtests) in a TAP 14 stream, so the
// closing line of .ci/run speaks of checks rather than of files. A point is a parent when a
// "# Subtest:" header at its own indentation is still open; parents are not counted.
import { readFileSync } from 'node:fs';

const lines = readFileSync(process.argv[2], 'utf8').split('\n');
const openSubtests = new Set();
let passed = 0, failed = 0, skipped = 0;
for (const line of lines) {
  const indent = line.length - line.trimStart().length;
  const text = line.trimStart();
  if (text.startsWith('# Subtest')) { openSubtests.add(indent); continue; }
  const point = /^(not ok|ok)\b/.exec(text);
  if (!point) continue;
  if (openSubtests.has(indent)) { openSubtests.delete(indent); if (point[1] === 'ok' && !/# (SKIP|TODO)/i.test(text)) continue; }
  if (/# SKIP/i.test(text)) skipped++;
  else if (point[1] === 'ok') passed++;
  else failed++;
}
console.log(`${passed} ${failed} ${skipped}`);
