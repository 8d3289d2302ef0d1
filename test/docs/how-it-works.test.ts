// docs/how-it-works.md must show the programs the tool really loads. Two links make the chain:
// 1. scripts/gen-docs.ts --check regenerates every listing for the recorded kernel
//    (test/fixtures/kernel) and compares exactly: the document is what the planning code gives
//    for that kernel. Pure, so it runs on any machine and without root.
// 2. On the running kernel, the kernel's tag of each program TcpAcceptTracer loads must match
//    the tag of the same program assembled from what --ebpf lists for this kernel (the tag is a
//    hash of the instructions with map fds zeroed): --ebpf prints what is loaded.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelTest } from '../helpers/kernel.ts';
import { TcpAcceptTracer, describePlan, parse, planPrograms, type TcpAcceptFilters } from '../../src/internal.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const docPath = join(root, 'docs', 'how-it-works.md');
const script = join(root, 'scripts', 'gen-docs.ts');

function genDocs(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
}

/** Program name -> its listing, from `--ebpf` output (sections start with `// program NAME`). */
function listedPrograms(listing: string): Map<string, string> {
  const programs = new Map<string, string>();
  let name: string | undefined;
  let lines: string[] = [];
  const finish = () => {
    if (name !== undefined) programs.set(name, lines.join('\n'));
  };
  for (const line of listing.split('\n')) {
    const header = /^\/\/ program (\S+) /.exec(line);
    if (header !== null) {
      finish();
      name = header[1]!;
      lines = [];
    } else if (name !== undefined) {
      lines.push(line);
    }
  }
  finish();
  return programs;
}

/**
 * bpf_prog_calc_tag: the first 8 bytes of a hash of the instructions, with the fd in every
 * map-loading ld_imm64 zeroed (fds differ from load to load). SHA-256 since Linux 6.18 (program
 * signing), SHA-1 before: both are computed, the kernel's must be one of them.
 */
function tagsOf(text: string, mapNames: readonly string[]): string[] {
  const bytes = parse(text).bytecode(Object.fromEntries(mapNames.map((name) => [name, 0])));
  return ['sha256', 'sha1'].map((hash) => createHash(hash).update(bytes).digest('hex').slice(0, 16));
}

t.test('scripts/gen-docs.ts --check: the generated parts are up to date', async (t) => {
  const run = genDocs(['--check']);
  t.equal(run.status, 0, 'gen-docs --check exits 0');
  if (run.status !== 0) t.comment(`${run.stderr}${run.stdout}`);
});

t.test('--check fails when a listed program differs from the real one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gen-docs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const doc = readFileSync(docPath, 'utf8');
  t.ok(doc.includes('r7 <<= 3'), 'the accept listing scales the fd by 8');
  const tampered = join(dir, 'how-it-works.md');
  writeFileSync(tampered, doc.replace('r7 <<= 3', 'r7 <<= 4'));
  const run = genDocs(['--check', '--file', tampered]);
  t.equal(run.status, 1, 'exit status 1');
  t.match(run.stderr, /is out of date/, 'says so');
  t.match(run.stderr, /r7 <<= 4/, 'and shows the line');
  t.equal(readFileSync(tampered, 'utf8'), doc.replace('r7 <<= 3', 'r7 <<= 4'), '--check writes nothing');

  const rewrite = genDocs(['--file', tampered]);
  t.equal(rewrite.status, 0, `rewriting exits 0 ${rewrite.stderr}`);
  t.equal(readFileSync(tampered, 'utf8').includes('r7 <<= 4'), false, 'without --check the listing is regenerated');
});

t.test('this kernel loads exactly the programs --ebpf lists for it', kernelTest(), async (t) => {
  const modes: Array<[string, TcpAcceptFilters]> = [
    ['--ebpf', {}],
    ['--ebpf -q', { queueWait: true }],
    ['--ebpf --handshake', { handshake: true }],
  ];
  for (const [source, filters] of modes) {
    const listed = listedPrograms(describePlan(planPrograms(filters)));
    const tracer = TcpAcceptTracer.open({ ...filters, onEvent: () => {} });
    try {
      const loaded = tracer.loadedPrograms().map((program) => program.info());
      t.same(loaded.map((info) => info.name).sort(), [...listed.keys()].sort(), `${source}: the same programs`);
      for (const info of loaded) {
        const text = listed.get(info.name);
        if (text === undefined) continue;
        const mapNames = parse(text).mapNames;
        t.ok(tagsOf(text, mapNames).includes(info.tag), `${source}: ${info.name} has tag ${info.tag} in the kernel and in the listing`);
      }
    } finally {
      tracer.close();
    }
  }
});
