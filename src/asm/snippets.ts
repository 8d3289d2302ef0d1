// Small helpers for writing programs as text: they spell stack addresses, access sizes and
// aligned copies the way the verifier log and LLVM do, so generated text reads like hand-written
// text. Pure string building; the parser checks the result like any other program.

/** `r10 - 80` for a stack offset of -80: the verifier's own spelling of a stack address. */
export function fp(offset: number): string {
  return offset < 0 ? `r10 - ${-offset}` : `r10 + ${offset}`;
}

/** `r6 + 24`, `r10 - 80`: a base register plus an offset, as the verifier prints it. */
export function address(base: string, offset: number): string {
  return base === 'r10' ? fp(offset) : offset < 0 ? `${base} - ${-offset}` : `${base} + ${offset}`;
}

/** The size keyword of a load or store of `bytes` bytes: u8, u16, u32 or u64. */
export function sizeName(bytes: number): 'u8' | 'u16' | 'u32' | 'u64' {
  switch (bytes) {
    case 1:
      return 'u8';
    case 2:
      return 'u16';
    case 4:
      return 'u32';
    case 8:
      return 'u64';
    default:
      throw new RangeError(`no single load or store moves ${bytes} bytes (1, 2, 4 or 8)`);
  }
}

/**
 * Copies `length` bytes from (srcBase + srcOffset) to the stack at dstOffset through r1, with
 * the widest loads the alignment of both sides allows: tracepoint context reads must be aligned
 * to their size, and some records put arrays at odd offsets (inet_sock_set_state before 5.6).
 */
export function copyToStack(srcBase: string, srcOffset: number, dstOffset: number, length: number, what: string): string {
  const lines: string[] = [];
  let done = 0;
  while (done < length) {
    let size = 8;
    while (size > 1 && (size > length - done || (srcOffset + done) % size !== 0 || (dstOffset + done) % size !== 0)) size /= 2;
    const s = sizeName(size);
    lines.push(`r1 = *(${s} *)(${address(srcBase, srcOffset + done)})    // ${what}, bytes ${done}..${done + size - 1}`);
    lines.push(`*(${s} *)(${fp(dstOffset + done)}) = r1`);
    done += size;
  }
  return lines.join('\n');
}

/** A tracepoint field or BTF member as the loads below need it: where it is, how wide. */
export interface LoadableField {
  readonly offset: number;
  readonly size: number;
  readonly name?: string;
}

/**
 * `r7 = *(u16 *)(r6 + 32)`: loads one field of the size the kernel gave it (a format file's
 * `size`, which can differ between kernels: `protocol` was u8 before 5.6 and u16 after).
 */
export function loadField(register: string, base: string, field: LoadableField): string {
  return `${register} = *(${sizeName(field.size)} *)(${address(base, field.offset)})${field.name === undefined ? '' : `    // ${field.name}`}`;
}

/**
 * Program text that writes `size` bytes at `r10 + stackOffset` to the ring buffer `map` with
 * bpf_ringbuf_output (Linux 5.8+). `flags` 0 lets the kernel wake the reader when it has caught
 * up; 1 (BPF_RB_NO_WAKEUP) and 2 (BPF_RB_FORCE_WAKEUP) decide it per record. Clobbers r1-r5;
 * r0 is 0 or a negative errno (-EAGAIN: the ring was full and the record is lost).
 */
export function ringbufOutput(map: string, stackOffset: number, size: number, flags = 0): string {
  return [
    `r1 = map[${map}] ll`,
    'r2 = r10',
    `r2 += ${stackOffset}                             // the record on the stack`,
    `r3 = ${size}`,
    `r4 = ${flags}`,
    'call bpf_ringbuf_output',
  ].join('\n');
}

/**
 * Program text for bpf_map_update_elem(map, r10 + keyOffset, r10 + valueOffset, flags): the key
 * and the value are already on the stack. `why` comments the call (e.g. why an LRU map is
 * enough). Clobbers r1-r5; r0 is 0 or a negative errno.
 */
export function mapUpdateElem(map: string, keyOffset: number, valueOffset: number, flags: number, why?: string): string {
  return [
    `r1 = map[${map}] ll`,
    'r2 = r10',
    `r2 += ${keyOffset}                            // key`,
    'r3 = r10',
    `r3 += ${valueOffset}                            // value`,
    `r4 = ${flags}`,
    `call bpf_map_update_elem${why === undefined ? '' : `                      // ${why}`}`,
  ].join('\n');
}
