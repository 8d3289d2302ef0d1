// The version in our package.json, found upwards from this file: cli/ in the source,
// dist/cli/ when built, dist/bin/ in the bundle. Kept apart from cli/metrics.ts so --version
// does not load prom-client.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let level = 0; level < 4; level++) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (manifest.name === 'ts-tcpaccept' && typeof manifest.version === 'string') return manifest.version;
    } catch {
      // No package.json at this level: keep climbing.
    }
    dir = dirname(dir);
  }
  return 'unknown';
}
