// mount(2) for tracefs, which this kind of machine may boot without.
import { ffi } from './ffi.ts';
import { checkedSyscall } from './kernel-call.ts';
import { syscallNumbers } from './syscall-numbers.ts';

/** mount -t tracefs nodev <target>. */
export function mountTracefs(target: string): void {
  const backend = ffi();
  const strings = ['nodev', target, 'tracefs'].map((text) => Buffer.from(`${text}\0`, 'utf8'));
  const memory = backend.alloc(strings.reduce((total, bytes) => total + bytes.length, 0));
  try {
    const addresses: bigint[] = [];
    let offset = 0;
    for (const bytes of strings) {
      memory.bytes.set(bytes, offset);
      addresses.push(memory.address + BigInt(offset));
      offset += bytes.length;
    }
    const [source, dir, fstype] = addresses as [bigint, bigint, bigint];
    checkedSyscall(backend, `mount(tracefs, ${target})`, 'mount', syscallNumbers().mount, source, dir, fstype, 0, 0);
  } finally {
    memory.free();
  }
}
