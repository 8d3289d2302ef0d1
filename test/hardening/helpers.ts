// Shared by the hardening tests: kernel-object leak checks and per-process resource readings.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { loadedMapIds, loadedProgramIds } from '../../src/syscalls/index.ts';
import { sleep } from '../helpers/processes.ts';

export interface KernelSnapshot {
  progs: Set<number>;
  maps: Set<number>;
}

export const snapshot = (): KernelSnapshot => ({ progs: new Set(loadedProgramIds()), maps: new Set(loadedMapIds()) });

/** Names of loaded programs or maps by id, from bpftool; undefined when bpftool is not there. */
function bpftoolNames(kind: 'prog' | 'map'): Map<number, string> | undefined {
  try {
    const listed = JSON.parse(
      execFileSync('bpftool', [kind, 'show', '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
    ) as Array<{ id: number; name?: string }>;
    return new Map(listed.map((entry) => [entry.id, entry.name ?? '']));
  } catch {
    return undefined;
  }
}

/** New ids since `before` whose object is named tcpaccept_* (all new ids without bpftool). */
function newOfOurs(kind: 'prog' | 'map', ids: number[], before: Set<number>): number[] {
  const fresh = ids.filter((id) => !before.has(id));
  if (fresh.length === 0) return fresh;
  const names = bpftoolNames(kind);
  if (names === undefined) return fresh;
  // An id missing from the listing was freed between the two reads.
  return fresh.filter((id) => names.get(id)?.startsWith('tcpaccept') === true);
}

/**
 * ts-tcpaccept objects created since `before` that are still loaded. Other engineers' tests
 * load objects at the same time, so only objects named tcpaccept_* count (every object the
 * tool makes is). The kernel frees a closed program's maps after an RCU grace period, so this
 * polls for up to 3 s before calling anything a leak.
 */
export async function leftovers(before: KernelSnapshot, timeoutMs = 3000): Promise<{ progs: number[]; maps: number[] }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const progs = newOfOurs('prog', loadedProgramIds(), before.progs);
    const maps = newOfOurs('map', loadedMapIds(), before.maps);
    if ((progs.length === 0 && maps.length === 0) || Date.now() > deadline) return { progs, maps };
    await sleep(50);
  }
}

/** A line of /proc/<pid>/status in kB (VmRSS, VmHWM…), or undefined once the process is gone. */
export function statusKb(pid: number, key: string): number | undefined {
  try {
    const match = new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

/** Open file descriptors of a process, or undefined once it is gone. */
export function openFds(pid: number): number | undefined {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return undefined;
  }
}

/** Counts table rows whose LPORT (7th column) is `port`, without keeping the lines. */
export class RowCounter {
  rows = 0;
  lost = 0;
  constructor(private readonly port: number) {}

  stdoutLine(line: string): void {
    const cols = line.trim().split(/\s+/);
    if (Number(cols[6]) === this.port) this.rows++;
  }

  stderrLine(line: string): void {
    const match = /^Possibly lost (\d+) samples$/.exec(line);
    if (match) this.lost += Number(match[1]);
  }
}

/** RSS growth after warm-up: the mean of the last quarter of samples minus the mean of the first quarter. */
export function rssGrowthKb(samples: readonly number[]): number {
  const quarter = Math.max(1, Math.floor(samples.length / 4));
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.round(mean(samples.slice(-quarter)) - mean(samples.slice(0, quarter)));
}

/**
 * A command line that runs `command` without NODE_OPTIONS. Under tap, every spawn gets
 * NODE_OPTIONS loading tap's process-info hook into child Node processes; the hook writes to
 * .tap/ on exit, which a child running as nobody or under a file size limit cannot do, and
 * then prints an error of its own. `env -u` drops it between the spawn and the CLI.
 */
export function withoutTapHook(command: string, args: string[]): [string, string[]] {
  return ['env', ['-u', 'NODE_OPTIONS', command, ...args]];
}
