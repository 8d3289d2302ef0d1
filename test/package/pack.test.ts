// The package as users get it: `npm pack`, installed from the tarball into an empty prefix
// with a C++ compiler on PATH and with --ignore-scripts, then run from there: --help,
// --version, --ebpf and --self-test (a real trace of one loopback connection). And started
// through `npx`, which passes no signal on: killing npx must still leave nothing loaded.
import t from 'tap';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelTest } from '../helpers/kernel.ts';
import { LineCollector, sleep } from '../helpers/processes.ts';
import { leftovers, snapshot } from '../hardening/helpers.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const version = JSON.parse(execFileSync('npm', ['pkg', 'get', 'version'], { cwd: root, encoding: 'utf8' })) as string;

const work = mkdtempSync(join(tmpdir(), 'ts-tcpaccept-pack-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

// dist/ is built by `npm test` before tap runs; --ignore-scripts keeps pack from building again.
const packed = spawnSync('npm', ['pack', '--ignore-scripts', '--pack-destination', work, '--json'], { cwd: root, encoding: 'utf8' });
const tarball = packed.status === 0 ? join(work, (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0]!.filename) : undefined;
const prefix = join(work, 'prefix');

t.test('npm pack: what the tarball holds', async (t) => {
  t.equal(packed.status, 0, `npm pack exits 0 ${packed.stderr}`);
  const files = execFileSync('tar', ['-tzf', tarball!], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const wanted of [
    'package/LICENSE',
    'package/NOTICE',
    'package/README.md',
    'package/schema/event.schema.json',
    'package/docs/how-it-works.md',
    'package/examples/tcpstates.ts',
    'package/dist/bin/ts-tcpaccept.cjs',
    'package/dist/src/index.js',
    'package/dist/src/index.d.ts',
    'package/src/probe/programs.ts',
  ]) {
    t.ok(files.includes(wanted), `has ${wanted}`);
  }
  t.same(
    files.filter((f) => /(^package\/test\/|\.test\.ts$|\.map$|^package\/dist\/cli\/|^package\/tmp\/|^package\/\.ci\/)/.test(f)),
    [],
    'no tests, source maps, dist/cli, scratch or CI files',
  );
  t.comment(`${files.length} files`);
});

t.test('installed from the tarball with a compiler on PATH and --ignore-scripts: nothing native is built', async (t) => {
  t.ok(tarball !== undefined, 'packed');
  const cxx = spawnSync('sh', ['-c', 'command -v g++ || command -v c++'], { encoding: 'utf8' }).stdout.trim();
  t.not(cxx, '', `a compiler is on PATH (${cxx})`);
  const install = spawnSync('npm', ['install', '--prefix', prefix, '--ignore-scripts', '--no-audit', '--no-fund', tarball!], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  t.equal(install.status, 0, `npm install exits 0 ${install.stderr}`);
  t.notMatch(install.stderr, /gyp|node-gyp|prebuild/i, 'no native build was attempted');
  const modules = join(prefix, 'node_modules');
  t.notOk(existsSync(join(modules, '@2060.io')), 'the optional ffi-napi peer is not installed unasked');
  const builds: string[] = [];
  const walk = (dir: string, depth: number) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (!statSync(path).isDirectory()) continue;
      if (entry === 'build' && existsSync(join(path, 'config.gypi'))) builds.push(path);
      else if (depth < 3) walk(path, depth + 1);
    }
  };
  walk(modules, 0);
  t.same(builds, [], 'no node-gyp build directory anywhere');
});

const bin = () => join(prefix, 'node_modules', '.bin', 'ts-tcpaccept');
const run = (args: string[]) => spawnSync(bin(), args, { encoding: 'utf8', timeout: 60_000 });

t.test('the installed command: --help and --version', async (t) => {
  const help = run(['--help']);
  t.equal(help.status, 0, 'exit 0');
  t.match(help.stdout, /^usage: ts-tcpaccept/, 'usage first');
  const v = run(['--version']);
  t.equal(v.status, 0, `--version exits 0 ${v.stderr}`);
  t.equal(v.stdout.trim(), `ts-tcpaccept ${version}`, 'prints the package version');
});

t.test('the installed command on the kernel: --ebpf and --self-test', kernelTest(), async (t) => {
  const ebpf = run(['--ebpf', '-q']);
  t.equal(ebpf.status, 0, `--ebpf exits 0 ${ebpf.stderr}`);
  t.match(ebpf.stdout, /\/\/ program tcpaccept_exit /, 'lists the accept program');
  const before = snapshot();
  const self = run(['--self-test']);
  t.equal(self.status, 0, `--self-test exits 0\n${self.stdout}${self.stderr}`);
  t.match(self.stdout, /^self-test passed$/m, 'one loopback connection traced end to end');
  const left = await leftovers(before);
  t.same([left.progs, left.maps], [[], []], 'nothing left loaded');
});

/** The node process running the bin among the descendants of `ancestor` (npm exec -> sh -> node). */
function toolUnder(ancestor: number): number | undefined {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The fields after the command name (in parentheses): state, then the parent pid.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const descends = (pid: number): boolean => {
    for (let p = parents.get(pid), hops = 0; p !== undefined && hops < 16; p = parents.get(p), hops++) if (p === ancestor) return true;
    return false;
  };
  for (const pid of parents.keys()) {
    if (!descends(pid)) continue;
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (/node$/.test(argv[0] ?? '') && /ts-tcpaccept(\.cjs)?$/.test(argv[1] ?? '')) return pid;
  }
  return undefined;
}

for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
  t.test(`started through npx, npx killed with ${signal}: the tool ends and leaves nothing loaded`, kernelTest(), async (t) => {
    const before = snapshot();
    // npx runs the package's bin through a shell of npm's: the tool is npx's grandchild.
    const npx = spawn('npx', ['--no-install', 'ts-tcpaccept', '-P', '1'], {
      cwd: prefix,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: false,
    });
    const stdout = new LineCollector(npx.stdout!);
    const stderr = new LineCollector(npx.stderr!);
    await stdout
      .waitFor((l) => /PID\s+COMM/.test(l), 30_000, 'the header')
      .catch((error: Error) => {
        throw new Error(`${error.message}\n${stderr.lines.join('\n')}`);
      });
    const tool = toolUnder(npx.pid!);
    t.ok(tool !== undefined, `the tool runs as pid ${tool} under npx (${npx.pid})`);
    npx.kill(signal);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && existsSync(`/proc/${tool}`)) await sleep(50);
    t.notOk(existsSync(`/proc/${tool}`), 'the tool exited');
    const left = await leftovers(before);
    t.same([left.progs, left.maps], [[], []], 'no program or map of the tool loaded afterwards');
  });
}
