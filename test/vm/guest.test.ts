// The guest's pieces that are text: /init, the command script, QEMU's command line, and reading
// the console and the kernel log back. No QEMU here.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import {
  MARKER,
  chooseAccelerator,
  commandScript,
  initScript,
  kernelCommandLine,
  kernelLogProblems,
  parseConsole,
  qemuArgs,
  shellQuote,
} from './guest.ts';

t.test('parseConsole: output between the markers, CRs dropped, exit status read', async (t) => {
  const text = `SeaBIOS noise\r\n${MARKER.begin}\r\nTAP version 14\r\nok 1 - fine\r\n${MARKER.exitPrefix}0${MARKER.suffix}\r\n`;
  t.same(parseConsole(text), { output: 'TAP version 14\nok 1 - fine', exitStatus: 0, started: true });
  const failed = parseConsole(`${MARKER.begin}\nnot ok 1\n${MARKER.exitPrefix}1${MARKER.suffix}\n`);
  t.equal(failed.exitStatus, 1);
  t.equal(failed.output, 'not ok 1');
});

t.test('parseConsole: a run cut short has output but no exit status', async (t) => {
  const result = parseConsole(`${MARKER.begin}\nTAP version 14\nok 1 - a\n# Subtest: b\n`);
  t.equal(result.started, true);
  t.equal(result.exitStatus, undefined);
  t.equal(result.output, 'TAP version 14\nok 1 - a\n# Subtest: b\n');
});

t.test('parseConsole: markers count only as whole lines, and only after the begin marker', async (t) => {
  const text = [
    `${MARKER.exitPrefix}7${MARKER.suffix}`, // before begin: ignored
    MARKER.begin,
    `echo ${MARKER.exitPrefix}3${MARKER.suffix}`, // mid-line: output
    `${MARKER.exitPrefix}x${MARKER.suffix}`, // not a number: output
    `${MARKER.exitPrefix}42${MARKER.suffix}`,
    'after the marker: ignored',
  ].join('\n');
  const result = parseConsole(text);
  t.equal(result.exitStatus, 42);
  t.equal(result.output, `echo ${MARKER.exitPrefix}3${MARKER.suffix}\n${MARKER.exitPrefix}x${MARKER.suffix}`);
});

t.test('parseConsole: /init failing before the command says why', async (t) => {
  const result = parseConsole(`${MARKER.initFailedPrefix}insmod 9p.ko${MARKER.suffix}\n`);
  t.same(result, { output: '', started: false, initFailure: 'insmod 9p.ko' });
  t.same(parseConsole(''), { output: '', started: false });
});

t.test('kernelLogProblems: oopses and panics are fatal, warnings are noted, the rest ignored', async (t) => {
  const log = [
    '[    0.000000] Linux version 6.1.0-57-amd64',
    '[   12.345678] BUG: kernel NULL pointer dereference, address: 0000000000000008',
    '[   12.345679] Oops: 0000 [#1] PREEMPT SMP NOPTI',
    '[   13.000000] WARNING: CPU: 1 PID: 77 at kernel/bpf/verifier.c:1234 foo+0x1/0x2',
    '[   14.000000] watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [node:200]',
    '[   15.000000] Kernel panic - not syncing: Fatal exception',
    'random: crng init done',
  ].join('\r\n');
  const problems = kernelLogProblems(log);
  t.same(problems.fatal, [
    'BUG: kernel NULL pointer dereference, address: 0000000000000008',
    'Oops: 0000 [#1] PREEMPT SMP NOPTI',
    'Kernel panic - not syncing: Fatal exception',
  ]);
  t.same(
    problems.warnings,
    ['WARNING: CPU: 1 PID: 77 at kernel/bpf/verifier.c:1234 foo+0x1/0x2', 'watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [node:200]'],
    'a soft lockup under emulation is a warning, not a kernel bug',
  );
});

t.test('chooseAccelerator: KVM only when /dev/kvm is real (not PVM); a forced choice wins', async (t) => {
  t.equal(chooseAccelerator({ kvmUsable: true, pvmLoaded: false }), 'kvm');
  t.equal(chooseAccelerator({ kvmUsable: true, pvmLoaded: true }), 'tcg', 'kvm_pvm boots only PVM guests');
  t.equal(chooseAccelerator({ kvmUsable: false, pvmLoaded: false }), 'tcg');
  t.equal(chooseAccelerator({ kvmUsable: false, pvmLoaded: false }, 'kvm'), 'kvm');
});

t.test('qemuArgs: no NIC, no default devices, root shared read-only, two serial ports', async (t) => {
  const base = {
    kernel: '/k/vmlinuz',
    initrd: '/o/initrd.gz',
    append: kernelCommandLine(),
    memoryMiB: 2048,
    cpus: 2,
    shareRoot: '/',
    kernelLog: '/o/kernel.log',
  };
  const tcg = qemuArgs({ ...base, accelerator: 'tcg' });
  const after = (args: string[], flag: string) => args.filter((_, i) => args[i - 1] === flag);
  t.same(after(tcg, '-accel'), ['tcg,thread=single'], 'single-threaded TCG by default (multi oopses on text patching)');
  t.same(after(qemuArgs({ ...base, accelerator: 'tcg', tcgThreads: 'multi' }), '-accel'), ['tcg,thread=multi']);
  t.same(after(tcg, '-cpu'), ['max']);
  t.same(after(tcg, '-m'), ['2048M']);
  t.same(after(tcg, '-smp'), ['2']);
  t.same(after(tcg, '-kernel'), ['/k/vmlinuz']);
  t.same(after(tcg, '-initrd'), ['/o/initrd.gz']);
  t.same(after(tcg, '-append'), ['console=ttyS0 panic=-1 rdinit=/init']);
  t.same(after(tcg, '-nic'), ['none'], 'no network device: nothing leaves the guest');
  t.ok(tcg.includes('-nodefaults') && tcg.includes('-no-reboot'), '-nodefaults and -no-reboot (a panic ends QEMU)');
  t.same(after(tcg, '-serial'), ['chardev:kcon', 'chardev:cmd'], 'ttyS0 then ttyS1');
  t.same(after(tcg, '-chardev'), ['file,id=kcon,path=/o/kernel.log', 'stdio,id=cmd,signal=off']);
  const fsdev = after(tcg, '-fsdev')[0]!;
  t.match(fsdev, /^local,id=root,path=\/,/);
  t.match(fsdev, /readonly=on/, 'the host root is read-only to the guest');
  t.same(after(tcg, '-device'), ['virtio-9p-pci,fsdev=root,mount_tag=hostroot']);
  const kvm = qemuArgs({ ...base, accelerator: 'kvm' });
  t.same([after(kvm, '-accel'), after(kvm, '-cpu')], [['kvm'], ['host']]);
});

t.test('shellQuote and commandScript: values survive sh exactly', async (t) => {
  t.equal(shellQuote("it's"), `'it'\\''s'`);
  const env = { PATH: '/usr/bin:/bin', ODD: `a 'b' "c" $d \`e\` \\f` };
  const script = commandScript('printf "%s|%s|%s" "$PATH" "$ODD" "$(pwd)"', '/tmp', env);
  t.match(script, /^#!\/bin\/sh\n/);
  const run = spawnSync('sh', ['-c', script], { encoding: 'utf8', env: {} });
  t.equal(run.stdout, `/usr/bin:/bin|a 'b' "c" $d \`e\` \\f|/tmp`);
  t.throws(() => commandScript('true', '/', { 'BAD-NAME': 'x' }), /not a valid environment variable name/);
  const missing = spawnSync('sh', ['-c', commandScript('echo unreachable', '/nonexistent-dir-for-test', {})], { encoding: 'utf8' });
  t.equal(missing.status, 125, 'a missing working directory stops before the command');
});

t.test('initScript: modules in the given order, 9p + overlay root, kernel filesystems, markers', async (t) => {
  const script = initScript({ modules: ['netfs.ko', '9pnet.ko', '9p.ko'] });
  t.match(script, /^#!\/bin\/busybox sh\n/);
  t.match(script, /for m in netfs\.ko 9pnet\.ko 9p\.ko; do/);
  t.match(script, /mount -t 9p -o trans=virtio,version=9p2000\.L,msize=262144,cache=loose,ro hostroot \/lower/);
  t.match(script, /mount -t overlay -o lowerdir=\/lower,upperdir=\/rw\/upper,workdir=\/rw\/work overlay \/newroot/);
  for (const target of ['/proc', '/sys', '/dev', '/sys/kernel/tracing', '/sys/fs/bpf', '/sys/fs/cgroup', '/run']) {
    t.ok(script.includes(` "$R${target}" || fail`), `mounts ${target}`);
  }
  t.notOk(script.includes('"$R/tmp"'), "the host's /tmp stays visible (a CI clone may be there), written through the overlay");
  t.ok(script.indexOf('"$R/sys"') < script.indexOf('"$R/sys/kernel/tracing"'), 'sysfs before tracefs inside it');
  t.match(script, /ip link set lo up/);
  t.ok(script.includes(`echo "${MARKER.begin}" > /dev/ttyS1`));
  t.ok(script.includes(`echo "${MARKER.exitPrefix}$status${MARKER.suffix}" > /dev/ttyS1`));
  t.match(script, /poweroff -f\n$/);
  const sh = spawnSync('sh', ['-n'], { input: script, encoding: 'utf8' });
  t.equal(sh.status, 0, `the script parses as sh: ${sh.stderr}`);
});
