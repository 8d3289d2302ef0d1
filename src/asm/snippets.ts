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
    case 1: return 'u8';
    case 2: return 'u16';
    case 4: return 'u32';
    case 8: return 'u64';
    default: throw new RangeError(`no single load or store moves ${bytes} bytes (1, 2, 4 or 8)`);
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
