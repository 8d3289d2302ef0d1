// The initramfs writer, read back by an independent newc reader written from the format's
// description (buffer-format.rst). GNU cpio -t lists the sample identically; the kernel unpacking
// it is what the matrix itself exercises on every boot.
import t from 'tap';
import { cpioNewc } from './cpio.ts';

interface Member {
  name: string;
  mode: number;
  nlink: number;
  rdev: [number, number];
  data: string;
}

/** Reads a newc archive: 110-byte headers, names and data each padded to 4 bytes. */
function readNewc(archive: Uint8Array): Member[] {
  const decoder = new TextDecoder();
  const members: Member[] = [];
  let at = 0;
  for (;;) {
    const header = decoder.decode(archive.subarray(at, at + 110));
    if (!header.startsWith('070701')) throw new Error(`bad magic at ${at}: ${header.slice(0, 6)}`);
    const field = (i: number) => parseInt(header.slice(6 + i * 8, 14 + i * 8), 16);
    const nameSize = field(11);
    const name = decoder.decode(archive.subarray(at + 110, at + 110 + nameSize - 1));
    at += 110 + nameSize;
    at += (4 - (at % 4)) % 4;
    const size = field(6);
    const data = decoder.decode(archive.subarray(at, at + size));
    at += size;
    at += (4 - (at % 4)) % 4;
    if (name === 'TRAILER!!!') break;
    members.push({ name, mode: field(1), nlink: field(4), rdev: [field(9), field(10)], data });
  }
  if (at !== archive.length) throw new Error(`${archive.length - at} bytes after the trailer`);
  return members;
}

const sample = () =>
  cpioNewc([
    { kind: 'dir', path: '/bin' },
    { kind: 'dir', path: 'dev' },
    { kind: 'chardev', path: 'dev/console', major: 5, minor: 1 },
    { kind: 'file', path: 'bin/busybox', data: new Uint8Array([1, 2, 3]), mode: 0o755 },
    { kind: 'symlink', path: 'bin/sh', target: 'busybox' },
    { kind: 'file', path: 'init', data: '#!/bin/busybox sh\necho hi\n', mode: 0o755 },
    { kind: 'file', path: 'empty', data: '' },
  ]);

t.test('members read back with their type, mode, device numbers and data; 4-byte alignment throughout', async (t) => {
  const archive = sample();
  t.equal(archive.length % 4, 0, 'archive length is a multiple of 4');
  const members = readNewc(archive);
  t.same(
    members.map((m) => m.name),
    ['bin', 'dev', 'dev/console', 'bin/busybox', 'bin/sh', 'init', 'empty'],
    'leading / dropped, order kept',
  );
  const byName = new Map(members.map((m) => [m.name, m]));
  t.equal(byName.get('bin')!.mode, 0o040755);
  t.equal(byName.get('bin')!.nlink, 2);
  t.equal(byName.get('dev/console')!.mode, 0o020600);
  t.same(byName.get('dev/console')!.rdev, [5, 1]);
  t.equal(byName.get('bin/busybox')!.mode, 0o100755);
  t.equal(byName.get('bin/busybox')!.data, '\x01\x02\x03');
  t.equal(byName.get('bin/sh')!.mode, 0o120777);
  t.equal(byName.get('bin/sh')!.data, 'busybox');
  t.equal(byName.get('init')!.data, '#!/bin/busybox sh\necho hi\n');
  t.equal(byName.get('empty')!.mode, 0o100644);
});

t.test('the same entries give the same bytes (no timestamps, no host ownership)', async (t) => {
  t.same(sample(), sample());
});

t.test('out-of-range header fields are refused', async (t) => {
  t.throws(() => cpioNewc([{ kind: 'chardev', path: 'x', major: -1, minor: 0 }]), /out of range/);
});
