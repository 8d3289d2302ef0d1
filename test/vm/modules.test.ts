// Module dependency order from .modinfo data, and the ELF reading behind it. Pure: the ELF
// files are built here, byte by byte; no kernel package, no root, no QEMU.
import t from 'tap';
import {
  canonicalModuleName,
  elfInterpreter,
  elfSection,
  loadOrder,
  moduleFromModinfo,
  moduleNameFromFile,
  parseModinfo,
  parseModulesBuiltin,
  type ModuleInfo,
} from './modules.ts';

/** A minimal ELF64 LE relocatable file with the given sections (plus the null and .shstrtab ones). */
function elfWithSections(sections: Record<string, Uint8Array>): Uint8Array {
  const names = ['', ...Object.keys(sections), '.shstrtab'];
  const strtab: number[] = [];
  const nameOffsets = names.map((name) => {
    const at = strtab.length;
    strtab.push(...new TextEncoder().encode(name), 0);
    return at;
  });
  const bodies = [new Uint8Array(0), ...Object.values(sections), Uint8Array.from(strtab)];
  let offset = 64;
  const placed = bodies.map((body) => {
    const at = offset;
    offset += body.length;
    return at;
  });
  const shoff = offset;
  const out = new Uint8Array(shoff + names.length * 64);
  const view = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  view.setUint16(16, 1, true); // ET_REL
  view.setUint16(18, 62, true); // EM_X86_64
  view.setBigUint64(0x28, BigInt(shoff), true);
  view.setUint16(0x3a, 64, true);
  view.setUint16(0x3c, names.length, true);
  view.setUint16(0x3e, names.length - 1, true);
  bodies.forEach((body, i) => {
    out.set(body, placed[i]!);
    const at = shoff + i * 64;
    view.setUint32(at, nameOffsets[i]!, true);
    view.setUint32(at + 4, i === 0 ? 0 : 1, true);
    view.setBigUint64(at + 24, BigInt(placed[i]!), true);
    view.setBigUint64(at + 32, BigInt(body.length), true);
  });
  return out;
}

const text = (s: string) => new TextEncoder().encode(s);

t.test('elfSection finds .modinfo by name and refuses what is not ELF64 LE', async (t) => {
  const modinfo = text('license=GPL\0depends=9pnet,netfs\0name=9p\0');
  const elf = elfWithSections({ '.text': text('code'), '.modinfo': modinfo });
  t.same(elfSection(elf, '.modinfo'), modinfo);
  t.same(elfSection(elf, '.text'), text('code'));
  t.equal(elfSection(elf, '.missing'), undefined);
  t.throws(
    () => elfSection(text('not an elf at all, but long enough to have a header of sixty-four bytes'), '.modinfo'),
    /not an ELF file/,
  );
  const elf32 = Uint8Array.from(elf);
  elf32[4] = 1;
  t.throws(() => elfSection(elf32, '.modinfo'), /64-bit little-endian/);
  const truncated = elf.subarray(0, elf.length - 10);
  t.throws(() => elfSection(truncated, '.modinfo'), /out of bounds/);
});

t.test('parseModinfo: NUL-separated key=value, padding skipped, repeated keys kept in order', async (t) => {
  const fields = parseModinfo('alias=fs-9p\0\0\0alias=9p\0depends=9pnet,netfs\0intree=Y\0name=9p\0vermagic=6.12.117 SMP mod_unload\0');
  t.same(fields.get('alias'), ['fs-9p', '9p']);
  t.same(fields.get('depends'), ['9pnet,netfs']);
  t.same(fields.get('vermagic'), ['6.12.117 SMP mod_unload']);
  t.equal(fields.get('nothing'), undefined);
});

t.test('moduleFromModinfo: name= wins over the file name, empty depends= means none, - is _', async (t) => {
  t.same(moduleFromModinfo(parseModinfo('depends=\0name=overlay\0'), 'whatever', '/m/overlay.ko'), {
    name: 'overlay',
    depends: [],
    path: '/m/overlay.ko',
  });
  t.same(moduleFromModinfo(parseModinfo('depends=virtio,9pnet,virtio_ring\0'), '9pnet-virtio', '/m/9pnet_virtio.ko.xz'), {
    name: '9pnet_virtio',
    depends: ['virtio', '9pnet', 'virtio_ring'],
    path: '/m/9pnet_virtio.ko.xz',
  });
  t.same(moduleFromModinfo(parseModinfo('depends=crc-t10dif\0name=sd-mod\0'), 'x', 'p').depends, ['crc_t10dif']);
  t.equal(canonicalModuleName('virtio-pci'), 'virtio_pci');
});

t.test('module names from file names and modules.builtin', async (t) => {
  t.equal(moduleNameFromFile('9pnet_virtio.ko.xz'), '9pnet_virtio');
  t.equal(moduleNameFromFile('/lib/modules/6.1.0-57-amd64/kernel/fs/9p/9p.ko'), '9p');
  t.equal(moduleNameFromFile('crc-t10dif.ko.zst'), 'crc_t10dif');
  t.equal(moduleNameFromFile('modules.order'), undefined);
  t.same([...parseModulesBuiltin('kernel/drivers/virtio/virtio.ko\nkernel/fs/fscache/fscache.ko\n\n')], ['virtio', 'fscache']);
});

/** A module table, as indexModules builds it from a package. */
function table(entries: Record<string, string[]>): Map<string, ModuleInfo> {
  return new Map(Object.entries(entries).map(([name, depends]) => [name, { name, depends, path: `/m/${name}.ko` }]));
}

// The real dependency data of Debian's linux-image-6.1.0-57-amd64-unsigned (from each .modinfo).
const debian61 = table({
  virtio_ring: [],
  virtio_pci_modern_dev: [],
  virtio_pci_legacy_dev: [],
  virtio: ['virtio_ring'],
  virtio_pci: ['virtio_ring', 'virtio_pci_modern_dev', 'virtio_pci_legacy_dev', 'virtio'],
  '9pnet': [],
  '9pnet_virtio': ['virtio', '9pnet', 'virtio_ring'],
  netfs: [],
  fscache: ['netfs'],
  '9p': ['9pnet', 'fscache', 'netfs'],
  overlay: [],
});

t.test('loadOrder: every module after its dependencies, each once (Debian 6.1 data)', async (t) => {
  const order = loadOrder(['virtio_pci', '9pnet_virtio', '9p', 'overlay'], debian61, new Set()).map((m) => m.name);
  t.same(order, [
    'virtio_ring',
    'virtio_pci_modern_dev',
    'virtio_pci_legacy_dev',
    'virtio',
    'virtio_pci',
    '9pnet',
    '9pnet_virtio',
    'netfs',
    'fscache',
    '9p',
    'overlay',
  ]);
  for (const [i, name] of order.entries()) {
    for (const dep of debian61.get(name)!.depends) t.ok(order.indexOf(dep) < i, `${dep} before ${name}`);
  }
  t.equal(new Set(order).size, order.length, 'no module twice');
});

t.test('loadOrder: built-in modules are left out, roots included (Debian 6.12: virtio and fscache are built in)', async (t) => {
  const debian612 = table({ netfs: [], '9pnet': ['netfs'], '9pnet_virtio': ['9pnet'], '9p': ['netfs', '9pnet'], overlay: [] });
  const builtin = new Set(['virtio', 'virtio_ring', 'virtio_pci', 'fscache']);
  t.same(
    loadOrder(['virtio_pci', '9pnet_virtio', '9p', 'overlay'], debian612, builtin).map((m) => m.name),
    ['netfs', '9pnet', '9pnet_virtio', '9p', 'overlay'],
  );
});

t.test('loadOrder: a missing module names the chain that needed it; a cycle is refused', async (t) => {
  t.throws(
    () => loadOrder(['9p'], table({ '9p': ['9pnet'], '9pnet': ['netfs'] }), new Set()),
    /kernel module netfs \(needed by 9p -> 9pnet\) is neither/,
  );
  t.throws(() => loadOrder(['virtio-pci'], new Map(), new Set()), /kernel module virtio_pci is neither/);
  t.throws(() => loadOrder(['a'], table({ a: ['b'], b: ['c'], c: ['a'] }), new Set()), /cycle: a -> b -> c -> a/);
});

t.test('elfInterpreter: PT_INTERP of a dynamic executable, undefined for a static one', async (t) => {
  const exe = (interp?: string) => {
    const path = interp === undefined ? new Uint8Array(0) : text(`${interp}\0`);
    const out = new Uint8Array(64 + 56 + path.length);
    const view = new DataView(out.buffer);
    out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
    view.setBigUint64(0x20, 64n, true);
    view.setUint16(0x36, 56, true);
    view.setUint16(0x38, 1, true);
    view.setUint32(64, interp === undefined ? 1 /* PT_LOAD */ : 3 /* PT_INTERP */, true);
    view.setBigUint64(64 + 8, 120n, true);
    view.setBigUint64(64 + 32, BigInt(path.length), true);
    out.set(path, 120);
    return out;
  };
  t.equal(elfInterpreter(exe('/lib64/ld-linux-x86-64.so.2')), '/lib64/ld-linux-x86-64.so.2');
  t.equal(elfInterpreter(exe()), undefined);
  t.throws(() => elfInterpreter(text('#!/bin/sh\necho this is a script, not an ELF executable, and long')), /not a 64-bit/);
});
