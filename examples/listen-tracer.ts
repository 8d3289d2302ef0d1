// A custom tracer in 26 lines: print the port of every socket that starts listening.
import { bpf, createPerfEventArray, loadTracepointProgram, PerfEventArrayReader, readTracepointFormat } from '../src/index.ts';

const tp = readTracepointFormat('sock', 'inet_sock_set_state');
const events = createPerfEventArray('listen_events');
const program = bpf`
    r2 = *(u32 *)(r1 + ${tp.field('newstate').offset})   // the state the socket enters
    if r2 != 10 goto out                                  // TCP_LISTEN: a server is ready
    r2 = *(u16 *)(r1 + ${tp.field('sport').offset})      // its port, host byte order
    *(u64 *)(r10 - 8) = r2                                // the 8-byte record, on the stack
    r2 = map[events] ll
    r3 = 0xffffffff ll                                    // BPF_F_CURRENT_CPU: this CPU's ring
    r4 = r10
    r4 += -8
    r5 = 8
    call bpf_perf_event_output                            // r1 is still the tracepoint context
  out:
    r0 = 0
    exit`;
const probe = loadTracepointProgram({ name: 'listen_tracer', program, attachTo: tp, maps: { events } });
const reader = new PerfEventArrayReader(events, {
  wakeup: { events: 1 },
  onRecord: (_cpu, bytes) => console.log(`listening on port ${bytes[0]! | (bytes[1]! << 8)}`),
});
console.log('Tracing listen(); Ctrl-C to end.');
process.on('SIGINT', () => [reader, probe, events].forEach((owner) => owner.close()));
