// The kernel's ids for a network namespace and a cgroup, as the BPF programs see them: the
// namespace file's inode (net->ns.inum) and the cgroup directory's inode (the kernfs id that
// bpf_get_current_cgroup_id returns), with the cgroup's depth for subtree filters.
import { readFileSync, readlinkSync, realpathSync, statSync, statfsSync } from 'node:fs';

/** statfs f_type of nsfs, where /proc/PID/ns/* and `ip netns` bind mounts live (NSFS_MAGIC). */
const NSFS_MAGIC = 0x6e736673;

/**
 * The inode number of a network namespace file: `self` for this process's own
 * (/proc/self/ns/net), or a path such as /proc/PID/ns/net or /run/netns/NAME. That number is
 * the kernel's net->ns.inum, which the programs compare.
 */
export function netnsInodeOfPath(path: string): number {
  const file = path === 'self' ? '/proc/self/ns/net' : path;
  let stats;
  try {
    stats = statSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      `${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? "permission denied (another process's namespace needs root or CAP_SYS_PTRACE)" : (error as Error).message}`,
    );
  }
  if (statfsSync(file).type !== NSFS_MAGIC) {
    throw new Error(`${file} is not a namespace file: give self, /proc/PID/ns/net or an ip-netns file such as /run/netns/NAME`);
  }
  const link = path === 'self' || file.startsWith('/proc/') ? readlinkOrUndefined(file) : undefined;
  if (link !== undefined && !link.startsWith('net:'))
    throw new Error(`${file} is a ${link.split(':')[0]} namespace, not a network namespace`);
  return stats.ino;
}

function readlinkOrUndefined(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

/** statfs f_type of a cgroup v2 filesystem (CGROUP2_SUPER_MAGIC). */
const CGROUP2_SUPER_MAGIC = 0x63677270;

/**
 * The id bpf_get_current_cgroup_id reports for tasks in this cgroup v2 directory: on 64-bit
 * kernels the cgroup id is the kernfs node id, which is also the directory's inode number.
 */
export function cgroupIdOfPath(path: string): bigint {
  let stats;
  try {
    stats = statSync(path, { bigint: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`cgroup ${path}: ${code === 'ENOENT' ? 'no such directory' : (error as Error).message}`);
  }
  if (!stats.isDirectory()) throw new Error(`cgroup ${path}: not a directory (give the cgroup's directory, not a file in it)`);
  if (statfsSync(path).type !== CGROUP2_SUPER_MAGIC) {
    throw new Error(
      `cgroup ${path}: not in a cgroup v2 hierarchy (bpf_get_current_cgroup_id reports v2 ids); ` +
        'the v2 hierarchy is mounted at /sys/fs/cgroup, or at /sys/fs/cgroup/unified on hosts with hybrid cgroups (see the cgroup2 line of /proc/mounts)',
    );
  }
  return stats.ino;
}

/** A cgroup v2 directory for a subtree filter: its path, id (inode number) and depth below the root. */
export interface CgroupTree {
  path: string;
  id: bigint;
  /** 0 for the root of the v2 hierarchy, 1 for its children, … (cgroup->level in the kernel). */
  level: number;
}

/**
 * The cgroup v2 directory as a subtree filter: its id, as cgroupIdOfPath, and its level, from
 * the cgroup2 mount it is under (/proc/self/mountinfo: the mount's root within the hierarchy,
 * plus the path's components below the mount point).
 */
export function cgroupTreeOfPath(path: string): CgroupTree {
  const id = cgroupIdOfPath(path);
  const real = realpathSync(path);
  let best: { mountPoint: string; root: string } | undefined;
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    // id parent major:minor root mount-point options [optional...] - fstype source super-options
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    if (dash < 0 || fields[dash + 1] !== 'cgroup2') continue;
    const root = unescapeMountinfo(fields[3]!);
    const mountPoint = unescapeMountinfo(fields[4]!);
    const inside = real === mountPoint || real.startsWith(mountPoint === '/' ? '/' : `${mountPoint}/`);
    if (inside && (best === undefined || mountPoint.length >= best.mountPoint.length)) best = { mountPoint, root };
  }
  if (best === undefined) throw new Error(`cgroup ${path}: no cgroup2 mount holds it in /proc/self/mountinfo`);
  const depth = (p: string) => p.split('/').filter(Boolean).length;
  return { path: real, id, level: depth(best.root) + depth(real.slice(best.mountPoint.length)) };
}

/** mountinfo escapes space, tab, newline and backslash as octal (\040 …). */
function unescapeMountinfo(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}
