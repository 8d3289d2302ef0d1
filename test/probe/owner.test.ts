import t from 'tap';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { ListenerOwnerResolver, parseProcNetTcp, type ListeningSocket } from '../../src/probe/owner.ts';
import { FakeBackend, useFfiBackend } from '../../src/syscalls/index.ts';

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
  t.equal(resolver.scans, scans, 'a port with no visible owner waits for the interval after the last miss scan');
});

t.test('finds this very process as the owner of a real listener', async (t) => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const { port } = server.address() as AddressInfo;
  const owner = new ListenerOwnerResolver().resolve('127.0.0.1', port);
  t.equal(owner?.pid, process.pid);
});

/** A fake /proc with only pid directories; listeners come from `listeners` (what sock_diag would list). */
function fakeProc(t: { teardown(fn: () => void): void }) {
  const root = mkdtempSync(join(tmpdir(), 'fakeproc-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const listeners: ListeningSocket[] = [];
  let listings = 0;
  return {
    root,
    listeners,
    listed: () => listings,
    listen(address: string, port: number, inode: number) {
      listeners.push({ address, port, inode, ipVersion: address.includes(':') ? 6 : 4 });
    },
    proc(pid: number, comm: string, links: string[]) {
      mkdirSync(join(root, String(pid), 'fd'), { recursive: true });
      writeFileSync(join(root, String(pid), 'comm'), `${comm}\n`);
      links.forEach((target, fd) => symlinkSync(target, join(root, String(pid), 'fd', String(fd))));
    },
    resolver(clock: { now: number }, listListeners?: () => ListeningSocket[]) {
      return new ListenerOwnerResolver({
        procRoot: root,
        now: () => clock.now,
        listListeners:
          listListeners ??
          (() => {
            listings++;
            return [...listeners];
          }),
      });
    },
  };
}

const idleSockets = (from: number, count: number) => Array.from({ length: count }, (_, i) => `socket:[${from + i}]`);

t.test('the walk stops once every wanted listener has its lowest-PID owner', async (t) => {
  const fake = fakeProc(t);
  fake.listen('127.0.0.1', 8080, 100);
  fake.listen('::1', 8081, 101);
  fake.proc(10, 'master', ['/dev/null', 'socket:[100]', 'socket:[101]']);
  fake.proc(11, 'worker', ['socket:[100]', 'socket:[101]', ...idleSockets(5000, 50)]); // forked: shares both
  fake.proc(50, 'idle', idleSockets(9000, 200));
  const resolver = fake.resolver({ now: 0 });
  resolver.rescan();
  t.same(resolver.resolve('127.0.0.1', 8080), { pid: 10, comm: 'master' }, 'a shared socket reports its lowest PID');
  t.same(resolver.resolve('::1', 8081), { pid: 10, comm: 'master' });
  t.equal(resolver.linksRead, 3, 'nothing past the fd that completed the set is read');
  t.equal(resolver.fdWalks, 1);
});

t.test('SO_REUSEPORT group: several sockets on one address:port report the lowest PID', async (t) => {
  const fake = fakeProc(t);
  fake.listen('0.0.0.0', 80, 201); // listed first, held by the higher PID
  fake.listen('0.0.0.0', 80, 200);
  fake.proc(30, 'worker-b', ['socket:[201]']);
  fake.proc(12, 'worker-a', ['socket:[200]']);
  const resolver = fake.resolver({ now: 0 });
  t.same(resolver.resolve('10.0.0.1', 80), { pid: 12, comm: 'worker-a' });
});

t.test('exact address first, then the IPv4-mapped one, then 0.0.0.0, then ::', async (t) => {
  const fake = fakeProc(t);
  fake.listen('::', 7000, 300);
  fake.listen('0.0.0.0', 7000, 301);
  fake.listen('::ffff:127.0.0.1', 7000, 302);
  fake.listen('127.0.0.2', 7000, 303);
  fake.listen('::', 7001, 304);
  fake.proc(2, 'dual', ['socket:[300]', 'socket:[304]']);
  fake.proc(3, 'v4any', ['socket:[301]']);
  fake.proc(4, 'mapped', ['socket:[302]']);
  fake.proc(5, 'exact', ['socket:[303]']);
  const resolver = fake.resolver({ now: 0 });
  resolver.rescan();
  t.equal(resolver.resolve('127.0.0.2', 7000)?.comm, 'exact');
  t.equal(resolver.resolve('127.0.0.1', 7000)?.comm, 'mapped');
  t.equal(resolver.resolve('127.0.0.3', 7000)?.comm, 'v4any', '0.0.0.0 before ::');
  t.equal(resolver.resolve('::1', 7000)?.comm, 'v4any', 'as the old list walk did: the first wildcard, IPv4 first');
  t.equal(resolver.resolve('127.0.0.1', 7001)?.comm, 'dual', 'an IPv4 connection to a dual-stack listener');
  t.equal(resolver.resolve('127.0.0.1', 7002), undefined);
});

t.test('a storm of misses on ports nobody owns rescans once per interval, counted from the end of the scan', async (t) => {
  const fake = fakeProc(t);
  fake.listen('127.0.0.1', 8080, 100);
  fake.proc(10, 'srv', ['socket:[100]']);
  const clock = { now: 0 };
  let scanMs = 0;
  const resolver = fake.resolver(clock, () => {
    clock.now += scanMs; // the listing takes this long
    return [...fake.listeners];
  });
  let answered = 0;
  for (let i = 1; i <= 10_000; i++) if (resolver.resolve('127.0.0.1', 9000 + (i % 5000)) !== undefined) answered++;
  t.equal(answered, 0);
  t.equal(resolver.scans, 1, '10 000 misses on 5 000 ports, one scan');
  scanMs = 200; // from now on a scan takes 200 ms
  clock.now = 1000;
  resolver.resolve('127.0.0.1', 1);
  t.equal(resolver.scans, 2, 'the next interval, one more');
  t.equal(clock.now, 1200);
  clock.now = 2199;
  resolver.resolve('127.0.0.1', 2);
  t.equal(resolver.scans, 2, '1 s after the start of that scan is not enough');
  clock.now = 2200;
  resolver.resolve('127.0.0.1', 2);
  t.equal(resolver.scans, 3, '1 s after its end is');
  scanMs = 2000; // a slow scan: the next waits 4× as long
  clock.now = 3400;
  resolver.resolve('127.0.0.1', 3);
  t.equal(resolver.scans, 4);
  t.equal(clock.now, 5400);
  clock.now = 5400 + 7999;
  resolver.resolve('127.0.0.1', 4);
  t.equal(resolver.scans, 4, 'not before 4 × 2 s after its end');
  clock.now = 5400 + 8000;
  resolver.resolve('127.0.0.1', 4);
  t.equal(resolver.scans, 5);
  t.same(resolver.resolve('127.0.0.1', 8080), { pid: 10, comm: 'srv' }, 'hits are answered throughout');
});

t.test('one address:port that keeps missing backs off: 1 s, 2 s, 4 s, …', async (t) => {
  const fake = fakeProc(t);
  const clock = { now: 0 };
  const resolver = fake.resolver(clock);
  const scansAt = (time: number) => {
    clock.now = time;
    resolver.resolve('127.0.0.1', 5555);
    return resolver.scans;
  };
  t.same([0, 999, 1000, 2999, 3000, 6999, 7000].map(scansAt), [1, 1, 2, 2, 3, 3, 4]);
  t.equal(fake.listed(), 4);
});

t.test('a listener whose owner cannot be seen is not searched on every walk', async (t) => {
  const fake = fakeProc(t);
  fake.listen('0.0.0.0', 111, 700); // kernel-owned: no process holds it
  fake.proc(10, 'idle', idleSockets(9000, 100));
  const clock = { now: 0 };
  const resolver = fake.resolver(clock);
  resolver.rescan();
  t.equal(resolver.linksRead, 100, 'the first walk reads everything looking for it');
  // A new server: its first connection rescans, and the walk looks for the new listener only.
  fake.listen('127.0.0.1', 8080, 800);
  fake.proc(5, 'new', ['socket:[800]']);
  clock.now = 10;
  t.same(resolver.resolve('127.0.0.1', 8080), { pid: 5, comm: 'new' });
  t.equal(resolver.linksRead, 101, 'stopped at the new listener');
  // Once its backoff is over, the hidden one is searched for again (and backs off longer).
  fake.listen('127.0.0.1', 8081, 801);
  fake.proc(6, 'newer', ['socket:[801]']);
  clock.now = 1010; // 1 s after the end of the last miss scan, and past the hidden one's backoff
  t.same(resolver.resolve('127.0.0.1', 8081), { pid: 6, comm: 'newer' });
  t.equal(resolver.linksRead, 101 + 1 + 1 + 100, 'a full walk again');
  t.equal(resolver.resolve('127.0.0.9', 111), undefined);
});

t.test('ownerOfInode: found on a miss, and misses limited like resolve()', async (t) => {
  const fake = fakeProc(t);
  const clock = { now: 0 };
  const resolver = fake.resolver(clock);
  resolver.rescan();
  fake.listen('127.0.0.1', 8080, 900);
  fake.proc(7, 'srv', ['socket:[900]']);
  t.same(resolver.ownerOfInode(900), { pid: 7, comm: 'srv' });
  const scans = resolver.scans;
  for (let i = 0; i < 100; i++) t.equal(resolver.ownerOfInode(901 + i), undefined);
  t.equal(resolver.scans, scans, 'within the interval of the last miss scan');
});

t.test('falls back to /proc/net/tcp{,6} when sock_diag cannot be opened', async (t) => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const { port } = server.address() as AddressInfo;
  const fake = new FakeBackend(); // every syscall fails with ENOSYS: socket(AF_NETLINK) included
  const restore = useFfiBackend(fake);
  t.teardown(restore);
  const resolver = new ListenerOwnerResolver();
  t.equal(resolver.resolve('127.0.0.1', port)?.pid, process.pid);
  t.ok(
    fake.calls.some((c) => c.name === 'socket'),
    'sock_diag was tried first',
  );
  t.same(fake.openFds.size, 0);
});

t.test('resolveWithoutBlocking: a miss scans in slices between turns of the event loop, then calls back', async (t) => {
  const fake = fakeProc(t);
  fake.listen('127.0.0.1', 8080, 100);
  for (let pid = 10; pid < 40; pid++) fake.proc(pid, `idle-${pid}`, idleSockets(pid * 1000, 600));
  fake.proc(50, 'server', ['socket:[100]']);
  // Every reading of the clock moves it 1 ms: a 5 ms slice ends after a few steps of the walk.
  const clock = { value: 0 };
  const resolver = new ListenerOwnerResolver({ procRoot: fake.root, now: () => clock.value++, listListeners: () => [...fake.listeners] });
  let turns = 0;
  const counting = setInterval(() => turns++, 0);
  t.teardown(() => clearInterval(counting));
  const called: string[] = [];
  const done = new Promise<void>((resolve) => {
    t.equal(
      resolver.resolveWithoutBlocking('127.0.0.1', 8080, () => called.push('first')),
      'scanning',
    );
    t.ok(resolver.scanning);
    t.equal(
      resolver.resolveWithoutBlocking('127.0.0.1', 8080, () => {
        called.push('second');
        resolve();
      }),
      'scanning',
      'a second miss waits for the same scan',
    );
  });
  t.equal(resolver.cached('127.0.0.1', 8080), undefined, 'nothing is found before the event loop turns');
  await done;
  t.same(called, ['first', 'second'], 'each waiting caller once, in order');
  t.notOk(resolver.scanning);
  t.same(resolver.cached('127.0.0.1', 8080), { pid: 50, comm: 'server' });
  t.equal(resolver.scans, 1);
  t.ok(turns >= 2, `the walk of 18 000 links spanned ${turns} timer turns`);
  t.same(
    resolver.resolveWithoutBlocking('127.0.0.1', 8080, () => t.fail('not called for a hit')),
    { pid: 50, comm: 'server' },
  );
  t.equal(
    resolver.resolveWithoutBlocking('127.0.0.1', 9999, () => t.fail('no scan within the interval')),
    undefined,
  );
});

t.test('close() stops a sliced scan without calling back', async (t) => {
  const fake = fakeProc(t);
  fake.listen('127.0.0.1', 8080, 100);
  for (let pid = 10; pid < 20; pid++) fake.proc(pid, `idle-${pid}`, idleSockets(pid * 1000, 600));
  const clock = { value: 0 };
  const resolver = new ListenerOwnerResolver({ procRoot: fake.root, now: () => clock.value++, listListeners: () => [...fake.listeners] });
  t.equal(
    resolver.resolveWithoutBlocking('127.0.0.1', 8080, () => t.fail('closed: no callback')),
    'scanning',
  );
  resolver.close();
  t.notOk(resolver.scanning);
  await new Promise((resolve) => setTimeout(resolve, 50));
});
