// CPU lists from sysfs ("0-3,5"): which CPUs get a perf ring, and how wide per-CPU values are.
import { readFileSync } from 'node:fs';

/** Parses the kernel's cpulist format (Documentation/admin-guide/cputopology.rst). */
export function parseCpuList(text: string): number[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  const cpus = new Set<number>();
  for (const part of trimmed.split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (match === null) throw new Error(`malformed CPU list "${trimmed}": bad element "${part}"`);
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (last < first) throw new Error(`malformed CPU list "${trimmed}": range ${part} runs backwards`);
    for (let cpu = first; cpu <= last; cpu++) cpus.add(cpu);
  }
  return [...cpus].sort((a, b) => a - b);
}

function readCpuList(kind: 'online' | 'possible'): number[] {
  const path = `/sys/devices/system/cpu/${kind}`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    // Reading this is the first thing start-up does, so it is where a low `ulimit -n` shows first.
    const hint = code === 'EMFILE' || code === 'ENFILE' ? ': too many open files, raise the limit with `ulimit -n`' : '';
    throw new Error(`cannot read ${path} (${code ?? String(cause)})${hint}`, { cause });
  }
  const cpus = parseCpuList(text);
  if (cpus.length === 0) throw new Error(`${path} lists no CPUs`);
  return cpus;
}

/** CPUs that are online now (/sys/devices/system/cpu/online). */
export function onlineCpus(): number[] {
  return readCpuList('online');
}

/** CPUs that could ever come online; per-CPU map values have one slot for each. */
export function possibleCpus(): number[] {
  return readCpuList('possible');
}
