// Records the kernel could not put in a full ring buffer: the programs count each refused
// output in a per-CPU array, which this reads.
import type { BpfMap } from '../syscalls/index.ts';

/** The per-CPU `lost` array the ring-buffer programs count refused records in. */
export class LostCounter {
  total = 0;
  private readonly key = new Uint8Array(4);

  constructor(private readonly map: BpfMap) {}

  /** Sums the per-CPU slots; returns the increase since the last poll. */
  poll(): number {
    const values = this.map.lookup(this.key);
    if (values === undefined) return 0;
    const view = new DataView(values.buffer, values.byteOffset, values.byteLength);
    let sum = 0;
    for (let offset = 0; offset + 8 <= values.byteLength; offset += 8) sum += Number(view.getBigUint64(offset, true));
    const added = sum - this.total;
    this.total = sum;
    return added;
  }
}
