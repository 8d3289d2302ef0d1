// A writer for the "newc" cpio format, the one the kernel unpacks as an initramfs
// (Documentation/driver-api/early-userspace/buffer-format.rst). Pure: entries in, bytes out;
// the caller gzips it. Writing it here keeps the guest image independent of the host's cpio
// and of its file ownership and timestamps, so the same inputs give the same bytes.

/** One archive member. Directories must come before the entries inside them. */
export type CpioEntry =
  | { kind: 'dir'; path: string; mode?: number }
  | { kind: 'file'; path: string; data: Uint8Array | string; mode?: number }
  | { kind: 'symlink'; path: string; target: string }
  | { kind: 'chardev'; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

const encoder = new TextEncoder();

/** `n` as the 8 upper-case hex digits a newc header field holds. */
function hex8(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`cpio header field out of range: ${n}`);
  return n.toString(16).toUpperCase().padStart(8, '0');
}

/** Zero bytes that bring `length` up to a multiple of 4. */
const pad4 = (length: number) => new Uint8Array((4 - (length % 4)) % 4);

/**
 * The archive: each entry as a 110-byte ASCII header ("070701" and 13 hex fields), its name
 * with a NUL, padded to 4 bytes, then its data, padded to 4 bytes; closed by "TRAILER!!!".
 * Paths are stored without a leading `/`; uid, gid and mtime are 0.
 */
export function cpioNewc(entries: readonly CpioEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let ino = 1;
  const member = (path: string, mode: number, data: Uint8Array, rdev: [number, number] = [0, 0], nlink = 1) => {
    const name = encoder.encode(`${path.replace(/^\/+/, '')}\0`);
    const header = '070701' + [ino++, mode, 0, 0, nlink, 0, data.length, 0, 0, rdev[0], rdev[1], name.length, 0].map(hex8).join('');
    parts.push(encoder.encode(header), name, pad4(110 + name.length), data, pad4(data.length));
  };
  for (const entry of entries) {
    switch (entry.kind) {
      case 'dir':
        member(entry.path, S_IFDIR | (entry.mode ?? 0o755), new Uint8Array(0), [0, 0], 2);
        break;
      case 'file': {
        const data = typeof entry.data === 'string' ? encoder.encode(entry.data) : entry.data;
        member(entry.path, S_IFREG | (entry.mode ?? 0o644), data);
        break;
      }
      case 'symlink':
        member(entry.path, S_IFLNK | 0o777, encoder.encode(entry.target));
        break;
      case 'chardev':
        member(entry.path, S_IFCHR | (entry.mode ?? 0o600), new Uint8Array(0), [entry.major, entry.minor]);
        break;
    }
  }
  ino = 0;
  member('TRAILER!!!', 0, new Uint8Array(0), [0, 0], 1);
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
