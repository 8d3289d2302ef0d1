// CPU lists as sysfs writes them ("0-3,5"): which CPUs get a perf ring, and how wide per-CPU
// values are. Pure; src/syscalls/cpus.ts reads the files.

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
