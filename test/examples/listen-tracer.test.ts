// examples/listen-tracer.ts, the ten-line custom tracer of the README: it must really work.
import t from 'tap';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelTest } from '../helpers/kernel.ts';
import { LineCollector } from '../helpers/processes.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

t.test('prints the port of a socket that starts listening, and ends cleanly on SIGINT', kernelTest(), async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'examples', 'listen-tracer.ts')], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout = new LineCollector(child.stdout!);
  const stderr = new LineCollector(child.stderr!);
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  await stdout.waitFor((line) => line.startsWith('Tracing listen()'), 30_000, 'the ready line');

  const server = createServer();
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const port = (server.address() as { port: number }).port;
  await stdout.waitFor((line) => line === `listening on port ${port}`, 5000, `the line for port ${port}`);
  server.close();

  child.kill('SIGINT');
  t.equal(await exited, 0, 'closing every owner lets the process end with status 0');
  t.same(stderr.lines, [], 'nothing on stderr');
});
