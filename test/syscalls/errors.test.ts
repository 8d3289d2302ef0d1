// errno -> KernelError: names, descriptions, and the hint a person can act on.
import t from 'tap';
import { Errno, errnoDescription, errnoName, hintFor, KernelError, summarizeVerifierLog } from '../../src/syscalls/errors.ts';

t.test('errno names and descriptions', async (t) => {
  t.equal(errnoName(1), 'EPERM');
  t.equal(errnoName(13), 'EACCES');
  t.equal(errnoName(7), 'E2BIG');
  t.equal(errnoName(11), 'EAGAIN');
  t.equal(errnoName(24), 'EMFILE');
  t.equal(errnoName(524), 'ENOTSUPP', 'kernel-internal code bpf(2) leaks');
  t.equal(errnoName(9999), 'errno 9999');
  t.equal(errnoDescription(1), 'Operation not permitted');
  t.equal(errnoDescription(2), 'No such file or directory');
  t.equal(errnoDescription(9999), 'Unknown error');
});

t.test('message shape matches the contract', async (t) => {
  const error = new KernelError('BPF_PROG_LOAD', Errno.EPERM, { context: 'bpf' });
  t.ok(error instanceof Error);
  t.equal(error.name, 'KernelError');
  t.equal(error.operation, 'BPF_PROG_LOAD');
  t.equal(error.errno, 1);
  t.equal(error.code, 'EPERM');
  t.match(error.message, /^BPF_PROG_LOAD failed: EPERM \(Operation not permitted\) — run as root or grant CAP_BPF and CAP_PERFMON/);
  t.equal(error.verifierLog, undefined);
});

t.test('hints per errno and context', async (t) => {
  for (const errno of [Errno.EPERM, Errno.EACCES]) {
    t.match(
      new KernelError('perf_event_open(bpf output, cpu 0)', errno, { context: 'perf' }).hint,
      'run as root or grant CAP_BPF and CAP_PERFMON',
    );
  }
  t.match(new KernelError('BPF_MAP_CREATE(x)', Errno.EPERM, { context: 'bpf' }).hint, /ulimit -l/, 'old kernels charge memlock');

  const tracepoint = new KernelError('perf_event_open(tracepoint sock:inet_sock_set_state, cpu 0)', Errno.ENOENT, {
    context: 'tracepoint',
  });
  t.match(tracepoint.hint, /kernel is too old.*tracefs is missing/);
  t.match(tracepoint.message, /^perf_event_open\(tracepoint sock:inet_sock_set_state, cpu 0\) failed: ENOENT/);
  t.equal(new KernelError('BPF_MAP_LOOKUP_ELEM(x)', Errno.ENOENT, { context: 'bpf' }).hint, '', 'ENOENT elsewhere has no tracepoint hint');
  t.notMatch(new KernelError('op', Errno.ENOENT).message, /—/, 'no dangling dash without a hint');

  for (const errno of [Errno.E2BIG, Errno.EINVAL]) t.match(hintFor(errno, 'perf'), /kernel is too old for this attr/);
  t.match(hintFor(Errno.EINVAL, 'tracepoint'), /no tracepoint has this id/);
  t.match(hintFor(Errno.E2BIG, 'tracepoint'), /kernel is too old for this attr/);
  t.match(hintFor(Errno.EMFILE), /ulimit -n/);
  t.match(hintFor(Errno.ENFILE), /ulimit -n/);
  t.match(hintFor(Errno.EPERM, 'mount'), /CAP_SYS_ADMIN/);
  t.match(hintFor(Errno.EPERM, 'mmap'), /perf_event_mlock_kb/);
  t.match(new KernelError('op', Errno.EPERM, { hint: 'custom' }).message, /— custom$/, 'explicit hint wins');
});

t.test('a verifier rejection carries the log and its last lines', async (t) => {
  const log = [
    'func#0 @0',
    'reg type unsupported for arg#0 function main#1',
    '0: R1=ctx() R10=fp0',
    '; int probe(void *ctx)',
    '0: (b7) r0 = 0',
    '1: (85) call bpf_unknown#999',
    'invalid func unknown#999',
    'processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
    '',
    '',
  ].join('\n');
  const error = new KernelError('BPF_PROG_LOAD(probe)', Errno.EINVAL, { context: 'bpf', verifierLog: log });
  t.equal(error.verifierLog, log, 'the whole log');
  t.match(error.hint, /verifier rejected/);
  t.match(error.message, /^BPF_PROG_LOAD\(probe\) failed: EINVAL \(Invalid argument\) — the verifier rejected/);
  t.match(error.message, /\n {4}invalid func unknown#999\n {4}processed 2 insns/);
  t.notMatch(error.message, /func#0 @0/, 'only the last lines go in the message');
  t.equal(summarizeVerifierLog('a\n\nb\nc\n', 2), 'b\nc');
  t.equal(new KernelError('op', Errno.EACCES, { verifierLog: '' }).verifierLog, undefined, 'an empty log is no log');
});
