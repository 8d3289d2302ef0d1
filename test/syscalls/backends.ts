// Shared by the syscalls kernel tests: run a test once per FFI backend, count open fds, and
// find the tracepoint every test attaches to.
import { readdirSync } from 'node:fs';
import { createServer, connect, type AddressInfo } from 'node:net';
import type { Test } from 'tap';
import { bpfRequired } from '../helpers/kernel.ts';
import { backendNames, loadFfiBackend, selectFfiBackend, type BackendName, type FfiBackend } from '../../src/syscalls/ffi.ts';
import { mountTracefs } from '../../src/syscalls/mount.ts';
import { locateTracefs, readTracepoint } from '../../src/syscalls/tracefs.ts';

/** Each backend with the reason it cannot load, if it cannot (fatal under TS_TCPACCEPT_REQUIRE_BPF=1). */
export function backendCases(): Array<{ name: BackendName; skip?: string }> {
  return backendNames.map((name) => {
    try {
      loadFfiBackend(name);
      return { name };
    } catch (error) {
      if (bpfRequired) throw error;
      return { name, skip: (error as Error).message };
    }
  });
}

/** Runs `fn` as a subtest per backend, with that backend selected. */
export function eachBackend(t: Test, title: string, options: { skip?: string }, fn: (t: Test, backend: FfiBackend) => Promise<void>): void {
  for (const backendCase of backendCases()) {
    const skip = options.skip ?? backendCase.skip;
    t.test(`${title} [${backendCase.name}]`, skip === undefined ? {} : { skip }, async (t) => {
      const backend = selectFfiBackend(backendCase.name);
      await fn(t, backend);
    });
  }
}

export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/** The id of sock:inet_sock_set_state, mounting tracefs if this machine has not. */
export function inetSockSetState(): { group: string; event: string; id: number } {
  const root = locateTracefs({ mount: mountTracefs });
  const format = readTracepoint('sock', 'inet_sock_set_state', root);
  return { group: 'sock', event: 'inet_sock_set_state', id: format.id };
}

/** One loopback TCP connection, accepted and closed on both ends. */
export async function loopbackConnection(): Promise<void> {
  const server = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => {
    const client = connect(port, '127.0.0.1');
    client.on('error', reject);
    client.resume();
    client.on('close', () => resolve());
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

// Hand-encoded instructions (the assembler lives elsewhere): opcode, dst|src<<4, off16, imm32.
export function insn(opcode: number, dst: number, src: number, off: number, imm: number): number[] {
  const bytes = new Uint8Array(8);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, opcode);
  view.setUint8(1, (src << 4) | dst);
  view.setInt16(2, off, true);
  view.setInt32(4, imm, true);
  return [...bytes];
}

/** r0 = 0; exit */
export const returnZero = new Uint8Array([...insn(0xb7, 0, 0, 0, 0), ...insn(0x95, 0, 0, 0, 0)]);
/** exit, with r0 never written: the verifier says "R0 !read_ok". */
export const exitWithoutR0 = new Uint8Array(insn(0x95, 0, 0, 0, 0));
