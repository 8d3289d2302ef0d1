// Rewrites the generated parts of docs/how-it-works.md from the real code, so the walkthrough
// cannot drift from the programs the tool loads:
//
//   node --import tsx scripts/gen-docs.ts            rewrite docs/how-it-works.md and README.md in place
//   node --import tsx scripts/gen-docs.ts --check    exit 1 if either is out of date (test/docs runs this)
//   ... --file other.md                              only that file, with the same markers
//
// A generated part sits between `<!-- generated: SOURCE -->` and `<!-- end generated -->`;
// everything outside the markers is prose and left alone. Sources:
//
//   kernel                   which recorded kernel the listings were made from
//   ts-tcpaccept ARGS...     what `ts-tcpaccept ARGS` prints (--ebpf ...), planned for the recorded kernel
//   program NAME: ts-tcpaccept ARGS...   only program NAME of that listing
//   tcpstates ARGS...        the output of examples/tcpstates.ts ARGS, on the recorded tracepoints
//   record-layout            the event record table, from RECORD in src/probe/record.ts
//   bench-table FILE         the README's performance table, from a committed `npm run bench --
//                            --save FILE` result (bench/results.ts): numbers come from one run
//
// Listings are made from a recorded kernel (test/fixtures/kernel: a small BTF blob, the
// tracepoint format files and the possible CPUs, written by scripts/record-kernel.ts), never
// from the machine this runs on: the document is the same on every machine, needs no root to
// check, and --check compares it exactly. test/docs/how-it-works.test.ts separately checks
// that the running kernel loads exactly the programs --ebpf lists for it.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RECORD, RECORD_SIZE, parseCpuList } from '../src/internal.ts';
import { parseArgs } from '../cli/args.ts';
import { ebpfListing, tracerFiltersOf } from '../cli/plan.ts';
import { parseStormResult, readmePerformanceTable } from '../bench/results.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const BEGIN = /^<!-- generated: (.+?) -->$/;
const END = '<!-- end generated -->';

/** The kernel the listings are planned for (see scripts/record-kernel.ts). */
export const RECORDED_KERNEL_DIR = join(root, 'test', 'fixtures', 'kernel');
interface RecordedKernel {
  release: string;
  arch: string;
  possibleCpus: string;
}
const recorded = JSON.parse(readFileSync(join(RECORDED_KERNEL_DIR, 'kernel.json'), 'utf8')) as RecordedKernel;
const recordedPaths = {
  btfPath: join(RECORDED_KERNEL_DIR, 'btf'),
  tracefsRoot: join(RECORDED_KERNEL_DIR, 'tracing'),
  cpuSlots: Math.max(...parseCpuList(recorded.possibleCpus)) + 1,
};

/** What each record field means; a field added to RECORD without a line here stops the generator. */
const RECORD_FIELD_NOTES: Record<keyof typeof RECORD, string> = {
  timestampNs: '`bpf_ktime_get_ns()` (CLOCK_MONOTONIC) when the program ran',
  queueWaitNs: 'accept() time minus handshake time (`-q`); 0 when not measured',
  pid: 'TGID of the accepting task (high half of `bpf_get_current_pid_tgid`); 0 in `--handshake` mode',
  tid: 'its thread (low half); 0 in `--handshake` mode',
  family: '`AF_INET` (2) or `AF_INET6` (10)',
  localPort: "host byte order, from `inet_sport` (accept) or the tracepoint's `sport` (handshake)",
  remotePort: 'host byte order',
  state: 'TCP state at accept: `TCP_CLOSE` (7) means the client reset it first',
  source: '1 = accept syscall program, 2 = handshake program, 3 = drop program, 4 = io_uring completion program',
  localAddr: 'IPv4 in the first 4 bytes (the rest zero), or IPv6',
  remoteAddr: 'same',
  comm: 'task name, NUL-padded; zero in `--handshake` mode',
};

/** Runs a script of this repository; the recorded kernel's tracefs stands in for the real one. */
function run(script: string[], args: string[]): string {
  const env = { ...process.env };
  // The listings describe the defaults, not whatever overrides this shell happens to carry.
  delete env.TS_TCPACCEPT_BTF;
  delete env.TS_TCPACCEPT_FFI;
  env.TS_TCPACCEPT_TRACEFS = recordedPaths.tracefsRoot;
  return execFileSync(process.execPath, ['--import', 'tsx', ...script, ...args], {
    cwd: root,
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** What `ts-tcpaccept ARGS` prints, planned for the recorded kernel (the same code as the CLI's). */
function toolListing(args: string[]): string {
  const options = parseArgs(args);
  if (!options.ebpf) throw new Error(`generated source "ts-tcpaccept ${args.join(' ')}": only --ebpf listings are generated`);
  if (options.cgroupPath !== undefined) throw new Error("generated listings cannot name a cgroup: its id is this machine's");
  return ebpfListing(tracerFiltersOf(options, undefined), recordedPaths);
}

function fenced(text: string): string {
  return `\`\`\`text\n${text.trimEnd()}\n\`\`\``;
}

function recordTable(): string {
  const rows = Object.entries(RECORD).map(([name, field]) => {
    const note = RECORD_FIELD_NOTES[name as keyof typeof RECORD];
    if (note === undefined) throw new Error(`RECORD.${name} has no description in scripts/gen-docs.ts`);
    return `| ${field.offset} | ${field.size} | \`${name}\` | ${note} |`;
  });
  return ['| offset | size | field | meaning |', '|---:|---:|---|---|', ...rows, '', `${RECORD_SIZE} bytes in all.`].join('\n');
}

/** The lines of `listing` from `// program NAME` up to the next program (or the end). */
function programSection(listing: string, name: string, source: string): string {
  const lines = listing.split('\n');
  const start = lines.findIndex((line) => line.startsWith(`// program ${name} `));
  if (start < 0) throw new Error(`generated source "${source}": the listing has no program ${name}`);
  let end = lines.findIndex((line, i) => i > start && line.startsWith('// program '));
  if (end < 0) end = lines.length;
  return lines.slice(start, end).join('\n');
}

/** The text of one generated part. */
export function generate(source: string): string {
  const [kind, ...args] = source.split(/\s+/);
  switch (kind) {
    case 'kernel':
      return `Listings planned for a recorded Linux ${recorded.release} (${recorded.arch}, possible CPUs ${recorded.possibleCpus}): test/fixtures/kernel.`;
    case 'ts-tcpaccept':
      return fenced(toolListing(args));
    case 'program': {
      // "program NAME: ts-tcpaccept ARGS": one program's section of the listing.
      const name = (args[0] ?? '').replace(/:$/, '');
      if (args[1] !== 'ts-tcpaccept') throw new Error(`generated source "${source}": expected "program NAME: ts-tcpaccept ARGS"`);
      return fenced(programSection(toolListing(args.slice(2)), name, source));
    }
    case 'tcpstates':
      return fenced(run(['examples/tcpstates.ts'], args));
    case 'record-layout':
      return recordTable();
    case 'bench-table': {
      const file = args[0];
      if (file === undefined) throw new Error(`generated source "${source}": expected "bench-table FILE"`);
      return readmePerformanceTable(parseStormResult(readFileSync(join(root, file), 'utf8'), file), file);
    }
    default:
      throw new Error(`unknown generated source "${source}"`);
  }
}

interface Part {
  source: string;
  /** Line index of the BEGIN marker and of the END marker. */
  begin: number;
  end: number;
}

function parts(lines: string[], file: string): Part[] {
  const found: Part[] = [];
  for (let i = 0; i < lines.length; i++) {
    const match = BEGIN.exec(lines[i]!);
    if (match === null) continue;
    const end = lines.indexOf(END, i + 1);
    const nextBegin = lines.findIndex((line, j) => j > i && BEGIN.test(line));
    if (end < 0 || (nextBegin >= 0 && nextBegin < end))
      throw new Error(`${file}:${i + 1}: "${lines[i]}" has no ${END} before the next marker`);
    found.push({ source: match[1]!, begin: i, end });
    i = end;
  }
  return found;
}

/** The file with every generated part regenerated. */
export function regenerate(text: string, file = 'input'): string {
  const lines = text.split('\n');
  const out: string[] = [];
  let copied = 0;
  for (const part of parts(lines, file)) {
    out.push(...lines.slice(copied, part.begin + 1), generate(part.source));
    copied = part.end;
  }
  out.push(...lines.slice(copied));
  return out.join('\n');
}

function firstDifference(a: string, b: string): string {
  const left = a.split('\n');
  const right = b.split('\n');
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    if (left[i] !== right[i])
      return `line ${i + 1}:\n  in the file:  ${left[i] ?? '(end of file)'}\n  regenerated:  ${right[i] ?? '(end of file)'}`;
  }
  return 'no difference';
}

/** Regenerates one file, or with `check` reports whether it is up to date; returns the exit status. */
function processFile(file: string, check: boolean): number {
  const name = relative(process.cwd(), file) || file;
  const current = readFileSync(file, 'utf8');
  const fresh = regenerate(current, name);
  if (!check) {
    if (fresh !== current) writeFileSync(file, fresh);
    process.stdout.write(`${name}: ${fresh === current ? 'already up to date' : 'regenerated'}\n`);
    return 0;
  }
  if (fresh === current) return 0;
  process.stderr.write(
    `${name} is out of date: the programs, the record or a committed result changed without the document.\n` +
      `First difference, ${firstDifference(current, fresh)}\n` +
      'Run `node --import tsx scripts/gen-docs.ts` and read the new parts before committing them.\n',
  );
  return 1;
}

/** The documents with generated parts, when no --file is given. */
export const GENERATED_DOCUMENTS = [join(root, 'docs', 'how-it-works.md'), join(root, 'README.md')];

function main(argv: string[]): number {
  const check = argv.includes('--check');
  const fileIndex = argv.indexOf('--file');
  const files = fileIndex >= 0 && argv[fileIndex + 1] !== undefined ? [argv[fileIndex + 1]!] : GENERATED_DOCUMENTS;
  return Math.max(...files.map((file) => processFile(file, check)));
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main(process.argv.slice(2));
