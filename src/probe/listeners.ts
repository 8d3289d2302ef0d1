// Listener snapshots: every TCP listener of this network namespace with its accept queue (how
// many connections wait for accept(), and the limit) and its drop counter, as `ss -tlnm` shows
// them, read through NETLINK_SOCK_DIAG (src/syscalls/sock-diag.ts) and named by owner. The
// drop counter is the kernel's sk_drops: it also counts what no tracepoint sees, such as SYNs
// refused while the queue was full (see docs/how-it-works.md, "Accept-queue health").
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SockDiag, type TcpListener } from '../syscalls/index.ts';
import { ListenerOwnerResolver, type ListenerOwner } from './owner.ts';

/** Which listeners a snapshot keeps; the same meaning as the tracer's filters. */
export interface ListenerFilters {
  /** Only listeners owned by this process (the lowest PID holding the socket). */
  pid?: number | undefined;
  ports?: readonly number[] | undefined;
  /** 4: AF_INET listeners; 6: AF_INET6 listeners (a dual-stack `::` listener is one). */
  ipVersion?: 4 | 6 | undefined;
  /** Only sockets created in this cgroup v2 (INET_DIAG_CGROUP_ID, Linux 5.7+). */
  cgroupId?: bigint | undefined;
  /** Only sockets created in this cgroup v2 directory or below it (its tree is walked per snapshot). */
  cgroupTree?: string | undefined;
}

/** The ids (directory inode numbers) of a cgroup v2 directory and every cgroup below it. */
export function cgroupIdsBelow(path: string): Set<bigint> {
  const ids = new Set<bigint>();
  const walk = (dir: string) => {
    let entries;
    try {
      ids.add(statSync(dir, { bigint: true }).ino);
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // removed meanwhile
    }
    for (const entry of entries) if (entry.isDirectory()) walk(join(dir, entry.name));
  };
  walk(path);
  return ids;
}

/** One listener in one snapshot. */
export interface ListenerSnapshot extends TcpListener {
  /** The owner (lowest PID holding the socket), undefined when it cannot be seen. */
  owner: ListenerOwner | undefined;
  /** Growth of `drops` since this listener's previous snapshot; 0 the first time it is seen. */
  dropsDelta: number | undefined;
}

/** Whether a listener deserves a table line: its drops grew, or its queue is at least half full. */
export function listenerNeedsAttention(listener: ListenerSnapshot): boolean {
  return (listener.dropsDelta ?? 0) > 0 || (listener.queueMax > 0 && listener.queue * 2 >= listener.queueMax);
}

/** Takes listener snapshots; owns its sock_diag socket (close() it). */
export class ListenerMonitor {
  private readonly diag: SockDiag;
  private readonly owners: ListenerOwnerResolver;
  private readonly ports: ReadonlySet<number> | undefined;
  private previousDrops = new Map<number, number>();

  private constructor(
    diag: SockDiag,
    private readonly filters: ListenerFilters,
    owners: ListenerOwnerResolver,
  ) {
    this.diag = diag;
    this.owners = owners;
    this.ports = filters.ports === undefined || filters.ports.length === 0 ? undefined : new Set(filters.ports);
  }

  static open(filters: ListenerFilters = {}, owners: ListenerOwnerResolver = new ListenerOwnerResolver()): ListenerMonitor {
    return new ListenerMonitor(SockDiag.open(), filters, owners);
  }

  /** Every matching listener now, with its owner and the growth of its drop counter. */
  snapshot(): ListenerSnapshot[] {
    const listed = this.diag.tcpListeners(this.filters.ipVersion === undefined ? {} : { family: this.filters.ipVersion });
    const drops = new Map<number, number>();
    const out: ListenerSnapshot[] = [];
    const tree = this.filters.cgroupTree === undefined ? undefined : cgroupIdsBelow(this.filters.cgroupTree);
    for (const listener of listed) {
      if (this.ports !== undefined && !this.ports.has(listener.localPort)) continue;
      if (this.filters.cgroupId !== undefined && listener.cgroupId !== this.filters.cgroupId) continue;
      if (tree !== undefined && (listener.cgroupId === undefined || !tree.has(listener.cgroupId))) continue;
      const owner = this.owners.ownerOfInode(listener.inode);
      if (this.filters.pid !== undefined && owner?.pid !== this.filters.pid) continue;
      let dropsDelta: number | undefined;
      if (listener.drops !== undefined) {
        drops.set(listener.inode, listener.drops);
        const before = this.previousDrops.get(listener.inode);
        dropsDelta = before === undefined ? 0 : listener.drops - before;
      }
      out.push({ ...listener, owner, dropsDelta });
    }
    // Listeners that went away are forgotten; a new socket reusing an inode starts again at 0.
    this.previousDrops = drops;
    return out;
  }

  close(): void {
    this.diag.close();
  }
}
