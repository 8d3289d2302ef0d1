// Prints every failed leaf check of one or more TAP logs with the subtests it sits in and the
// start of its YAML diagnostics, so the last screen of a CI log says what failed even when the
// run was long (a CI system often keeps only the tail). Lines may carry a "[label] " prefix, as
// the kernel matrix's echo of each guest does: each label is parsed as its own stream and named
// in the report. The same leaf rule as count-tap.mjs: a failed parent is reported only when none
// of its children failed (it timed out or ended wrongly on its own).
//
// Usage: node .ci/failures.mjs [NAME=]LOG ...   (prints nothing when nothing failed; NAME, when
// given, heads that log's failures)
import { readFileSync } from 'node:fs';

const MAX_FAILURES = 12;
const DIAG_LINES = 24;

/** One TAP stream's parser state. */
function stream() {
  return { open: [], yaml: undefined, yamlIndent: 0, pending: undefined };
}

const report = [];
for (const arg of process.argv.slice(2)) {
  const named = /^([\w .\/-]+?)=(.*)$/.exec(arg);
  const part = named ? named[1] : '';
  const file = named ? named[2] : arg;
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    continue;
  }
  const streams = new Map();
  for (const raw of text.split('\n')) {
    const prefix = /^\[([^\]]+)\] /.exec(raw);
    const label = prefix ? prefix[1] : '';
    const line = prefix ? raw.slice(prefix[0].length) : raw;
    let s = streams.get(label);
    if (s === undefined) streams.set(label, (s = stream()));
    const indent = line.length - line.trimStart().length;
    const body = line.trimStart();
    if (s.yaml !== undefined) {
      if (body === '...') s.yaml = undefined;
      else if (s.yaml.length < DIAG_LINES) s.yaml.push(line.slice(Math.min(indent, s.yamlIndent)));
      continue;
    }
    if (body === '---') {
      // Diagnostics belong to the point just printed; only a reported failure keeps them.
      s.yaml = s.pending ? s.pending.diag : [];
      s.yamlIndent = indent;
      continue;
    }
    s.pending = undefined;
    const header = /^# Subtest: (.*)$/.exec(body);
    if (header) {
      s.open.push({ indent, name: header[1], failedInside: false });
      continue;
    }
    const point = /^(not ok|ok)\b/.exec(body);
    if (!point || /# SKIP/i.test(body)) {
      if (point && s.open.at(-1)?.indent === indent) s.open.pop();
      continue;
    }
    const ok = point[1] === 'ok';
    const top = s.open.at(-1);
    const closesSubtest = top !== undefined && top.indent === indent;
    if (closesSubtest) s.open.pop();
    if (ok) continue;
    const leaf = !closesSubtest || !top.failedInside;
    for (const frame of s.open) frame.failedInside = true;
    if (!leaf) continue;
    const failure = { part, label, path: s.open.map((f) => f.name), point: body, diag: [] };
    report.push(failure);
    s.pending = failure;
  }
}

if (report.length > 0) {
  console.log(`== what failed (${report.length} check${report.length === 1 ? '' : 's'})`);
  for (const failure of report.slice(0, MAX_FAILURES)) {
    const where = `${failure.part ? `${failure.part}: ` : ''}${failure.label ? `[${failure.label}] ` : ''}`;
    console.log(`${where}${[...failure.path, failure.point].join(' > ')}`);
    for (const line of failure.diag) console.log(`${where}    ${line.trimEnd()}`);
  }
  if (report.length > MAX_FAILURES) console.log(`... and ${report.length - MAX_FAILURES} more (see the logs above)`);
}
