#!/usr/bin/env node
// tcpretrans: one line per TCP retransmission, BCC's tcpretrans on the tcp:tcp_retransmit_skb
// tracepoint, built on the package root alone: the record is declared once (defineRecord), and
// every offset, size and constant comes from the tracepoint's format file or the library.
//
//   node --import tsx examples/tcpretrans.ts [-4 | -6] [--ebpf]
//
// Retransmits run from timers and softirqs, so PID is whoever was on the CPU (as in BCC).
import { parseArgs } from 'node:util';
import {
  AF_INET,
  AF_INET6,
  RingBufferReader,
  TCP_STATE_NAMES,
  createRingBuffer,
  defineRecord,
  formatIpv6,
  loadField,
  loadTracepointProgram,
  parse,
  readTracepointFormat,
  ringbufOutput,
} from '../src/index.ts';

const { values: flags } = parseArgs({
  options: {
    ipv4: { type: 'boolean', short: '4' },
    ipv6: { type: 'boolean', short: '6' },
    ebpf: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (flags.help || (flags.ipv4 && flags.ipv6)) {
  process.stdout.write(
    'usage: tcpretrans [-h] [-4 | -6] [--ebpf]\n\nTrace TCP retransmits (needs root). -4/-6: one family only; --ebpf: print the program.\n',
  );
  process.exit(flags.help ? 0 : 2);
}

const Retransmit = defineRecord({
  pid: 'u32',
  state: 's32',
  family: 'u16',
  localPort: 'u16',
  remotePort: 'u16',
  localAddr: 'u8[16]',
  remoteAddr: 'u8[16]',
});
const tp = readTracepointFormat('tcp', 'tcp_retransmit_skb');
const f = (name: string) => tp.field(name);
const rec = Retransmit.onStack(-Retransmit.size);
const family = flags.ipv4 ? `if r7 != ${AF_INET} goto out` : flags.ipv6 ? `if r7 != ${AF_INET6} goto out` : '';

const program = parse(`
r6 = r1                                       // r6 = the tracepoint's record; survives calls
${loadField('r7', 'r6', f('family'))}
${family}
${rec.zero()}
call bpf_get_current_pid_tgid
r0 >>= 32                                     // the TGID half: whoever is on this CPU
${rec.store('pid', 'r0')}
${loadField('r1', 'r6', f('state'))}
${rec.store('state', 'r1')}
${rec.store('family', 'r7')}
${loadField('r1', 'r6', f('sport'))}
${rec.store('localPort', 'r1')}
${loadField('r1', 'r6', f('dport'))}
${rec.store('remotePort', 'r1')}
if r7 == ${AF_INET6} goto ipv6
${rec.copy('localAddr', 'r6', f('saddr').offset, f('saddr').size)}
${rec.copy('remoteAddr', 'r6', f('daddr').offset, f('daddr').size)}
goto emit
ipv6:
${rec.copy('localAddr', 'r6', f('saddr_v6').offset)}
${rec.copy('remoteAddr', 'r6', f('daddr_v6').offset)}
emit:
${ringbufOutput('events', rec.offset, Retransmit.size)}
out:
r0 = 0
exit
`);
if (flags.ebpf) {
  process.stdout.write(`${program.disassemble()}\n`);
  process.exit(0);
}

const fail = (error: Error): never => {
  process.stderr.write(`tcpretrans: ${error.message}\n`);
  process.exit(1);
};
const events = createRingBuffer('retrans_events', 256 * 1024);
let tracer: { close(): void } = { close() {} };
try {
  tracer = loadTracepointProgram({ name: 'tcpretrans', program, attachTo: tp, maps: { events } });
} catch (error) {
  events.close();
  fail(error as Error);
}
const endpoint = (family: number, addr: Uint8Array, port: number) =>
  family === AF_INET6 ? `[${formatIpv6(addr)}]:${port}` : `${addr.subarray(0, 4).join('.')}:${port}`;
const reader = new RingBufferReader(events, {
  onError: fail,
  onRecord: (_cpu, bytes) => {
    const r = Retransmit.decode(bytes);
    const time = new Date().toTimeString().slice(0, 8);
    const local = endpoint(r.family, r.localAddr, r.localPort);
    const remote = endpoint(r.family, r.remoteAddr, r.remotePort);
    const state = TCP_STATE_NAMES[r.state] ?? String(r.state);
    process.stdout.write(
      `${time} ${String(r.pid).padEnd(6)} ${r.family === AF_INET6 ? 6 : 4}  ${local.padEnd(20)} R> ${remote.padEnd(20)} ${state}\n`,
    );
  },
});
process.stdout.write(`${'TIME'.padEnd(8)} ${'PID'.padEnd(6)} IP ${'LADDR:LPORT'.padEnd(20)} T> ${'RADDR:RPORT'.padEnd(20)} STATE\n`);
const stop = () => {
  reader.close();
  tracer.close();
  events.close();
  process.exit(0);
};
process.on('SIGINT', stop).on('SIGTERM', stop);
