#!/usr/bin/env node
// tcpstates: every TCP state change on this host, with the time the socket spent in the state
// it leaves — libbpf-tools' tcpstates, rebuilt on the ts-tcpaccept library alone. Everything
// comes from the package root: if this file ever needs a deeper import, the public API is
// missing something.
//
//   node --import tsx examples/tcpstates.ts [-4 | -6] [-L PORTS] [-D PORTS] [-T] [--ebpf]
//
// One program on sock:inet_sock_set_state filters in the kernel (protocol, family, ports),
// times each socket's states in an LRU hash keyed by the socket's address, and writes a
// 72-byte record (declared once with defineRecord) to a BPF ring buffer. The state change runs in whatever context the kernel
// made it (often softirq), so no PID is recorded: it would belong to whoever was on the CPU.
import { parseArgs } from 'node:util';
import {
  AF_INET,
  AF_INET6,
  IPPROTO_TCP,
  MapType,
  RingBufferReader,
  TCP_CLOSE,
  TCP_STATE_NAMES,
  UpdateFlags,
  createMap,
  createRingBuffer,
  defineRecord,
  formatIpv6,
  loadField,
  loadTracepointProgram,
  monotonicToWallClockMs,
  parse,
  readTracepointFormat,
  ringbufOutput,
  type BpfMap,
  type FormatField,
  type Program,
  type TracepointFormat,
} from '../src/index.ts';

const USAGE = 'usage: tcpstates [-h] [-4 | -6] [-L PORTS] [-D PORTS] [-T] [--ebpf]';
const HELP = `${USAGE}

Trace TCP state changes: one line per transition, with the milliseconds the socket spent in
the state it leaves (0.000 when its previous change was not seen). Needs root.

options:
  -h, --help          show this help and exit
  -4, --ipv4          only IPv4 sockets
  -6, --ipv6          only IPv6 sockets
  -L, --localport P   only these local ports, comma separated (e.g. 80,443)
  -D, --remoteport P  only these remote ports, comma separated
  -T, --time          prefix each line with the wall-clock time (HH:MM:SS)
  --ebpf              print the BPF program as annotated assembly and exit`;

/** Sockets timed at once; the LRU hash forgets the least recently changed beyond that. */
const TIMESTAMP_ENTRIES = 10240;
/** Ring buffer size: 256 KiB holds ~3 500 records between two reads. */
const RING_BYTES = 256 * 1024;

/** The record the program writes and the decoder reads; padding is zeroed with the record. */
const StateRecord = defineRecord({
  skaddr: 'u64', //      struct sock *: SKADDR, and the key of the timestamps map
  timestampNs: 'u64', // bpf_ktime_get_ns() at the change
  deltaNs: 'u64', //     time in the old state; 0 when the previous change was not seen
  oldstate: 'u32',
  newstate: 'u32',
  family: 'u16',
  localPort: 'u16', //   host byte order
  remotePort: 'u16', //  host byte order
  localAddr: 'u8[16]', // IPv4 in the first 4 bytes
  remoteAddr: 'u8[16]',
});
/** The timestamps map's value, and the -L/-D port maps' key (u16, host order). */
const Timestamp = defineRecord({ ns: 'u64' });
const PortKey = defineRecord({ port: 'u16' });

// Stack frame: the record at the top, then the map value and the port key below it.
const rec = StateRecord.onStack(-StateRecord.size);
const value = Timestamp.onStack(rec.offset - Timestamp.size);
const key = PortKey.onStack(value.offset - 8);

interface Options {
  ipVersion: 4 | 6 | undefined;
  localPorts: number[];
  remotePorts: number[];
  time: boolean;
  ebpf: boolean;
}

/** A load of one tracepoint field, whatever its size on this kernel (protocol was u8 before 5.6). */
function load(register: string, field: FormatField): string {
  return loadField(register, 'r6', { offset: field.offset, size: field.size }); // each use says which field
}

/** A `-L`/`-D` check: leave unless the port in r1 is a key of `map`. */
function portFilter(map: string, what: string): string {
  return `
${key.store('port', 'r1')}                     // key: the ${what} port
r1 = map[${map}] ll
r2 = r10
r2 += ${key.offset}
call bpf_map_lookup_elem
if r0 == 0 goto out                           // a ${what} port nobody asked for`;
}

/** The program, as text: offsets from the tracepoint's format file, filters from the options. */
function tcpstatesProgramText(tp: TracepointFormat, options: Options): string {
  const f = (name: string) => tp.field(name);
  const family =
    options.ipVersion === 4
      ? `if r7 != ${AF_INET} goto out                  // -4`
      : options.ipVersion === 6
        ? `if r7 != ${AF_INET6} goto out                 // -6`
        : `if r7 == ${AF_INET} goto family_ok
if r7 != ${AF_INET6} goto out
family_ok:`;
  return `
// sock:inet_sock_set_state — one record per TCP state change.
r6 = r1                                       // r6 = tracepoint record; survives helper calls
${load('r1', f('protocol'))}                  // protocol
if r1 != ${IPPROTO_TCP} goto out                          // TCP only: SCTP and MPTCP sockets change state here too
${load('r7', f('family'))}                  // r7 = family
${family}
${rec.zero()}
${load('r1', f('sport'))}                  // sport: the local port, host byte order
${rec.store('localPort', 'r1')}
${options.localPorts.length > 0 ? portFilter('sports', 'local') : ''}
${load('r1', f('dport'))}                  // dport: the remote port, host byte order
${rec.store('remotePort', 'r1')}
${options.remotePorts.length > 0 ? portFilter('dports', 'remote') : ''}
${load('r1', f('skaddr'))}                   // skaddr: which socket
${rec.store('skaddr', 'r1')}     // SKADDR, and the key of the timestamps map
call bpf_ktime_get_ns
r8 = r0                                       // r8 = now; survives helper calls
${rec.store('timestampNs', 'r0')}
r1 = map[timestamps] ll
r2 = r10
r2 += ${rec.offset + StateRecord.offsetOf('skaddr')}                  // key: skaddr, already in the record
call bpf_map_lookup_elem
if r0 == 0 goto first_seen                    // new socket, or its last change predates us: deltaNs stays 0
r1 = *(u64 *)(r0 + ${Timestamp.offsetOf('ns')})                         // when the socket entered its old state
r2 = r8
r2 -= r1
${rec.store('deltaNs', 'r2')}    // time spent in the old state
first_seen:
${load('r1', f('oldstate'))}                  // oldstate
${rec.store('oldstate', 'r1')}
${load('r9', f('newstate'))}                  // r9 = newstate
${rec.store('newstate', 'r9')}
${rec.store('family', 'r7')}
if r9 == ${TCP_CLOSE} goto forget                          // TCP_CLOSE: the socket is done with
${value.store('ns', 'r8')}                    // value: when it entered the new state
r1 = map[timestamps] ll
r2 = r10
r2 += ${rec.offset + StateRecord.offsetOf('skaddr')}
r3 = r10
r3 += ${value.offset}
r4 = ${UpdateFlags.ANY}                                         // BPF_ANY: create or replace
call bpf_map_update_elem
goto addresses
forget:
r1 = map[timestamps] ll
r2 = r10
r2 += ${rec.offset + StateRecord.offsetOf('skaddr')}
call bpf_map_delete_elem                      // free the slot now rather than by LRU eviction
addresses:
if r7 == ${AF_INET6} goto ipv6
${rec.copy('localAddr', 'r6', f('saddr').offset, f('saddr').size)}
${rec.copy('remoteAddr', 'r6', f('daddr').offset, f('daddr').size)}
goto emit
ipv6:
${rec.copy('localAddr', 'r6', f('saddr_v6').offset)}
${rec.copy('remoteAddr', 'r6', f('daddr_v6').offset)}
emit:
${ringbufOutput('events', rec.offset, StateRecord.size)}
out:
r0 = 0
exit
`;
}

/** One state change, decoded. */
interface StateChange {
  skaddr: bigint;
  timestampNs: bigint;
  /** Nanoseconds spent in oldstate; 0n when the previous change was not seen. */
  deltaNs: bigint;
  oldstate: string;
  newstate: string;
  ipVersion: 4 | 6;
  localAddr: string;
  localPort: number;
  remoteAddr: string;
  remotePort: number;
}

function decodeStateChange(bytes: Uint8Array): StateChange {
  const r = StateRecord.decode(bytes);
  const state = (value: number) => TCP_STATE_NAMES[value] ?? String(value);
  const ipVersion = r.family === AF_INET6 ? 6 : 4;
  const address = (addr: Uint8Array) => (ipVersion === 6 ? ipv6Text(addr) : addr.subarray(0, 4).join('.'));
  return {
    skaddr: r.skaddr,
    timestampNs: r.timestampNs,
    deltaNs: r.deltaNs,
    oldstate: state(r.oldstate),
    newstate: state(r.newstate),
    ipVersion,
    localAddr: address(r.localAddr),
    localPort: r.localPort,
    remoteAddr: address(r.remoteAddr),
    remotePort: r.remotePort,
  };
}

/** IPv6 text; an IPv4-mapped address (a dual-stack socket's IPv4 peer) as ::ffff:a.b.c.d. */
function ipv6Text(addr: Uint8Array): string {
  const mapped = addr.subarray(0, 10).every((b) => b === 0) && addr[10] === 0xff && addr[11] === 0xff;
  return mapped ? `::ffff:${addr.subarray(12, 16).join('.')}` : formatIpv6(addr);
}

function endpoint(ipVersion: 4 | 6, address: string, port: number): string {
  return ipVersion === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

const HEADER = `${'SKADDR'.padEnd(16)} ${'LADDR:LPORT'.padEnd(21)} ${'RADDR:RPORT'.padEnd(21)} ${'OLDSTATE'.padEnd(12)}-> ${'NEWSTATE'.padEnd(12)} ${'MS'.padStart(9)}`;

function formatStateChange(change: StateChange): string {
  const ms = (Number(change.deltaNs) / 1e6).toFixed(3);
  return [
    change.skaddr.toString(16).padStart(16, '0'),
    endpoint(change.ipVersion, change.localAddr, change.localPort).padEnd(21),
    endpoint(change.ipVersion, change.remoteAddr, change.remotePort).padEnd(21),
    `${change.oldstate.padEnd(12)}-> ${change.newstate.padEnd(12)}`,
    ms.padStart(9),
  ].join(' ');
}

class UsageError extends Error {}

function ports(text: string, option: string): number[] {
  return text.split(',').map((part) => {
    const port = Number(part.trim());
    if (!/^\d+$/.test(part.trim()) || port < 1 || port > 65535) throw new UsageError(`${option}: "${part}" is not a port (1-65535)`);
    return port;
  });
}

function parseOptions(argv: string[]): Options & { help: boolean } {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h' },
        ipv4: { type: 'boolean', short: '4' },
        ipv6: { type: 'boolean', short: '6' },
        localport: { type: 'string', short: 'L', multiple: true },
        remoteport: { type: 'string', short: 'D', multiple: true },
        time: { type: 'boolean', short: 'T' },
        ebpf: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.ipv4 && values.ipv6) throw new UsageError('-4 and -6 exclude each other');
  return {
    help: values.help === true,
    ipVersion: values.ipv4 ? 4 : values.ipv6 ? 6 : undefined,
    localPorts: (values.localport ?? []).flatMap((text) => ports(text, '-L')),
    remotePorts: (values.remoteport ?? []).flatMap((text) => ports(text, '-D')),
    time: values.time === true,
    ebpf: values.ebpf === true,
  };
}

/** A hash map whose keys are the wanted ports (u16, host order), for -L and -D. */
function portMap(name: string, wanted: number[]): BpfMap {
  const map = createMap({ type: MapType.Hash, name, keySize: PortKey.size, valueSize: 1, maxEntries: wanted.length });
  try {
    for (const port of wanted) map.update(PortKey.encode({ port }), Uint8Array.of(1));
  } catch (error) {
    map.close();
    throw error;
  }
  return map;
}

function wallClock(timestampNs: bigint): string {
  return new Date(monotonicToWallClockMs(timestampNs)).toTimeString().slice(0, 8);
}

function main(): void {
  let options: ReturnType<typeof parseOptions>;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${USAGE}\ntcpstates: error: ${error.message}\n`);
    process.exit(2);
  }
  if (options.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  // TS_TCPACCEPT_TRACEFS, as for ts-tcpaccept itself: another tracefs root (the docs list the
  // program for a recorded kernel's format files).
  const tp = readTracepointFormat('sock', 'inet_sock_set_state', process.env.TS_TCPACCEPT_TRACEFS || undefined);
  const program: Program = parse(tcpstatesProgramText(tp, options));
  if (options.ebpf) {
    process.stdout.write(`// tcpstates program (BPF_PROG_TYPE_TRACEPOINT, ${program.instructionCount} instructions)\n`);
    process.stdout.write(`// attached to: tracepoint:${tp.group}:${tp.event}; maps: ${program.mapNames.join(', ')}\n`);
    process.stdout.write(program.disassemble());
    return;
  }

  // Owners in creation order; closed in reverse, so links go before programs and maps.
  const owned: Array<{ close(): void }> = [];
  const closeAll = () => {
    for (const owner of owned.splice(0).reverse()) owner.close();
  };
  try {
    const events = createRingBuffer('tcpstates_evts', RING_BYTES);
    owned.push(events);
    const maps: Record<string, BpfMap> = { events };
    const keySize = StateRecord.fields.skaddr.size;
    maps.timestamps = createMap({
      type: MapType.LruHash,
      name: 'tcpstates_ts',
      keySize,
      valueSize: Timestamp.size,
      maxEntries: TIMESTAMP_ENTRIES,
    });
    owned.push(maps.timestamps);
    if (options.localPorts.length > 0) owned.push((maps.sports = portMap('tcpstates_lport', options.localPorts)));
    if (options.remotePorts.length > 0) owned.push((maps.dports = portMap('tcpstates_rport', options.remotePorts)));

    // One ring for every CPU keeps records in the order they were reserved; sorting a batch by
    // time also orders two CPUs' changes that raced for the ring.
    let batch: StateChange[] = [];
    const flush = () => {
      const changes = batch.sort((a, b) => (a.timestampNs < b.timestampNs ? -1 : a.timestampNs > b.timestampNs ? 1 : 0));
      batch = [];
      const lines = changes.map((c) => (options.time ? `${wallClock(c.timestampNs)} ` : '') + formatStateChange(c));
      process.stdout.write(`${lines.join('\n')}\n`);
    };
    // The reader exists before the program runs, so nothing written in between is lost.
    owned.push(
      new RingBufferReader(events, {
        onRecord: (_cpu, bytes) => {
          if (batch.length === 0) queueMicrotask(flush);
          batch.push(decodeStateChange(bytes));
        },
        onError: (error) => {
          process.stderr.write(`tcpstates: ${error.message}\n`);
          closeAll();
          process.exit(1);
        },
      }),
    );
    owned.push(loadTracepointProgram({ name: 'tcpstates', program, attachTo: tp, maps }));
  } catch (error) {
    closeAll();
    process.stderr.write(`tcpstates: ${(error as Error).message}\n`);
    process.exit(1);
  }

  const stop = () => {
    closeAll();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // The header is the ready signal: the program is attached once it is out.
  process.stdout.write(`${options.time ? 'TIME     ' : ''}${HEADER}\n`);
}

main();
