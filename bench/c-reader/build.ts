// Builds bench/c-reader/reader.c with the system's gcc (Debian's `gcc` package) into a cache
// directory keyed by the source's hash: at bench time, never at the tool's run time, and never
// into the repository. Returns the binary, or why there is none (no gcc: the column is skipped).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const readerSource = join(here, 'reader.c');
export const hostScript = join(here, 'host.ts');

export function buildCReader(): { path: string } | { unavailable: string } {
  const source = readFileSync(readerSource);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'ts-tcpaccept-c-reader');
  const path = join(dir, `reader-${hash}`);
  if (existsSync(path)) return { path };
  mkdirSync(dir, { recursive: true });
  const partial = `${path}.${process.pid}`;
  const gcc = spawnSync('gcc', ['-O2', '-Wall', '-Wextra', '-Werror', '-o', partial, readerSource], { encoding: 'utf8' });
  if (gcc.error !== undefined) return { unavailable: `no gcc (${gcc.error.message}; apt-get install gcc to include the C reader floor)` };
  if (gcc.status !== 0) return { unavailable: `gcc failed: ${gcc.stderr.trim().split('\n')[0]}` };
  renameSync(partial, path);
  return { path };
}
