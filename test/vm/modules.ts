// Kernel modules for the guest's initramfs. Debian's linux-image packages ship the modules but
// no modules.dep (depmod runs at install time, which `dpkg -x` skips), so the load order is
// worked out here from each module's own `.modinfo` section: a list of NUL-terminated
// `key=value` strings, where `depends=` names the modules it needs (comma separated) and
// `name=` its own name. Everything in this file is pure except `indexModules`, which walks a
// directory and calls `xz` for compressed modules.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** One module as found in the unpacked package. */
export interface ModuleInfo {
  /** Canonical name (`-` written as `_`, as the kernel does). */
  name: string;
  /** Canonical names of the modules it needs loaded first. */
  depends: string[];
  /** Path of the `.ko`, `.ko.xz` or `.ko.zst` file. */
  path: string;
}

/** The kernel treats `-` and `_` in module names as the same character; so do we. */
export const canonicalModuleName = (name: string): string => name.replace(/-/g, '_');

/** The module name a file name stands for: `9pnet_virtio.ko.xz` -> `9pnet_virtio`. */
export function moduleNameFromFile(file: string): string | undefined {
  const match = /^(.+)\.ko(?:\.(?:xz|zst|gz))?$/.exec(basename(file));
  return match ? canonicalModuleName(match[1]!) : undefined;
}

/**
 * The contents of the ELF section `name` of a 64-bit little-endian ELF file (a `.ko` is a
 * relocatable ELF object), or undefined when there is no such section. Throws on a file that
 * is not ELF64 LE, naming what it found.
 */
export function elfSection(elf: Uint8Array, name: string): Uint8Array | undefined {
  const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  if (elf.length < 64 || view.getUint32(0, false) !== 0x7f454c46) throw new Error('not an ELF file (no \\x7fELF magic)');
  if (elf[4] !== 2 || elf[5] !== 1) throw new Error(`not a 64-bit little-endian ELF file (class ${elf[4]}, data ${elf[5]})`);
  const shoff = Number(view.getBigUint64(0x28, true));
  const shentsize = view.getUint16(0x3a, true);
  const shnum = view.getUint16(0x3c, true);
  const shstrndx = view.getUint16(0x3e, true);
  if (shoff + shnum * shentsize > elf.length || shstrndx >= shnum) throw new Error('ELF section header table out of bounds');
  const header = (i: number) => {
    const at = shoff + i * shentsize;
    return {
      nameOffset: view.getUint32(at, true),
      offset: Number(view.getBigUint64(at + 24, true)),
      size: Number(view.getBigUint64(at + 32, true)),
    };
  };
  const strtab = header(shstrndx);
  const decoder = new TextDecoder();
  for (let i = 0; i < shnum; i++) {
    const section = header(i);
    const start = strtab.offset + section.nameOffset;
    let end = start;
    while (end < elf.length && elf[end] !== 0) end++;
    if (decoder.decode(elf.subarray(start, end)) !== name) continue;
    if (section.offset + section.size > elf.length) throw new Error(`ELF section ${name} out of bounds`);
    return elf.subarray(section.offset, section.offset + section.size);
  }
  return undefined;
}

/**
 * The program interpreter (PT_INTERP, e.g. /lib64/ld-linux-x86-64.so.2) an ELF64 LE executable
 * asks for, or undefined for a static executable. The initramfs has no libc, so its busybox
 * must be static.
 */
export function elfInterpreter(elf: Uint8Array): string | undefined {
  const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  if (elf.length < 64 || view.getUint32(0, false) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) {
    throw new Error('not a 64-bit little-endian ELF file');
  }
  const phoff = Number(view.getBigUint64(0x20, true));
  const phentsize = view.getUint16(0x36, true);
  const phnum = view.getUint16(0x38, true);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + 56 > elf.length) throw new Error('ELF program header table out of bounds');
    if (view.getUint32(at, true) !== 3 /* PT_INTERP */) continue;
    const offset = Number(view.getBigUint64(at + 8, true));
    const size = Number(view.getBigUint64(at + 32, true));
    return new TextDecoder().decode(elf.subarray(offset, offset + size)).replace(/\0+$/, '');
  }
  return undefined;
}

/**
 * Parses a `.modinfo` section: NUL-separated `key=value` strings (padding NULs in between).
 * Keys can repeat (`alias=`, `parm=`), so each maps to every value in order.
 */
export function parseModinfo(section: Uint8Array | string): Map<string, string[]> {
  const text = typeof section === 'string' ? section : new TextDecoder().decode(section);
  const fields = new Map<string, string[]>();
  for (const entry of text.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq <= 0) continue;
    const key = entry.slice(0, eq);
    const values = fields.get(key) ?? [];
    values.push(entry.slice(eq + 1));
    fields.set(key, values);
  }
  return fields;
}

/** Name and dependencies from parsed `.modinfo` fields; `fallbackName` when there is no `name=`. */
export function moduleFromModinfo(fields: Map<string, string[]>, fallbackName: string, path: string): ModuleInfo {
  const name = canonicalModuleName(fields.get('name')?.[0] ?? fallbackName);
  const depends = (fields.get('depends') ?? [])
    .flatMap((value) => value.split(','))
    .map((dep) => dep.trim())
    .filter((dep) => dep !== '')
    .map(canonicalModuleName);
  return { name, depends, path };
}

/**
 * The modules to insmod, in order, so that every module comes after the modules it depends on.
 * `roots` are the modules wanted; a root or dependency that is built into the kernel (listed in
 * `builtin`, from modules.builtin) needs no loading and is left out. Throws, naming the chain,
 * when a module is neither available nor built in, or when dependencies form a cycle.
 */
export function loadOrder(
  roots: readonly string[],
  available: ReadonlyMap<string, ModuleInfo>,
  builtin: ReadonlySet<string>,
): ModuleInfo[] {
  const order: ModuleInfo[] = [];
  const done = new Set<string>();
  const visiting: string[] = [];
  const visit = (rawName: string) => {
    const name = canonicalModuleName(rawName);
    if (done.has(name) || builtin.has(name)) return;
    if (visiting.includes(name)) throw new Error(`module dependency cycle: ${[...visiting, name].join(' -> ')}`);
    const module = available.get(name);
    if (!module) {
      const chain = visiting.length > 0 ? ` (needed by ${visiting.join(' -> ')})` : '';
      throw new Error(`kernel module ${name}${chain} is neither in the package's kernel/ tree nor in modules.builtin`);
    }
    visiting.push(name);
    for (const dep of module.depends) visit(dep);
    visiting.pop();
    done.add(name);
    order.push(module);
  };
  for (const root of roots) visit(root);
  return order;
}

/** Module names listed in a modules.builtin file (`kernel/fs/fscache/fscache.ko` per line). */
export function parseModulesBuiltin(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const name = line.trim() === '' ? undefined : moduleNameFromFile(line.trim());
    if (name) names.add(name);
  }
  return names;
}

/** A module file's bytes, decompressed when it is `.ko.xz` (busybox insmod reads plain ELF only). */
export function readModuleFile(path: string): Buffer {
  if (path.endsWith('.xz')) return execFileSync('xz', ['-dc', path], { maxBuffer: 256 << 20 });
  if (path.endsWith('.zst')) return execFileSync('zstd', ['-dc', path], { maxBuffer: 256 << 20 });
  return readFileSync(path);
}

/**
 * Every module under `<modulesDir>/kernel`, by canonical name, with its dependencies. Only the
 * modules in `wanted` (plus, transitively, what they depend on) are decompressed and read:
 * reading all ~4 000 would take a minute for nothing.
 */
export function indexModules(modulesDir: string, wanted: readonly string[]): { available: Map<string, ModuleInfo>; builtin: Set<string> } {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else {
        const name = moduleNameFromFile(entry.name);
        if (name) files.set(name, path);
      }
    }
  };
  walk(join(modulesDir, 'kernel'));
  let builtin = new Set<string>();
  try {
    builtin = parseModulesBuiltin(readFileSync(join(modulesDir, 'modules.builtin'), 'utf8'));
  } catch {
    // No modules.builtin: every module must then come from kernel/.
  }
  const available = new Map<string, ModuleInfo>();
  const pending = [...wanted].map(canonicalModuleName);
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (available.has(name) || builtin.has(name)) continue;
    const path = files.get(name);
    if (!path) continue; // loadOrder reports it, with the chain that needed it.
    const section = elfSection(readModuleFile(path), '.modinfo');
    const module = moduleFromModinfo(section ? parseModinfo(section) : new Map(), name, path);
    available.set(name, module);
    pending.push(...module.depends);
  }
  return { available, builtin };
}
