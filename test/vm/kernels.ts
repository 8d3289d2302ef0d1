// Debian kernels for the guests: which package is the newest of a series, and fetching it into
// a cache directory with `apt-get download` + `dpkg -x` (nothing is installed, nothing goes into
// the host's /boot). The selection is pure; `ensureKernel` does the I/O.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A Debian kernel image package of the generic amd64 flavour, e.g. linux-image-6.1.0-57-amd64-unsigned. */
export interface KernelPackage {
  name: string;
  /** The kernel series it belongs to: `6.1`, `6.12`. */
  series: string;
  /** Numbers to order packages of one series by: [6, 1, 0, 57] or [6, 12, 117]. */
  version: number[];
}

/**
 * Parses a package name. Only the generic flavour is accepted: the cloud flavour has no 9p
 * (only virtiofs) and rt is a different kernel. ABI-numbered names (`6.1.0-57`) and
 * upload-suffixed names (`6.12.117+deb12`) both occur in bookworm.
 */
export function parseKernelPackage(name: string): KernelPackage | undefined {
  const match = /^linux-image-(\d+)\.(\d+)\.(\d+)(?:-(\d+))?(?:\+deb\d+)?-amd64-unsigned$/.exec(name);
  if (!match) return undefined;
  const version = match
    .slice(1, 5)
    .filter((part): part is string => part !== undefined)
    .map(Number);
  return { name, series: `${match[1]}.${match[2]}`, version };
}

/** Orders versions numerically, part by part; a longer version wins a tie on the common parts. */
export function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? -1) - (b[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

/** The newest generic amd64 image package of `series` among `names`, or undefined. */
export function newestKernelPackage(names: Iterable<string>, series: string): KernelPackage | undefined {
  let best: KernelPackage | undefined;
  for (const name of names) {
    const pkg = parseKernelPackage(name);
    if (pkg?.series === series && (!best || compareVersions(pkg.version, best.version) > 0)) best = pkg;
  }
  return best;
}

/** An unpacked kernel, ready to boot. */
export interface Kernel {
  package: string;
  series: string;
  /** `uname -r` in the guest: the directory name under lib/modules. */
  release: string;
  /** Where `dpkg -x` unpacked the package. */
  root: string;
  vmlinuz: string;
  modulesDir: string;
}

/** Marks a cache entry whose unpacking finished (an interrupted one is redone). */
const COMPLETE = '.unpacked';

/** The kernel unpacked at `root` (a `dpkg -x` tree of package `name`). */
export function kernelAt(root: string, name: string, series: string): Kernel {
  const releases = readdirSync(join(root, 'lib', 'modules'));
  if (releases.length !== 1) throw new Error(`${root}/lib/modules should hold one release, has: ${releases.join(', ') || 'none'}`);
  const release = releases[0]!;
  const vmlinuz = join(root, 'boot', `vmlinuz-${release}`);
  if (!existsSync(vmlinuz)) throw new Error(`${vmlinuz} is missing from package ${name}`);
  return { package: name, series, release, root, vmlinuz, modulesDir: join(root, 'lib', 'modules', release) };
}

/** Runs a command for its stdout; on failure throws `what` with the command's stderr. */
function run(command: string, args: string[], what: string, cwd?: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.error) throw new Error(`${what}: ${command} could not be started (${result.error.message})`);
  if (result.status !== 0) throw new Error(`${what}: ${command} ${args.join(' ')} exited ${result.status}\n${result.stderr.trim()}`);
  return result.stdout;
}

/** Package names apt knows, optionally after refreshing its lists. */
function aptPackageNames(update: boolean): string[] {
  if (update) run('apt-get', ['update', '-qq'], 'apt-get update failed (is the Debian mirror reachable?)');
  return run('apt-cache', ['pkgnames', 'linux-image-'], 'apt-cache pkgnames failed').split('\n').filter(Boolean);
}

/**
 * The newest generic kernel of `series`, unpacked under `cacheDir`. A kernel already in the cache
 * is used as is (CI keeps the directory between runs), unless `refresh` asks apt for a newer one.
 * Otherwise: ask apt (running `apt-get update` once if it knows no such package), `apt-get
 * download` the package, `dpkg -x` it into `<cacheDir>/<package>`.
 */
export function ensureKernel(series: string, cacheDir: string, options: { refresh?: boolean; log?: (line: string) => void } = {}): Kernel {
  const log = options.log ?? (() => {});
  mkdirSync(cacheDir, { recursive: true });
  const cached = newestKernelPackage(
    readdirSync(cacheDir).filter((name) => existsSync(join(cacheDir, name, COMPLETE))),
    series,
  );
  if (cached && !options.refresh) return kernelAt(join(cacheDir, cached.name), cached.name, series);

  let wanted = newestKernelPackage(aptPackageNames(false), series);
  if (!wanted || options.refresh) wanted = newestKernelPackage(aptPackageNames(true), series) ?? wanted;
  if (!wanted) {
    throw new Error(
      `apt knows no package linux-image-${series}.*-amd64-unsigned (generic flavour); ` +
        'kernels come from Debian bookworm (6.1) and bookworm-backports/updates (6.12): check /etc/apt/sources.list*',
    );
  }
  const root = join(cacheDir, wanted.name);
  if (existsSync(join(root, COMPLETE))) return kernelAt(root, wanted.name, series);

  log(`downloading ${wanted.name} into ${cacheDir}`);
  const work = join(cacheDir, `.download-${wanted.name}-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    // apt-get download writes into the current directory; as root it warns that the _apt user
    // cannot write there, which is harmless.
    run('apt-get', ['download', '-q', wanted.name], `downloading Debian package ${wanted.name} failed`, work);
    const deb = readdirSync(work).find((f) => f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${wanted.name} produced no .deb in ${work}`);
    const tree = join(work, 'tree');
    run('dpkg', ['-x', join(work, deb), tree], `unpacking ${deb} failed`);
    rmSync(root, { recursive: true, force: true });
    renameSync(tree, root);
    writeFileSync(join(root, COMPLETE), `${deb}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return kernelAt(root, wanted.name, series);
}

/** `which`: the absolute path of `command` on PATH, or undefined. */
export function findOnPath(command: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v "$1"`, 'sh', command], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The packages whose files make /lib/modules/<release>/build for BCC: linux-headers-<release>
 * and, from its Depends, the -common headers and the kbuild scripts its symlinks point at.
 * `dependsText` is `apt-cache depends linux-headers-<release>`'s output.
 */
export function headerPackages(release: string, dependsText: string): string[] {
  const names = [`linux-headers-${release}`];
  for (const line of dependsText.split('\n')) {
    const m = /^\s*\|?Depends:\s*(\S+)\s*$/.exec(line);
    if (m && /^linux-(headers|kbuild)-/.test(m[1]!) && !names.includes(m[1]!)) names.push(m[1]!);
  }
  return names;
}

/**
 * The kernel's headers, unpacked (all of headerPackages into one tree, so their relative
 * symlinks resolve) under `<cacheDir>/headers-<release>`; downloaded when missing.
 */
export function ensureHeaders(kernel: Kernel, cacheDir: string, log: (line: string) => void = () => {}): string {
  const root = join(cacheDir, `headers-${kernel.release}`);
  if (existsSync(join(root, COMPLETE))) return root;
  const main = `linux-headers-${kernel.release}`;
  const packages = headerPackages(
    kernel.release,
    run('apt-cache', ['depends', main], `apt-cache depends ${main} failed (apt-get update?)`),
  );
  log(`downloading ${packages.join(', ')} into ${cacheDir}`);
  const work = join(cacheDir, `.download-${main}-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    run('apt-get', ['download', '-q', ...packages], `downloading Debian packages ${packages.join(' ')} failed`, work);
    const tree = join(work, 'tree');
    for (const deb of readdirSync(work).filter((f) => f.endsWith('.deb')))
      run('dpkg', ['-x', join(work, deb), tree], `unpacking ${deb} failed`);
    rmSync(root, { recursive: true, force: true });
    renameSync(tree, root);
    writeFileSync(join(root, COMPLETE), `${packages.join('\n')}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return root;
}
