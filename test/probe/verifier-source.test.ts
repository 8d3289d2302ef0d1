// A verifier rejection points at the program's source: a deliberately bad program, loaded into
// this kernel, must fail with a KernelError whose message names the slot the verifier stopped
// at and that slot's line of the program text, comment included.
import t from 'tap';
import { kernelTest } from '../helpers/kernel.ts';
import { KernelError, bpf, loadTracepointProgram } from '../../src/internal.ts';

t.test('a verifier rejection shows the source line it names', kernelTest(), async (t) => {
  const program = bpf`
    r6 = r1                              // the tracepoint record
    call bpf_get_current_task
    r1 = *(u64 *)(r0 + 16)               // deliberately wrong: r0 is a scalar to the verifier
    r0 = 0
    exit`;
  let error: unknown;
  try {
    // Never attached: the load fails first.
    loadTracepointProgram({ name: 'bad_on_purpose', program, attachTo: { group: 'sock', event: 'inet_sock_set_state', id: 0 } }).close();
  } catch (caught) {
    error = caught;
  }
  t.ok(error instanceof KernelError, 'the load fails with a KernelError');
  const kernelError = error as KernelError;
  t.match(kernelError.verifierLog, /2: \([0-9a-f]{2}\) r1 = \*\(u64 \*\)\(r0 \+16\)/, 'the log names slot 2');
  t.match(
    kernelError.message,
    'the verifier rejected the program at slot 2, line 4 of the program text: r1 = *(u64 *)(r0 + 16)               // deliberately wrong: r0 is a scalar to the verifier',
  );
  t.match(kernelError.message, "R0 invalid mem access 'scalar'", "and still ends with the verifier's reason");
  t.equal(kernelError.code, 'EACCES');
});
