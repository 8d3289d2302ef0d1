// --cgroup and --cgroup-exact against a real cgroup v2: the test makes cgroups (a nested tree
// too, as a Kubernetes pod with its containers or a systemd slice with its services), moves
// servers into them, and expects only the ones inside to be reported. The filters run in the
// kernel (bpf_current_task_under_cgroup, bpf_get_current_cgroup_id), which --ebpf shows.
import t, { type Test } from 'tap';
import { mkdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { kernelTest } from '../helpers/kernel.ts';
import { connectOnce, runCli, sleep, startServer, startTracer } from '../helpers/processes.ts';

/** Where the cgroup v2 hierarchy is mounted (/sys/fs/cgroup, or …/unified on hybrid hosts). */
function cgroup2Mount(): string | undefined {
  for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n')) {
    const [, mountPoint, type] = line.split(' ');
    if (type === 'cgroup2' && mountPoint !== undefined) return mountPoint;
  }
  return undefined;
}

const root = cgroup2Mount();
const gate = () => (root === undefined ? { skip: 'no cgroup2 filesystem mounted' } : kernelTest());

interface Cgroup {
  path: string;
  add(pid: number): void;
  /** A cgroup below this one, removed with it. */
  child(name: string): Cgroup;
}

/** Moves a cgroup's processes back to the root and removes it (retrying while exits settle). */
async function removeCgroup(path: string): Promise<void> {
  for (const pid of readFileSync(join(path, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
    try {
      writeFileSync(join(root!, 'cgroup.procs'), pid);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error; // it exited meanwhile
    }
  }
  for (let attempt = 0; ; attempt++) {
    try {
      rmdirSync(path);
      return;
    } catch (error) {
      // A task that has just exited can keep the cgroup populated for a moment.
      if ((error as NodeJS.ErrnoException).code !== 'EBUSY' || attempt >= 50) throw error;
      await sleep(20);
    }
  }
}

/** A fresh cgroup under the v2 root; the test's teardown removes it and its children, deepest first. */
function makeCgroup(t: Test, name: string): Cgroup {
  const made: string[] = [];
  const create = (path: string): Cgroup => {
    mkdirSync(path);
    made.push(path);
    return {
      path,
      add: (pid) => writeFileSync(join(path, 'cgroup.procs'), String(pid)),
      child: (childName) => create(join(path, childName)),
    };
  };
  t.teardown(async () => {
    for (const path of [...made].reverse()) await removeCgroup(path);
  });
  return create(join(root!, `${name}-${process.pid}`));
}

t.test('only the server inside the cgroup is reported', gate(), async (t) => {
  const cgroup = makeCgroup(t, 'ts-tcpaccept-test');
  const inside = await startServer({ family: 4, count: 3, comm: 'cg-inside' });
  const outside = await startServer({ family: 4, count: 3, comm: 'cg-outside' });
  t.teardown(() => {
    inside.kill();
    outside.kill();
  });
  // The server is already blocked in accept(); the filter looks at the cgroup when accept returns.
  cgroup.add(inside.pid);
  t.match(readFileSync(`/proc/${inside.pid}/cgroup`, 'utf8'), new RegExp(`^0::/ts-tcpaccept-test-${process.pid}$`, 'm'));

  const tracer = startTracer(['--json', '--cgroup', cgroup.path, '-P', `${inside.port},${outside.port}`]);
  t.teardown(() => tracer.stop('SIGKILL'));
  await tracer.ready;
  for (let i = 0; i < 3; i++) {
    await connectOnce('127.0.0.1', inside.port);
    await connectOnce('127.0.0.1', outside.port);
  }
  await inside.accepted(3);
  await outside.accepted(3);
  await tracer.stdout.waitFor(() => tracer.stdout.lines.length >= 3, 5000, 'three events');
  await sleep(300); // two ring flushes: time enough for an outside event to show up if it were wrongly let through
  const events = tracer.stdout.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  t.equal(events.length, 3, 'one event per inside accept, none from outside');
  t.ok(
    events.every((e) => e.pid === inside.pid && e.comm === 'cg-inside' && e.lport === inside.port),
    'all from the inside server',
  );
  const ajv = new Ajv2020({ strict: true, validateFormats: false });
  const validate = ajv.compile(JSON.parse(readFileSync('schema/event.schema.json', 'utf8')) as object);
  t.ok(
    events.every((e) => validate(e)),
    'events validate against the schema',
  );
  t.equal(await tracer.stop(), 0);
});

t.test('--cgroup matches a subtree: a server in a grandchild is seen from the grandparent, not from a sibling', gate(), async (t) => {
  // pod/container/worker: the grandchild stands for a container's own nested cgroup.
  const pod = makeCgroup(t, 'ts-tcpaccept-pod');
  const container = pod.child('container');
  const worker = container.child('worker');
  const sibling = pod.child('sidecar');
  const server = await startServer({ family: 4, count: 2, comm: 'cg-grandchild' });
  t.teardown(() => server.kill());
  worker.add(server.pid);
  const port = String(server.port);
  const all: ReturnType<typeof startTracer>[] = [];
  t.teardown(() => {
    for (const tracer of all) void tracer.stop('SIGKILL');
  });
  // One after the other: four starting at once on an emulated guest's one CPU took ~60 s, the
  // whole of a start's time budget (each start is timed on its own).
  const started = async (args: string[]) => {
    const tracer = startTracer(args);
    all.push(tracer);
    await tracer.ready;
    return tracer;
  };
  const tree = await started(['--json', '--cgroup', pod.path, '-P', port]);
  const ancestor = await started(['--json', '--cgroup', container.path, '-P', port]);
  const exact = await started(['--json', '--cgroup-exact', pod.path, '-P', port]);
  const other = await started(['--json', '--cgroup', sibling.path, '-P', port]);
  await connectOnce('127.0.0.1', server.port);
  await connectOnce('127.0.0.1', server.port);
  await server.accepted(2);
  for (const [tracer, what] of [
    [tree, 'the grandparent'],
    [ancestor, 'the parent'],
  ] as const) {
    await tracer.stdout.waitFor(() => tracer.stdout.lines.length >= 2, 5000, `two events with --cgroup ${what}`);
  }
  await sleep(300); // two ring flushes: time for a wrong event to show up
  for (const [tracer, what] of [
    [tree, 'grandparent'],
    [ancestor, 'parent'],
  ] as const) {
    const events = tracer.stdout.lines.map((line) => JSON.parse(line) as { pid: number; comm: string });
    t.equal(events.length, 2, `--cgroup on the ${what}: both accepts`);
    t.ok(
      events.every((e) => e.pid === server.pid && e.comm === 'cg-grandchild'),
      `--cgroup on the ${what}: the grandchild's server`,
    );
  }
  t.same(exact.stdout.lines, [], '--cgroup-exact on the grandparent: a task of its grandchild is not in it');
  t.same(other.stdout.lines, [], '--cgroup on a sibling subtree: nothing');
  for (const tracer of all) t.equal(await tracer.stop(), 0);
});

t.test('--cgroup-exact is exact: a child cgroup is not its parent', gate(), async (t) => {
  const parent = makeCgroup(t, 'ts-tcpaccept-parent');
  const child = parent.child('child');
  const server = await startServer({ family: 4, count: 1, comm: 'cg-child' });
  t.teardown(() => server.kill());
  child.add(server.pid);
  const ofParent = startTracer(['--json', '--cgroup-exact', parent.path, '-P', String(server.port)]);
  const ofChild = startTracer(['--json', '--cgroup-exact', child.path, '-P', String(server.port)]);
  t.teardown(() => {
    void ofParent.stop('SIGKILL');
    void ofChild.stop('SIGKILL');
  });
  await Promise.all([ofParent.ready, ofChild.ready]);
  await connectOnce('127.0.0.1', server.port);
  await server.accepted(1);
  const line = await ofChild.stdout.waitFor((l) => l.startsWith('{'), 5000, 'the event in the child cgroup');
  t.equal((JSON.parse(line) as { pid: number }).pid, server.pid, 'reported when the child cgroup is given');
  await sleep(300);
  t.same(ofParent.stdout.lines, [], 'the parent cgroup does not match a task of its child');
  t.equal(await ofParent.stop(), 0);
  t.equal(await ofChild.stop(), 0);
});

t.test('--ebpf shows the in-kernel checks: the directory inode as the id, the directory in a cgroup array', gate(), async (t) => {
  const cgroup = makeCgroup(t, 'ts-tcpaccept-ebpf');
  const id = statSync(cgroup.path, { bigint: true }).ino;
  const exact = await runCli(['--ebpf', '--cgroup-exact', cgroup.path]);
  t.equal(exact.code, 0, exact.stderr);
  t.match(exact.stdout, /call bpf_get_current_cgroup_id/);
  t.match(exact.stdout, new RegExp(`r1 = ${id} ll\\s+// --cgroup-exact`));
  t.match(exact.stdout, /if r0 != r1 goto out/);
  const tree = await runCli(['--ebpf', '--cgroup', cgroup.path]);
  t.equal(tree.code, 0, tree.stderr);
  t.match(tree.stdout, /cgroups \(CGROUP_ARRAY, 1 slot/);
  t.match(tree.stdout, /r1 = map\[cgroups\] ll[^\n]*\n[^\n]*r2 = 0\n[^\n]*call bpf_current_task_under_cgroup/);
  t.match(tree.stdout, /if r0 != 1 goto out/);
  t.notMatch(tree.stdout, /bpf_get_current_cgroup_id/);
});

t.test('bad --cgroup: exit 2 with the reason', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['--cgroup', '/nonexistent/cgroup'], /--cgroup: cgroup \/nonexistent\/cgroup: no such directory/],
    [['--cgroup', '/proc/self/status'], /not a directory/],
    [['--cgroup', '/tmp'], /not in a cgroup v2 hierarchy.*\/sys\/fs\/cgroup\/unified/],
    [['--cgroup', '/tmp', '--handshake'], /--cgroup cannot be combined with --handshake/],
    [['--cgroup-exact', '/tmp', '--handshake'], /--cgroup-exact cannot be combined with --handshake/],
    [['--cgroup-exact', '/nonexistent/cgroup'], /--cgroup-exact: cgroup \/nonexistent\/cgroup: no such directory/],
    [['--cgroup', '/tmp', '--cgroup-exact', '/tmp'], /--cgroup and --cgroup-exact cannot be combined/],
  ];
  for (const [args, message] of cases) {
    const result = await runCli(args);
    t.equal(result.code, 2, args.join(' '));
    t.match(result.stderr, message);
  }
});

t.test('--cgroup-labels: the cgroup id and path, and the container id its name holds, in --json and the metrics', gate(), async (t) => {
  const containerId = `${'c0ffee'.repeat(10)}abcd`;
  const top = makeCgroup(t, 'ts-tcpaccept-labels');
  // Docker's systemd-driver naming, inside a cgroup of the test's.
  const scope = top.child(`docker-${containerId}.scope`);
  // The server stays up after its two accepts: the cgroup is read from /proc when the event is
  // decoded, and a server that has exited by then (in an emulated guest, a slow reader) has none.
  const server = await startServer({ family: 4, count: 3, comm: 'cg-labelled' });
  t.teardown(() => server.kill());
  scope.add(server.pid);
  const json = startTracer(['--json', '--cgroup-labels', '--cgroup', top.path, '-P', String(server.port)]);
  const metrics = startTracer(['--metrics', '127.0.0.1:0', '--quiet', '--cgroup-labels', '-P', String(server.port)]);
  t.teardown(() => {
    void json.stop('SIGKILL');
    void metrics.stop('SIGKILL');
  });
  await Promise.all([json.ready, metrics.ready]);
  const url = (await metrics.stderr.waitFor((l) => l.includes('serving Prometheus metrics at'), 5000, 'the metrics URL')).split(' at ')[1]!;
  await connectOnce('127.0.0.1', server.port);
  await connectOnce('127.0.0.1', server.port);
  await server.accepted(2);
  await json.stdout.waitFor(() => json.stdout.lines.length >= 2, 5000, 'two events');
  const id = statSync(scope.path, { bigint: true }).ino.toString();
  const relative = `/${scope.path.slice(root!.length).split('/').filter(Boolean).join('/')}`;
  const events = json.stdout.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  for (const e of events) {
    t.match(e, { pid: server.pid, cgroup_id: id, cgroup: relative, container_id: containerId, container_runtime: 'docker', pod_uid: null });
  }
  const ajv = new Ajv2020({ strict: true, validateFormats: false });
  const validate = ajv.compile(JSON.parse(readFileSync('schema/event.schema.json', 'utf8')) as object);
  t.ok(
    events.every((e) => validate(e)),
    `events validate against the schema ${JSON.stringify(validate.errors)}`,
  );
  let text = '';
  for (let i = 0; i < 50 && !text.includes(`local_port="${server.port}"`); i++) {
    await sleep(100);
    text = await (await fetch(url)).text();
  }
  const line = text
    .split('\n')
    .find((l) => l.startsWith('tcpaccept_accepted_connections_total{') && l.includes(`local_port="${server.port}"`));
  t.ok(line, 'the counter has the port');
  t.match(line!, `cgroup_id="${id}"`);
  t.match(line!, `cgroup="${relative}"`);
  t.match(line!, `container_id="${containerId}"`);
  t.match(line!, 'pod_uid=""');
  t.match(line!, / 2$/, 'both accepts');
  t.equal(await json.stop(), 0);
  t.equal(await metrics.stop(), 0);
});
