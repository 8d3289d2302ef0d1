// CPU lists from sysfs ("0-3,5"): which CPUs get a perf ring, and how wide per-CPU values are.
import { readFileSync } from 'node:fs';
import { parseCpuList } from '../parse/cpu-list.ts';

export { parseCpuList } from '../parse/cpu-list.ts';

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
