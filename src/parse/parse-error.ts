/**
 * Thrown when kernel-provided text or binary data (a tracepoint `format` file, a BTF blob)
 * does not have the shape we rely on. Offsets computed from such data would be silently
 * wrong inside a BPF program, so we refuse it loudly instead of guessing.
 */
export class ParseError extends Error {
  /** What was being parsed, e.g. `tracepoint sock:inet_sock_set_state format` or `/sys/kernel/btf/vmlinux`. */
  readonly source: string;
  /** Byte offset into the input where the problem was found, when known. */
  readonly offset?: number;

  constructor(source: string, message: string, offset?: number) {
    super(`${source}: ${message}${offset === undefined ? '' : ` (at byte ${offset})`}`);
    this.name = 'ParseError';
    this.source = source;
    if (offset !== undefined) this.offset = offset;
  }
}
