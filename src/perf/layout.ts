// Byte layouts shared with the kernel. Offsets are from include/uapi/linux/perf_event.h and
// include/uapi/linux/bpf.h (checked against the 6.18 headers): everything before data_head in
// struct perf_event_mmap_page is padded so the ring control words start at exactly 1 KiB.
// test/syscalls/attrs-btf.test.ts checks the mmap page offsets against the kernel's BTF.

/** struct perf_event_mmap_page: offsets of the ring control words in the metadata page. */
export const PERF_MMAP_DATA_HEAD = 1024;
export const PERF_MMAP_DATA_TAIL = 1032;
export const PERF_MMAP_DATA_OFFSET = 1040;
export const PERF_MMAP_DATA_SIZE = 1048;

/** struct perf_event_header: u32 type, u16 misc, u16 size. */
export const PERF_EVENT_HEADER_SIZE = 8;

/** enum perf_event_type values this reader understands. */
export const PERF_RECORD_LOST = 2;
export const PERF_RECORD_SAMPLE = 9;

/** PERF_RECORD_LOST body: u64 id, u64 lost (sample_id trailer only with sample_id_all). */
export const PERF_RECORD_LOST_MIN_SIZE = PERF_EVENT_HEADER_SIZE + 16;

/** PERF_RECORD_SAMPLE with sample_type == PERF_SAMPLE_RAW: u32 size, then the raw bytes. */
export const PERF_SAMPLE_RAW_SIZE_FIELD = 4;

/** BPF ring buffer record header: u32 len (with the two flag bits), u32 pg_off. */
export const BPF_RINGBUF_HDR_SZ = 8;
export const BPF_RINGBUF_BUSY_BIT = 0x8000_0000;
export const BPF_RINGBUF_DISCARD_BIT = 0x4000_0000;
export const BPF_RINGBUF_LEN_MASK = 0x3fff_ffff;

/** Kernel ring records are 8-byte aligned in both buffer kinds. */
export const RECORD_ALIGNMENT = 8;

export function isPowerOfTwo(value: number): boolean {
  return Number.isInteger(value) && value > 0 && (value & (value - 1)) === 0;
}
