// examples/tcpretrans.ts, run as a user would run it, against real retransmissions: a
// connection inside a network namespace this test creates, whose data packets an nftables rule
// in that namespace drops, so the sender retransmits them on its timer. Tracepoints are
// host-wide, so the tool runs here and sees the namespace's retransmits; rows are matched by
// the connection's ports. Nothing leaves loopback, and the rule exists only in the namespace.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineRecord } from '../../src/index.ts';
import { loadedMapIds, loadedProgramIds } from '../../src/internal.ts';
import { kernelTest } from '../helpers/kernel.ts';
import { LineCollector } from '../helpers/processes.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const example = join(root, 'examples', 'tcpretrans.ts');

// The client side, in the namespace: connect, print both ports, wait for the drop rule, send.
const CLIENT = `
import socket, sys, time
srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen()
port = srv.getsockname()[1]
c = socket.create_connection(('127.0.0.1', port)); s, _ = srv.accept()
print(port, c.getsockname()[1], flush=True)
sys.stdin.readline()
c.send(b'x' * 100)
time.sleep(3)
`;

const ROW = /^\d\d:\d\d:\d\d (\d+)\s+4\s+127\.0\.0\.1:(\d+)\s+R> 127\.0\.0\.1:(\d+)\s+(\S+)$/;

t.test('the record is laid out once, with no offset typed by hand', async (t) => {
  const R = defineRecord({
    pid: 'u32',
    state: 's32',
    family: 'u16',
    localPort: 'u16',
    remotePort: 'u16',
    localAddr: 'u8[16]',
    remoteAddr: 'u8[16]',
  });
  t.same(
    [R.offsetOf('family'), R.offsetOf('localAddr'), R.offsetOf('remoteAddr'), R.size],
    [8, 14, 30, 48],
    'natural alignment, size rounded to 8',
  );
  const bytes = R.encode({ pid: 42, state: -1, localPort: 80, localAddr: new Uint8Array([127, 0, 0, 1]) });
  const back = R.decode(bytes);
  t.same(
    [back.pid, back.state, back.localPort, [...back.localAddr.subarray(0, 4)]],
    [42, -1, 80, [127, 0, 0, 1]],
    'encode and decode agree',
  );
});

t.test('tcpretrans prints one ESTABLISHED row per retransmit of a stalled connection', kernelTest(), async (t) => {
  const netns = `tsretrans${process.pid}`;
  const ip = (...args: string[]) => spawnSync('ip', args, { encoding: 'utf8' });
  t.equal(ip('netns', 'add', netns).status, 0, `ip netns add ${netns}`);
  t.teardown(() => void ip('netns', 'delete', netns));
  t.equal(ip('-n', netns, 'link', 'set', 'lo', 'up').status, 0, 'its loopback is up');

  const before = { progs: new Set(loadedProgramIds()), maps: new Set(loadedMapIds()) };
  const tool = spawn(process.execPath, ['--import', 'tsx', example, '-4'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = new LineCollector(tool.stdout!);
  const err = new LineCollector(tool.stderr!);
  const exited = new Promise<number | string>((resolve) => tool.on('exit', (code, signal) => resolve(code ?? signal ?? '?')));
  t.teardown(() => void tool.kill('SIGKILL'));
  await out.waitFor((line) => line.startsWith('TIME'), 30_000, `the header (stderr: ${err.lines.join(' ')})`);

  const client = spawn('ip', ['netns', 'exec', netns, 'python3', '-c', CLIENT], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.teardown(() => void client.kill('SIGKILL'));
  const clientOut = new LineCollector(client.stdout!);
  const [serverPort, clientPort] = (await clientOut.waitFor(() => true, 10_000, 'the ports')).split(' ').map(Number) as [number, number];
  const nft = spawnSync('ip', ['netns', 'exec', netns, 'nft', '-f', '-'], {
    input: `table inet stall {\n  chain in {\n    type filter hook input priority 0;\n    tcp dport ${serverPort} drop\n  }\n}\n`,
    encoding: 'utf8',
  });
  t.equal(nft.status, 0, `the drop rule is in place in the namespace ${nft.stderr}`);
  client.stdin!.write('\n');

  // RTO starts at 200 ms and doubles: within 3 s there are at least three retransmits.
  const rows = () =>
    out.lines.map((line) => ROW.exec(line)).filter((m) => m !== null && Number(m[2]) === clientPort && Number(m[3]) === serverPort);
  await out.waitFor(() => rows().length >= 2, 5_000, 'two retransmits of the stalled connection');
  t.ok(rows().length >= 2, `${rows().length} retransmits seen`);
  t.ok(
    rows().every((m) => m![4] === 'ESTABLISHED'),
    'each in ESTABLISHED',
  );
  t.notOk(
    out.lines.some((line) => / 6 /.test(line.slice(15, 19))),
    '-4 prints no IPv6 row',
  );

  tool.kill('SIGINT');
  t.equal(await exited, 0, 'SIGINT ends it with status 0');
  // The kernel frees a program's maps after an RCU grace period: give it a moment.
  const deadline = Date.now() + 2_000;
  let left = { progs: [0], maps: [0] };
  while (Date.now() < deadline && left.progs.length + left.maps.length > 0) {
    left = { progs: loadedProgramIds().filter((id) => !before.progs.has(id)), maps: loadedMapIds().filter((id) => !before.maps.has(id)) };
    if (left.progs.length + left.maps.length > 0) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  t.same(left, { progs: [], maps: [] }, 'no program or map of it is left loaded');
});
