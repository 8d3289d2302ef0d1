// --netns against real network namespaces: two namespaces with a server each on the same port,
// connections in both, and agents that must each see only their own namespace's accepts. The
// check runs in the kernel (the socket's skc_net->ns.inum), which --ebpf shows.
import t from 'tap';
import { statSync } from 'node:fs';
import { kernelTest } from '../helpers/kernel.ts';
import { cliPath, runCli, sleep, startTracer, startTimeScale } from '../helpers/processes.ts';
import { connectIn, makeNetns, netnsUnavailableReason, serverIn } from '../helpers/netns.ts';

const gate = () => {
  const reason = netnsUnavailableReason();
  return reason === undefined ? kernelTest() : { skip: reason };
};

type Json = Record<string, unknown>;
const events = (lines: string[]) => lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Json);

t.test('an agent with --netns sees only the sockets of its namespace', gate(), async (t) => {
  const a = makeNetns(t, 'tsta-nsa');
  const b = makeNetns(t, 'tsta-nsb');
  // The same port in both: only the namespace tells the two servers apart.
  const port = 18080;
  const inA = await serverIn(a, { port, count: 3, comm: 'ns-a-server' });
  const inB = await serverIn(b, { port, count: 2, comm: 'ns-b-server' });

  // An agent in the host namespace pointed at A by path, one inside B with `self`, and one in
  // --handshake mode (no accept syscall hook: the check runs on the tracepoint's skaddr).
  const byPath = startTracer(['--json', '--netns', a.path, '-P', String(port)]);
  const handshake = startTracer(['--json', '--handshake', '--netns', a.path, '-P', String(port)]);
  const self = b.spawn(process.execPath, [cliPath, '--json', '--netns', 'self', '-P', String(port)]);
  t.teardown(() => {
    void byPath.stop('SIGKILL');
    void handshake.stop('SIGKILL');
  });
  await Promise.all([
    byPath.ready,
    handshake.ready,
    self.stderr.waitFor((l) => l.startsWith('Tracing TCP accepts'), 20_000 * startTimeScale, 'the agent in B'),
  ]);

  await connectIn(a, port, 3);
  await connectIn(b, port, 2);
  await inA.accepted(3);
  await inB.accepted(2);
  await byPath.stdout.waitFor(() => events(byPath.stdout.lines).length >= 3, 5000, 'three events from A');
  await handshake.stdout.waitFor(() => events(handshake.stdout.lines).length >= 3, 5000, 'three handshakes from A');
  await self.stdout.waitFor(() => events(self.stdout.lines).length >= 2, 5000, 'two events from B');
  await sleep(300); // two ring flushes: time for a wrong event to show up

  const fromA = events(byPath.stdout.lines);
  t.equal(fromA.length, 3, 'A: one event per accept in A, none from B');
  t.ok(
    fromA.every((e) => e.pid === inA.pid && e.comm === 'ns-a-server'),
    'A: all accepted by the server in A',
  );
  const handshakesA = events(handshake.stdout.lines);
  t.equal(handshakesA.length, 3, '--handshake: only the handshakes completed in A');
  t.ok(
    handshakesA.every((e) => e.mode === 'handshake' && e.lport === port),
    '--handshake events',
  );
  const fromB = events(self.stdout.lines);
  t.equal(fromB.length, 2, 'B (--netns self): one event per accept in B, none from A');
  t.ok(
    fromB.every((e) => e.pid === inB.pid && e.comm === 'ns-b-server'),
    'B: all accepted by the server in B',
  );

  t.equal(await byPath.stop(), 0);
  t.equal(await handshake.stop(), 0);
  self.child.kill('SIGINT');
  t.equal(await self.exited, 0);
});

t.test('--ebpf shows the namespace check in every program that reports a socket', gate(), async (t) => {
  const inode = statSync('/proc/self/ns/net').ino;
  for (const args of [[], ['--handshake'], ['--drops']]) {
    const result = await runCli(['--ebpf', '--netns', '/proc/self/ns/net', ...args]);
    t.equal(result.code, 0, result.stderr);
    t.match(result.stdout, /call bpf_probe_read_kernel\s+\/\/ net->ns\.inum/, `${args.join(' ') || 'accept'}: reads ns.inum`);
    t.match(result.stdout, new RegExp(`if w1 != -?\\d+ goto out\\s+// --netns net:\\[${inode}\\]`), 'compares with the inode of the file');
    // Every program that reports a socket checks it: accept (and the io_uring completion where
    // the kernel has io_uring), the handshake report, the drop program.
    const programs = result.stdout.split(/^\/\/ program /m).slice(1);
    for (const program of programs) {
      const name = program.split(' ')[0]!;
      if (!/^tcpaccept_(exit|iocqe|hsrep|drop)\d*$/.test(name)) continue;
      t.match(program, /--netns net:\[/, `${args.join(' ') || 'accept'}: ${name} checks the namespace`);
    }
    if (args[0] === '--drops' && !/no drop events/.test(result.stdout)) {
      t.ok(
        programs.some((p) => p.startsWith('tcpaccept_drop ')),
        '--drops: the drop program is planned',
      );
    }
  }
});

t.test('bad --netns: exit 2 with the reason', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['--netns', '/nonexistent/ns'], /--netns: \/nonexistent\/ns: no such file/],
    [['--netns', '/tmp'], /--netns: \/tmp is not a namespace file: give self, \/proc\/PID\/ns\/net/],
    [['--netns', '/proc/self/ns/mnt'], /is a mnt namespace, not a network namespace/],
    [['--netns', ''], /--netns: expected self or a network namespace file/],
  ];
  for (const [args, message] of cases) {
    const result = await runCli(args);
    t.equal(result.code, 2, args.join(' '));
    t.match(result.stderr, message);
  }
});
