// The package as a consumer sees it after `npm run build`: a project with ts-tcpaccept in its
// node_modules imports from the package root (package.json "exports" -> dist/src), both at run
// time (plain ESM) and at compile time (tsc against dist's .d.ts files). Every name docs/api.md
// lists must be exported there.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const distEntry = join(root, 'dist', 'src', 'index.js');

/** Identifiers in the first column of docs/api.md's tables (`Btf.prototype.offsetOf` -> `Btf`). */
function documentedNames(): string[] {
  const names = new Set<string>();
  for (const line of readFileSync(join(root, 'docs', 'api.md'), 'utf8').split('\n')) {
    const cells = line.split(/(?<!\\)\|/);
    if (cells.length < 3 || !line.startsWith('|')) continue;
    for (const match of cells[1]!.matchAll(/`([A-Za-z_][A-Za-z0-9_]*)[^`]*`/g)) names.add(match[1]!);
  }
  // R0…R10 and W0…W10 are written as ranges in the table.
  for (let i = 0; i <= 10; i++) names.add(`R${i}`).add(`W${i}`);
  return [...names].sort();
}

/** Every name src/index.ts exports, values and types alike, read from its export lists. */
function exportedNames(): string[] {
  const source = readFileSync(join(root, 'src', 'index.ts'), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
  t.equal(/export \*/.test(source), false, 'src/index.ts has no export * (every public name is chosen)');
  const names = new Set<string>();
  for (const match of source.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g)) {
    for (const item of match[1]!.split(',')) {
      const name = item
        .trim()
        .replace(/^type\s+/, '')
        .split(/\s+as\s+/)
        .pop()!
        .trim();
      if (name !== '') names.add(name);
    }
  }
  return [...names].sort();
}

t.test('the package root exports exactly what docs/api.md documents', async (t) => {
  const documented = new Set(documentedNames());
  const exported = exportedNames();
  t.ok(exported.length > 60, `src/index.ts exports ${exported.length} names`);
  t.same(
    exported.filter((name) => !documented.has(name)),
    [],
    'every export has a row in docs/api.md',
  );
  t.same(
    [...documented].filter((name) => !exported.includes(name)),
    [],
    'every documented name is exported',
  );
});

function makeConsumer(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'ts-tcpaccept-consumer-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(root, join(dir, 'node_modules', 'ts-tcpaccept'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  return dir;
}

t.test('dist exists (npm test builds it first)', async (t) => {
  t.ok(existsSync(distEntry), `${distEntry} exists; run "npm run build"`);
});

t.test(
  'an ESM consumer imports the assembler and the kernel API from the package root',
  { skip: existsSync(distEntry) ? false : 'no dist' },
  async (t) => {
    const dir = makeConsumer(t);
    writeFileSync(
      join(dir, 'consumer.mjs'),
      `
import * as api from 'ts-tcpaccept';
import { assemble, disassemble, bpf, parse, ProgramBuilder, R0, Helper } from 'ts-tcpaccept';
const text = 'r0 = 0\\nexit';
const bytes = assemble(text);
const built = new ProgramBuilder().call(Helper.ktime_get_ns).mov64(R0, 0).exit().build();
console.log(JSON.stringify({
  roundTrip: disassemble(bytes).trim() === text && disassemble(parse(disassemble(bytes)).bytecode()) === disassemble(bytes),
  template: bpf\`r0 = \${7}
exit\`.instructionCount,
  builder: disassemble(built).trim().split('\\n'),
  functions: Object.keys(api).filter((name) => typeof api[name] === 'function').sort(),
}));
`,
    );
    const run = spawnSync(process.execPath, ['consumer.mjs'], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    t.equal(run.status, 0, `the consumer runs ${run.stderr}`);
    const out = JSON.parse(run.stdout) as { roundTrip: boolean; template: number; builder: string[]; functions: string[] };
    t.equal(out.roundTrip, true, 'assemble and disassemble round-trip');
    t.equal(out.template, 2, 'the bpf template assembles');
    t.same(out.builder, ['call bpf_ktime_get_ns', 'r0 = 0', 'exit'], 'the builder builds');
    for (const name of [
      'createMap',
      'createPerfEventArray',
      'loadProgram',
      'loadTracepointProgram',
      'attachTracepoint',
      'readTracepoint',
      'readTracepointFormat',
      'Btf',
      'PerfEventArrayReader',
      'RingBufferReader',
      'TcpAcceptTracer',
      'planPrograms',
      'describePlan',
    ]) {
      t.ok(out.functions.includes(name), `${name} is exported`);
    }
  },
);

t.test(
  'at run time the package root has only the chosen names; internals are at ts-tcpaccept/internal',
  { skip: existsSync(distEntry) ? false : 'no dist' },
  async (t) => {
    const dir = makeConsumer(t);
    writeFileSync(
      join(dir, 'names.mjs'),
      `
import * as api from 'ts-tcpaccept';
import * as internal from 'ts-tcpaccept/internal';
console.log(JSON.stringify({ api: Object.keys(api), internal: Object.keys(internal) }));
`,
    );
    const run = spawnSync(process.execPath, ['names.mjs'], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    t.equal(run.status, 0, `the consumer runs ${run.stderr}`);
    const { api, internal } = JSON.parse(run.stdout) as { api: string[]; internal: string[] };
    const exported = new Set(exportedNames());
    t.same(
      api.filter((name) => !exported.has(name)),
      [],
      "nothing at the root beyond src/index.ts's lists",
    );
    for (const name of ['writeProgLoadAttr', 'acceptProgramText', 'MAP_NAMES', 'readNextId']) {
      t.equal(api.includes(name), false, `${name} is not public`);
      t.ok(internal.includes(name), `${name} is in ts-tcpaccept/internal`);
    }
    t.ok(
      api.every((name) => internal.includes(name)),
      'internal is a superset of the root',
    );
  },
);

t.test(
  'a TypeScript consumer type-checks against dist/*.d.ts, and every documented name is exported',
  { skip: existsSync(distEntry) ? false : 'no dist' },
  async (t) => {
    const dir = makeConsumer(t);
    const names = documentedNames();
    t.ok(names.length > 60, `docs/api.md names ${names.length} exports`);
    // A missing name is "Module 'ts-tcpaccept' has no exported member" (a type-only import
    // reaches types and values alike).
    writeFileSync(join(dir, 'documented.ts'), `import type { ${names.join(', ')} } from 'ts-tcpaccept';\n`);
    writeFileSync(
      join(dir, 'consumer.ts'),
      `
import { assemble, disassemble, loadTracepointProgram, readTracepointFormat, type TracepointProgram, type AcceptEvent } from 'ts-tcpaccept';

const bytes: Uint8Array = assemble('r0 = 0\\nexit');
const text: string = disassemble(bytes);
// Signatures as the documentation shows them; only compiled, never run.
export function attach(): [TracepointProgram, number] {
  const tp = readTracepointFormat('sock', 'inet_sock_set_state');
  return [loadTracepointProgram({ name: 'x', program: undefined as never, attachTo: tp, maps: {} }), tp.field('newstate').offset];
}
export function port(event: AcceptEvent): number {
  return event.localPort;
}
console.log(text);
`,
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          strict: true,
          noEmit: true,
          types: ['node'],
          typeRoots: [join(root, 'node_modules', '@types')],
        },
        files: ['consumer.ts', 'documented.ts'],
      }),
    );
    const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 120_000,
    });
    t.equal(tsc.status, 0, `tsc accepts the consumer\n${tsc.stdout}${tsc.stderr}`);
  },
);
