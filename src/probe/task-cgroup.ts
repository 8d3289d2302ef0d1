// The cgroup of an accepting task, for --cgroup-labels: the `0::` line of
// /proc/PID/task/TID/cgroup (the v2 path), its id (the directory's inode number, what
// bpf_get_current_cgroup_id returns), and the container and pod that path names
// (identifyCgroupPath). Read in user space when the event is decoded and cached per task for a
// second: servers are long-lived, so one read serves every accept of a worker.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { identifyCgroupPath, type CgroupContainer, type CgroupPod } from './container.ts';

export interface TaskCgroup {
  /** The cgroup v2 path as /proc shows it, relative to this process's cgroup namespace root. */
  path: string;
  /** The cgroup's id, when its directory is visible under a cgroup2 mount here. */
  id: bigint | undefined;
  container: CgroupContainer | undefined;
  pod: CgroupPod | undefined;
}

export interface TaskCgroupResolverOptions {
  /** How long one read serves a task (default 1000 ms). */
  ttlMs?: number;
  /** /proc (tests point it at fixtures). */
  procRoot?: string;
  /** Where the cgroup v2 hierarchy of this cgroup namespace is mounted; default from /proc/self/mountinfo. */
  cgroup2Mount?: string | undefined;
  nowMs?: () => number;
}

/** The mount point of the cgroup2 filesystem whose root is this namespace's root, if any. */
export function cgroup2MountPoint(mountinfo = '/proc/self/mountinfo'): string | undefined {
  let text: string;
  try {
    text = readFileSync(mountinfo, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    if (dash > 0 && fields[dash + 1] === 'cgroup2' && fields[3] === '/') return fields[4];
  }
  return undefined;
}

const MAX_CACHED = 4096;

export class TaskCgroupResolver {
  private readonly cache = new Map<string, { atMs: number; value: TaskCgroup | undefined }>();
  private readonly ttlMs: number;
  private readonly procRoot: string;
  private readonly mount: string | undefined;
  private readonly nowMs: () => number;

  constructor(options: TaskCgroupResolverOptions = {}) {
    this.ttlMs = options.ttlMs ?? 1000;
    this.procRoot = options.procRoot ?? '/proc';
    this.mount = 'cgroup2Mount' in options ? options.cgroup2Mount : cgroup2MountPoint();
    this.nowMs = options.nowMs ?? Date.now;
  }

  /** The task's cgroup, or undefined when the task is gone (or its /proc entry unreadable). */
  of(pid: number | undefined, tid?: number): TaskCgroup | undefined {
    if (pid === undefined) return undefined;
    const key = tid === undefined ? `${pid}` : `${pid}/${tid}`;
    const now = this.nowMs();
    const cached = this.cache.get(key);
    if (cached !== undefined && now - cached.atMs < this.ttlMs) return cached.value;
    const value = this.read(pid, tid);
    if (this.cache.size >= MAX_CACHED) this.cache.clear();
    this.cache.set(key, { atMs: now, value });
    return value;
  }

  private read(pid: number, tid: number | undefined): TaskCgroup | undefined {
    let text: string | undefined;
    for (const file of tid === undefined ? [`${pid}/cgroup`] : [`${pid}/task/${tid}/cgroup`, `${pid}/cgroup`]) {
      try {
        text = readFileSync(join(this.procRoot, file), 'utf8');
        break;
      } catch {
        // The thread may have exited while its process lives on: try the process.
      }
    }
    const line = text?.split('\n').find((l) => l.startsWith('0::'));
    if (line === undefined) return undefined;
    const path = line.slice(3);
    let id: bigint | undefined;
    if (this.mount !== undefined && !path.split('/').includes('..')) {
      try {
        id = statSync(join(this.mount, path), { bigint: true }).ino;
      } catch {
        id = undefined; // removed meanwhile
      }
    }
    const { container, pod } = identifyCgroupPath(path);
    return { path, id, container, pod };
  }
}
