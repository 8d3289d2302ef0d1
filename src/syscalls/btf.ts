// BTF, loaded: the running kernel's blob (/sys/kernel/btf/vmlinux) or a file, mapped or read.
// The BPF programs read kernel structs (task_struct → files → fdtable → file → socket → sock)
// with bpf_probe_read_kernel at offsets that change with every kernel build, so they are looked
// up at start-up instead of being compiled in. Parsing and lookups are pure and live in
// src/parse (btf-index.ts, btf-lookup.ts); this file owns the blob's memory.
//
// The kernel's own blob is mapped, not read, where the kernel allows it (Linux 6.16+):
// /sys/kernel/btf/vmlinux is a sysfs file that read(2) hands out 4 KiB at a time, ~1 350 reads
// and 6–9 ms for 5.5 MB, while mmap takes 0.15 ms and maps the kernel's own pages (not counted
// in our RSS).
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { parseBtf } from '../parse/btf-index.ts';
import { BtfTypes } from '../parse/btf-lookup.ts';
import { mmapFd, type MappedMemory } from './perf-event.ts';

export { BtfKind, type MemberOffset } from '../parse/btf-index.ts';

/** Where the running kernel publishes its own BTF (CONFIG_DEBUG_INFO_BTF). */
export const KERNEL_BTF_PATH = '/sys/kernel/btf/vmlinux';

/**
 * The kernel's type information, read to find struct member offsets at start-up
 * (`Btf.kernel().offsetOf('task_struct', 'files')`) instead of hard-coding them.
 */
export class Btf extends BtfTypes {
  private static kernelInstance: Btf | undefined;
  /** The mapping the blob's words and strings point into, when it was mapped; see close(). */
  private mapping: MappedMemory | undefined;

  /**
   * Parses a BTF blob (either byte order). The type section is read in place when it is
   * little-endian and 4-byte aligned, so the caller must not modify `bytes` afterwards.
   */
  static parse(bytes: Uint8Array, source = 'BTF blob'): Btf {
    return new Btf(parseBtf(bytes, source));
  }

  /** The running kernel's BTF, parsed once per process (and kept, mapped or read, until exit). */
  static kernel(): Btf {
    Btf.kernelInstance ??= Btf.fromFile(KERNEL_BTF_PATH);
    return Btf.kernelInstance;
  }

  /**
   * Reads and parses a BTF file; errors say why it cannot be read (no CONFIG_DEBUG_INFO_BTF, not
   * root). A file under /sys/kernel/btf is mapped instead of read when the kernel allows it; call
   * close() when done with the result to unmap it (the kernel() instance stays for the process).
   */
  static fromFile(path: string = KERNEL_BTF_PATH): Btf {
    const mapped = path.startsWith('/sys/kernel/btf/') ? mapKernelBtf(path) : undefined;
    if (mapped !== undefined) {
      try {
        const btf = Btf.parse(new Uint8Array(mapped.buffer), path);
        btf.mapping = mapped;
        return btf;
      } catch (error) {
        mapped.close();
        throw error;
      }
    }
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      const hint =
        code === 'ENOENT' && path === KERNEL_BTF_PATH
          ? 'this kernel was built without CONFIG_DEBUG_INFO_BTF, so struct offsets cannot be looked up'
          : code === 'EACCES'
            ? 'run as root'
            : `cannot read it (${code ?? String(cause)})`;
      throw new Error(`cannot read BTF from ${path}: ${hint}`, { cause });
    }
    return Btf.parse(bytes, path);
  }

  /** True when the blob is a mapping of the kernel's pages rather than a copy in the heap. */
  get mapped(): boolean {
    return this.mapping !== undefined;
  }

  /**
   * Unmaps a mapped blob; lookups afterwards throw. A no-op for a blob read into memory. Lookups
   * over an unmapped blob would touch freed memory, so every one checks first.
   */
  close(): void {
    const mapping = this.mapping;
    if (mapping === undefined) return;
    this.mapping = undefined;
    this.release();
    mapping.close();
  }
}

/**
 * /sys/kernel/btf/<name> mapped read-only and private (the only way the kernel maps it), or
 * undefined when this kernel cannot map it (before 6.16) or the file cannot be opened: the
 * caller then reads it and reports why that failed.
 */
function mapKernelBtf(path: string): MappedMemory | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    // sysfs reports the blob's real size for BTF files.
    const size = fstatSync(fd).size;
    return size > 0 ? mmapFd(fd, size, { private: true }) : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
