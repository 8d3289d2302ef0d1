// Run-time statistics of BPF programs we did not load ourselves (bpftrace's, or those of a
// ts-tcpaccept child process): BPF_PROG_GET_FD_BY_ID, then BPF_OBJ_GET_INFO_BY_FD.
import { readFileSync, readdirSync } from 'node:fs';
import {
  PROG_INFO_SIZE,
  attrSize,
  checkedSyscall,
  ffi,
  parseProgramInfo,
  syscallNumbers,
  writeObjInfoAttr,
  type ProgramInfo,
} from '../src/syscalls/index.ts';

const BPF_PROG_GET_FD_BY_ID = 13;
const BPF_OBJ_GET_INFO_BY_FD = 15;
const sys = syscallNumbers();

/** Info (with run_time_ns and run_cnt while stats are enabled) of the program with this id. */
export function programInfoById(id: number): ProgramInfo {
  const backend = ffi();
  const memory = backend.alloc(attrSize.objInfo + PROG_INFO_SIZE);
  try {
    memory.view.setUint32(0, id, true); // prog_id@0
    const fd = checkedSyscall(backend, `BPF_PROG_GET_FD_BY_ID(${id})`, 'bpf', sys.bpf, BPF_PROG_GET_FD_BY_ID, memory.address, 12);
    try {
      memory.bytes.fill(0);
      writeObjInfoAttr(memory.view, fd, PROG_INFO_SIZE, memory.address + BigInt(attrSize.objInfo));
      checkedSyscall(backend, `BPF_OBJ_GET_INFO_BY_FD(${id})`, 'bpf', sys.bpf, BPF_OBJ_GET_INFO_BY_FD, memory.address, attrSize.objInfo);
      return parseProgramInfo(new DataView(memory.view.buffer, memory.view.byteOffset + attrSize.objInfo, PROG_INFO_SIZE));
    } finally {
      backend.close(fd);
    }
  } finally {
    memory.free();
  }
}

/**
 * Ids of the BPF programs a process holds open, from /proc/<pid>/fdinfo: exactly the tool's
 * own programs, even when other tracers run on the machine at the same time.
 */
export function programIdsOfProcess(pid: number): number[] {
  const ids = new Set<number>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fdinfo`);
  } catch {
    return [];
  }
  for (const fd of fds) {
    try {
      const match = /^prog_id:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
      if (match !== null) ids.add(Number(match[1]));
    } catch {
      // closed in between
    }
  }
  return [...ids].sort((a, b) => a - b);
}

export interface RunTotals {
  runTimeNs: number;
  runCnt: number;
}

/** Sum of run_time_ns and run_cnt over these programs. */
export function runTotals(ids: readonly number[]): RunTotals {
  let runTimeNs = 0;
  let runCnt = 0;
  for (const id of ids) {
    const info = programInfoById(id);
    runTimeNs += Number(info.runTimeNs);
    runCnt += Number(info.runCnt);
  }
  return { runTimeNs, runCnt };
}
