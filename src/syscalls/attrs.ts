// Byte layouts of the attrs passed to bpf(2) and perf_event_open(2). Every writer expects a
// zero-filled buffer and writes little-endian (both supported architectures are LE).
// Offsets: include/uapi/linux/bpf.h and include/uapi/linux/perf_event.h (checked against the
// linux-libc-dev 6.1 headers with offsetof(), and by test/syscalls/attrs-btf.test.ts against the
// running kernel's BTF); each field cites the struct it belongs to.

/** enum bpf_cmd (bpf.h). */
export const BpfCommand = {
  MAP_CREATE: 0,
  MAP_LOOKUP_ELEM: 1,
  MAP_UPDATE_ELEM: 2,
  MAP_DELETE_ELEM: 3,
  MAP_GET_NEXT_KEY: 4,
  PROG_LOAD: 5,
  PROG_GET_NEXT_ID: 11,
  MAP_GET_NEXT_ID: 12,
  OBJ_GET_INFO_BY_FD: 15,
  ENABLE_STATS: 32,
} as const;
/** A bpf(2) command by name, e.g. `'PROG_LOAD'`. */
export type BpfCommandName = keyof typeof BpfCommand;

/** BPF_OBJ_NAME_LEN (bpf.h): 15 characters and a NUL. */
export const BPF_OBJ_NAME_LEN = 16;

// We pass each command the size up to the end of the last field we set: the kernel zero-fills
// the rest, and older kernels that know fewer fields accept it (a larger size with unknown
// non-zero bytes would be E2BIG).
/** Bytes of `union bpf_attr` passed with each command (see the comment above). */
export const attrSize = {
  /** offsetofend(map_name): map_type@0 key_size@4 value_size@8 max_entries@12 map_flags@16 inner_map_fd@20 numa_node@24 map_name@28[16]. */
  mapCreate: 44,
  /** offsetofend(flags): map_fd@0 key@8 value|next_key@16 flags@24. */
  mapElem: 32,
  /** offsetofend(expected_attach_type): see writeProgLoadAttr. */
  progLoad: 72,
  /** offsetofend(open_flags): start_id@0 next_id@4 open_flags@8. */
  getNextId: 12,
  /** offsetofend(info.info): info.bpf_fd@0 info.info_len@4 info.info@8. */
  objInfo: 16,
  /** enable_stats.type@0. */
  enableStats: 4,
  /** The largest of the above, for one scratch attr buffer. */
  max: 72,
} as const;

/** The names the kernel accepts for maps and programs (bpf_obj_name_cpy in kernel/bpf/syscall.c). */
export function validateObjectName(name: string): void {
  if (!/^[A-Za-z0-9_.]{0,15}$/.test(name)) {
    throw new RangeError(`BPF object name "${name}" must be at most 15 characters of [A-Za-z0-9_.]`);
  }
}

function writeName(view: DataView, offset: number, name: string): void {
  validateObjectName(name);
  for (let i = 0; i < name.length; i++) view.setUint8(offset + i, name.charCodeAt(i));
}

/** The BPF_MAP_CREATE fields {@link writeMapCreateAttr} sets. */
export interface MapCreateFields {
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  name: string;
}

/** Writes BPF_MAP_CREATE's attr into a zero-filled `view` of at least `attrSize.mapCreate` bytes. */
export function writeMapCreateAttr(view: DataView, f: MapCreateFields): void {
  view.setUint32(0, f.type, true); // map_type
  view.setUint32(4, f.keySize, true); // key_size
  view.setUint32(8, f.valueSize, true); // value_size
  view.setUint32(12, f.maxEntries, true); // max_entries
  view.setUint32(16, f.flags, true); // map_flags
  writeName(view, 28, f.name); // map_name[BPF_OBJ_NAME_LEN] (after inner_map_fd@20, numa_node@24)
}

/** The fields of the map element commands (lookup, update, delete, get next key). */
export interface MapElemFields {
  mapFd: number;
  key: bigint;
  /** value (lookup/update) or next_key (get next key): they share offset 16. */
  valueOrNextKey: bigint;
  flags: bigint;
}

/** Writes a map element command's attr; `key` and `valueOrNextKey` are native addresses. */
export function writeMapElemAttr(view: DataView, f: MapElemFields): void {
  view.setUint32(0, f.mapFd, true); // map_fd
  view.setBigUint64(8, f.key, true); // key (__aligned_u64, so 4 bytes of padding before it)
  view.setBigUint64(16, f.valueOrNextKey, true); // value / next_key
  view.setBigUint64(24, f.flags, true); // flags
}

/** The BPF_PROG_LOAD fields {@link writeProgLoadAttr} sets; `insns`, `license`, `logBuf` are native addresses. */
export interface ProgLoadFields {
  type: number;
  insnCount: number;
  insns: bigint;
  license: bigint;
  logLevel: number;
  logSize: number;
  logBuf: bigint;
  name: string;
  expectedAttachType: number;
}

/** Writes BPF_PROG_LOAD's attr into a zero-filled `view` of at least `attrSize.progLoad` bytes. */
export function writeProgLoadAttr(view: DataView, f: ProgLoadFields): void {
  view.setUint32(0, f.type, true); // prog_type
  view.setUint32(4, f.insnCount, true); // insn_cnt
  view.setBigUint64(8, f.insns, true); // insns
  view.setBigUint64(16, f.license, true); // license
  view.setUint32(24, f.logLevel, true); // log_level
  view.setUint32(28, f.logSize, true); // log_size
  view.setBigUint64(32, f.logBuf, true); // log_buf
  // kern_version@40 and prog_flags@44 stay 0.
  writeName(view, 48, f.name); // prog_name[BPF_OBJ_NAME_LEN]
  // prog_ifindex@64 stays 0.
  view.setUint32(68, f.expectedAttachType, true); // expected_attach_type
}

/** Writes the attr of BPF_PROG_GET_NEXT_ID / BPF_MAP_GET_NEXT_ID: the id to start after. */
export function writeGetNextIdAttr(view: DataView, startId: number): void {
  view.setUint32(0, startId, true); // start_id; the kernel writes next_id@4
}

/** The next id the kernel wrote back into a GET_NEXT_ID attr. */
export function readNextId(view: DataView): number {
  return view.getUint32(4, true); // next_id
}

/** Writes BPF_OBJ_GET_INFO_BY_FD's attr: the object's fd and where (`info`, native) and how much (`infoLen`) to write. */
export function writeObjInfoAttr(view: DataView, fd: number, infoLen: number, info: bigint): void {
  view.setUint32(0, fd, true); // info.bpf_fd
  view.setUint32(4, infoLen, true); // info.info_len (the kernel writes back how much it filled)
  view.setBigUint64(8, info, true); // info.info
}

/** enum bpf_stats_type (bpf.h). */
export const BPF_STATS_RUN_TIME = 0;

/** Writes BPF_ENABLE_STATS's attr; `type` is BPF_STATS_RUN_TIME. */
export function writeEnableStatsAttr(view: DataView, type: number): void {
  view.setUint32(0, type, true); // enable_stats.type
}

/** sizeof(struct bpf_prog_info) in the 6.1 uapi; newer kernels accept it (the tail is zero). */
export const PROG_INFO_SIZE = 232;

/** What BPF_OBJ_GET_INFO_BY_FD tells about a loaded program (the fields this project reads). */
export interface ProgramInfo {
  id: number;
  /** The program's SHA-1-derived tag as 16 hex digits, like bpftool prints it. */
  tag: string;
  name: string;
  /** Needs stats enabled (enableStats() or sysctl kernel.bpf_stats_enabled=1). */
  runTimeNs: bigint;
  runCnt: bigint;
}

/** Decodes struct bpf_prog_info (bpf.h). */
export function parseProgramInfo(view: DataView): ProgramInfo {
  let tag = '';
  for (let i = 0; i < 8; i++)
    tag += view
      .getUint8(8 + i)
      .toString(16)
      .padStart(2, '0'); // tag[8]@8
  let name = '';
  for (let i = 0; i < BPF_OBJ_NAME_LEN; i++) {
    const c = view.getUint8(64 + i); // name[16]@64
    if (c === 0) break;
    name += String.fromCharCode(c);
  }
  return {
    id: view.getUint32(4, true), // id@4 (type@0)
    tag,
    name,
    runTimeNs: view.getBigUint64(192, true), // run_time_ns@192
    runCnt: view.getBigUint64(200, true), // run_cnt@200
  };
}

// ---- perf_event_open(2) ----

/** enum perf_type_id (perf_event.h). */
export const PerfType = { HARDWARE: 0, SOFTWARE: 1, TRACEPOINT: 2 } as const;
/** enum perf_sw_ids (perf_event.h). */
export const PERF_COUNT_SW_BPF_OUTPUT = 10;
/** enum perf_event_sample_format (perf_event.h). */
export const PERF_SAMPLE_RAW = 1n << 10n;
/** perf_event_open flags (perf_event.h). */
export const PERF_FLAG_FD_CLOEXEC = 8;

/**
 * sizeof(struct perf_event_attr) as of PERF_ATTR_SIZE_VER7; the kernel accepts a larger size
 * than it knows as long as the extra bytes are zero, and a smaller one zero-extended.
 */
export const PERF_ATTR_SIZE = 128;

// Bits of the u64 bitfield at offset 40 (perf_event.h: disabled is bit 0, in declaration order).
const ATTR_BIT_DISABLED = 0n;
const ATTR_BIT_WATERMARK = 14n;

/** The `struct perf_event_attr` fields {@link writePerfEventAttr} sets. */
export interface PerfEventAttrFields {
  type: number;
  config: bigint;
  samplePeriod?: bigint;
  sampleType?: bigint;
  disabled?: boolean;
  /** Wake readers after this many samples... */
  wakeupEvents?: number;
  /** ...or after this many bytes (sets the watermark bit). */
  wakeupWatermark?: number;
}

/** Writes a `struct perf_event_attr` (size PERF_ATTR_SIZE) into a zero-filled `view`. */
export function writePerfEventAttr(view: DataView, f: PerfEventAttrFields): void {
  if (f.wakeupEvents !== undefined && f.wakeupWatermark !== undefined) {
    throw new RangeError('perf_event_attr: wakeup_events and wakeup_watermark share one field; pick one');
  }
  view.setUint32(0, f.type, true); // type
  view.setUint32(4, PERF_ATTR_SIZE, true); // size
  view.setBigUint64(8, f.config, true); // config
  view.setBigUint64(16, f.samplePeriod ?? 0n, true); // sample_period (union with sample_freq)
  view.setBigUint64(24, f.sampleType ?? 0n, true); // sample_type
  // read_format@32 stays 0.
  let bits = 0n;
  if (f.disabled === true) bits |= 1n << ATTR_BIT_DISABLED;
  if (f.wakeupWatermark !== undefined) bits |= 1n << ATTR_BIT_WATERMARK;
  view.setBigUint64(40, bits, true); // disabled:1, inherit:1, ... watermark:1 (bit 14), ...
  // wakeup_events / wakeup_watermark (a union)@48
  view.setUint32(48, f.wakeupWatermark ?? f.wakeupEvents ?? 0, true);
}

/** PERF_EVENT_IOC_* (perf_event.h): _IO('$', 0), _IO('$', 1), _IOW('$', 8, __u32). */
export const PerfIoctl = { ENABLE: 0x2400, DISABLE: 0x2401, SET_BPF: 0x40042408 } as const;

// struct perf_event_mmap_page's offsets live with the ring reader: src/perf/layout.ts.
