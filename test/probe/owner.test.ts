import t from 'tap';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { ListenerOwnerResolver, parseProcNetTcp } from '../../src/probe/owner.ts';

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4567 1 0000000000000000 100 0 0 10 0
   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1111 1 0000000000000000 100 0 0 10 0
   2: 0100007F:1F90 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 9999 1 0000000000000000 20 4 30 10 -1
   3: garbage
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 7777 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 8888 1 0000000000000000 100 0 0 10 0
`;

t.test('parses listening sockets only, skipping malformed lines', async (t) => {
  t.same(parseProcNetTcp(TCP, 4), [
    { address: '127.0.0.1', port: 8080, inode: 4567, ipVersion: 4 },
    { address: '0.0.0.0', port: 22, inode: 1111, ipVersion: 4 },
  ]);
  t.same(parseProcNetTcp(TCP6, 6), [
    { address: '::1', port: 8081, inode: 7777, ipVersion: 6 },
    { address: '::', port: 80, inode: 8888, ipVersion: 6 },
  ]);
  t.same(parseProcNetTcp('', 4), []);
});

t.test('resolves owners from a fake /proc, exact address before wildcard', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'fakeproc-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'net'));
  writeFileSync(join(root, 'net/tcp'), TCP);
  writeFileSync(join(root, 'net/tcp6'), TCP6);
  const proc = (pid: number, comm: string, links: Record<string, string>) => {
    mkdirSync(join(root, String(pid), 'fd'), { recursive: true });
    writeFileSync(join(root, String(pid), 'comm'), `${comm}\n`);
    for (const [fd, target] of Object.entries(links)) symlinkSync(target, join(root, String(pid), 'fd', fd));
  };
  proc(300, 'sshd', { '3': 'socket:[1111]' });
  proc(120, 'web', { '0': '/dev/null', '5': 'socket:[4567]', '6': 'socket:[8888]' });
  proc(121, 'web-worker', { '5': 'socket:[4567]' }); // shares the listener: lowest pid wins
  let clock = 0;
  const resolver = new ListenerOwnerResolver({ procRoot: root, now: () => clock });
  t.same(resolver.resolve('127.0.0.1', 8080), { pid: 120, comm: 'web' });
  t.same(resolver.resolve('10.1.2.3', 22), { pid: 300, comm: 'sshd' });
  t.same(resolver.resolve('::1', 80), { pid: 120, comm: 'web' });
  t.equal(resolver.resolve('::1', 8081), undefined, 'listener without a visible owner');
  // Its owner appears: the same address:port rescans again only after the interval.
  proc(400, 'late', { '3': 'socket:[7777]' });
  const scans = resolver.scans;
  t.equal(resolver.resolve('::1', 8081), undefined, 'within the rescan interval');
  t.equal(resolver.scans, scans, 'and without a scan');
  clock += 1001;
  t.same(resolver.resolve('::1', 8081), { pid: 400, comm: 'late' });
});

t.test('a server started just after a scan is found on its first connection', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'fakeproc-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'net'));
  writeFileSync(join(root, 'net/tcp6'), '  sl  local_address\n');
  writeFileSync(join(root, 'net/tcp'), TCP.split('\n').slice(0, 3).join('\n'));
  mkdirSync(join(root, '300', 'fd'), { recursive: true });
  writeFileSync(join(root, '300', 'comm'), 'sshd\n');
  symlinkSync('socket:[1111]', join(root, '300', 'fd', '3'));
  const clock = 0;
  const resolver = new ListenerOwnerResolver({ procRoot: root, now: () => clock });
  resolver.rescan();
  // 1 ms later, with the clock standing still: a new listener on port 9000 and its server.
  writeFileSync(
    join(root, 'net/tcp'),
    `${TCP.split('\n').slice(0, 3).join('\n')}
   9: 0100007F:2328 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5555 1 0000000000000000 100 0 0 10 0
`,
  );
  mkdirSync(join(root, '500', 'fd'), { recursive: true });
  writeFileSync(join(root, '500', 'comm'), 'newsrv\n');
  symlinkSync('socket:[5555]', join(root, '500', 'fd', '4'));
  t.same(resolver.resolve('127.0.0.1', 9000), { pid: 500, comm: 'newsrv' }, 'the miss rescanned at once');
  t.same(resolver.resolve('127.0.0.1', 22), { pid: 300, comm: 'sshd' }, 'the old owner is kept');
  const scans = resolver.scans;
  for (let i = 0; i < 100; i++) resolver.resolve('127.0.0.1', 9000);
  t.equal(resolver.scans, scans, 'hits scan nothing');
  for (let i = 0; i < 100; i++) resolver.resolve('127.0.0.1', 8080);
  t.equal(resolver.scans, scans + 1, 'a port with no visible owner costs one scan per interval, not one per connection');
});

t.test('finds this very process as the owner of a real listener', async (t) => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const { port } = server.address() as AddressInfo;
  const owner = new ListenerOwnerResolver().resolve('127.0.0.1', port);
  t.equal(owner?.pid, process.pid);
});
