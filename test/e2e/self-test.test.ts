// --self-test on the real kernel: every stage passes in each mode, on the bundled bin as
// users run it, and the report names the stages a user would need to see when one fails.
import t from 'tap';
import { kernelTest } from '../helpers/kernel.ts';
import { binPath, runCli } from '../helpers/processes.ts';
import { leftovers, snapshot } from '../hardening/helpers.ts';

const STAGES = [
  'programs loaded and verified',
  'attached to',
  'this process accepted a loopback connection',
  'programs ran',
  'record reached the ring',
  'reader decoded it',
  'row printed',
];

for (const args of [[], ['-q'], ['--handshake'], ['-6', '-q', '-T']]) {
  t.test(`--self-test ${args.join(' ')}: every stage ok, exit 0, nothing left loaded`, kernelTest(), async (t) => {
    const before = snapshot();
    const { code, stdout, stderr } = await runCli(['--self-test', ...args], {}, 30_000, binPath);
    t.equal(code, 0, `exit 0 ${stderr}`);
    t.match(stdout, /^ts-tcpaccept self-test: Linux \S+ \(\w+\), Node v\d+/, 'names the kernel, Node and FFI first');
    for (const stage of STAGES) t.match(stdout, new RegExp(`^  ok    ${stage}`, 'm'), stage);
    t.notMatch(stdout, /FAIL/, 'no stage failed');
    t.match(stdout, new RegExp(`^        ${args.includes('-T') ? 'TIME     ' : ''}PID     COMM`, 'm'), 'the header of the chosen format');
    // COMM is the tool's own main thread: "node", or "MainThread" from Node 24 on.
    t.match(
      stdout,
      new RegExp(
        `^        ${args.includes('-T') ? '\\d\\d:\\d\\d:\\d\\d ' : ''}\\d+ +\\S+ +${args.includes('-6') ? '6  ::1' : '4  127\\.0\\.0\\.1'}`,
        'm',
      ),
      'the row of our own connection',
    );
    if (args.includes('-q')) t.match(stdout, /^  ok    queue wait measured: \d+ us/m, 'the queue wait was measured');
    t.match(stdout, /^self-test passed$/m);
    const left = await leftovers(before);
    t.same([left.progs, left.maps], [[], []], 'no program or map left loaded');
  });
}

t.test('--self-test with a filter that would hide its own connection: exit 2 before anything loads', async (t) => {
  for (const flag of [['-p', '1'], ['-P', '80'], ['--json']]) {
    const { code, stderr } = await runCli(['--self-test', ...flag]);
    t.equal(code, 2, `${flag.join(' ')}: exit 2`);
    t.match(stderr, /--self-test traces a connection of its own and cannot be combined with --/, 'says why');
  }
});
