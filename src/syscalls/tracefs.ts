// tracefs: where tracepoints live, their ids (for perf_event_open) and the byte layout of
// their records (for the BPF programs that read them). Layouts differ between kernels
// (sock:inet_sock_set_state moved its address fields by one byte in 5.6), so every offset a
// program uses comes from the `format` file of the running kernel.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ParseError } from '../parse/parse-error.ts';
import { parseFormat, type TracepointFormat } from '../parse/tracefs-format.ts';

export { parseFormat, type FormatField, type TracepointFormat } from '../parse/tracefs-format.ts';

/** Where kernels mount tracefs, newest convention first. */
export const TRACEFS_CANDIDATES: readonly string[] = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'];

const MOUNT_HINT = 'mount it with `mount -t tracefs nodev /sys/kernel/tracing` (as root)';

/** tracefs cannot be found or a tracepoint in it cannot be read. */
export class TracefsError extends Error {
  /** What a person can do about it. */
  readonly hint: string;

  constructor(message: string, hint: string, options?: { cause?: unknown }) {
    super(`${message} — ${hint}`, options);
    this.name = 'TracefsError';
    this.hint = hint;
  }
}

const READ_HINT = 'run as root, or grant CAP_DAC_READ_SEARCH too: tracefs is readable by root only';

function hasEventsDir(root: string): boolean {
  try {
    return statSync(join(root, 'events')).isDirectory();
  } catch (cause) {
    // Mounted but unreadable (CAP_BPF + CAP_PERFMON without root): saying "not mounted" and
    // trying to mount it again would send the reader the wrong way.
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') throw new TracefsError(`cannot read ${root} (${code})`, READ_HINT, { cause });
    return false;
  }
}

/**
 * The tracefs root (the directory holding `events/`). When no candidate has one, tracefs is
 * mounted on the first candidate with `mount` (injected so this file needs no FFI) and checked
 * again.
 */
export function locateTracefs(opts: { candidates?: string[]; mount?: (target: string) => void } = {}): string {
  const candidates = opts.candidates ?? [...TRACEFS_CANDIDATES];
  for (const root of candidates) {
    if (hasEventsDir(root)) return root;
  }
  const target = candidates[0];
  if (target === undefined) {
    throw new TracefsError('no tracefs candidate directories were given', MOUNT_HINT);
  }
  const looked = `looked for events/ in ${candidates.join(', ')}`;
  if (opts.mount === undefined) {
    throw new TracefsError(`tracefs is not mounted (${looked})`, MOUNT_HINT);
  }
  try {
    opts.mount(target);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new TracefsError(`tracefs is not mounted (${looked}) and mounting it on ${target} failed: ${why}`, MOUNT_HINT, {
      cause,
    });
  }
  if (hasEventsDir(target)) return target;
  throw new TracefsError(`mounted tracefs on ${target} but it has no events/ directory`, MOUNT_HINT);
}

const TRACEPOINT_NAME = /^[A-Za-z0-9_]+$/;

function readTracefsFile(path: string, tracepoint: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new TracefsError(
        `tracepoint ${tracepoint} not found (${path} does not exist)`,
        'kernel without this tracepoint, or tracefs missing',
        { cause },
      );
    }
    if (code === 'EACCES' || code === 'EPERM') {
      throw new TracefsError(`cannot read ${path} (${code})`, READ_HINT, { cause });
    }
    throw cause;
  }
}

/** Reads a tracepoint's id and record layout from tracefs (located, not mounted, when `root` is omitted). */
export function readTracepoint(group: string, event: string, root?: string): TracepointFormat {
  for (const [what, value] of [
    ['group', group],
    ['event', event],
  ] as const) {
    if (!TRACEPOINT_NAME.test(value)) {
      throw new Error(`invalid tracepoint ${what} name ${JSON.stringify(value)}: only letters, digits and _ are allowed`);
    }
  }
  const tracepoint = `${group}:${event}`;
  if (root !== undefined && !hasEventsDir(root)) {
    // Said up front: otherwise a wrong root surfaces as a missing tracepoint or ENOTDIR.
    throw new TracefsError(`${root} is not a tracefs root (it has no events/ directory)`, MOUNT_HINT);
  }
  const directory = join(root ?? locateTracefs(), 'events', group, event);
  const idText = readTracefsFile(join(directory, 'id'), tracepoint).trim();
  if (!/^\d{1,9}$/.test(idText)) {
    throw new ParseError(`tracepoint ${tracepoint} id`, `expected a decimal number, got ${JSON.stringify(idText)}`);
  }
  const format = parseFormat(readTracefsFile(join(directory, 'format'), tracepoint), group, event);
  if (format.id !== Number(idText)) {
    throw new ParseError(`tracepoint ${tracepoint} format`, `has ID ${format.id} but ${directory}/id says ${idText}`);
  }
  return format;
}
