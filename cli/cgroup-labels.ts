// --cgroup-labels: who the server is, beyond PID and COMM: the accepting task's cgroup (id and
// path) and the container and Kubernetes pod that path names (src/probe/container.ts). Added to
// --json objects as fields and to tcpaccept_accepted_connections_total as labels.
import type { TaskCgroup } from '../src/internal.ts';

/** The --json fields; null where the task is gone or the path names no container or pod. */
export interface CgroupJsonFields {
  cgroup_id: string | null;
  cgroup: string | null;
  container_id: string | null;
  container_runtime: string | null;
  pod_uid: string | null;
}

export function cgroupJson(where: TaskCgroup | undefined): CgroupJsonFields {
  return {
    // A decimal string, as monotonic_ns: cgroup ids are u64.
    cgroup_id: where?.id === undefined ? null : where.id.toString(),
    cgroup: where?.path ?? null,
    container_id: where?.container?.id ?? null,
    container_runtime: where?.container?.runtime ?? null,
    pod_uid: where?.pod?.uid ?? null,
  };
}

/** The metric labels ('' for unknown, Prometheus's value of an absent label). */
export const CGROUP_LABEL_NAMES = ['cgroup_id', 'cgroup', 'container_id', 'pod_uid'] as const;

export function cgroupLabels(where: TaskCgroup | undefined): Record<(typeof CGROUP_LABEL_NAMES)[number], string> {
  return {
    cgroup_id: where?.id === undefined ? '' : where.id.toString(),
    cgroup: where?.path ?? '',
    container_id: where?.container?.id ?? '',
    pod_uid: where?.pod?.uid ?? '',
  };
}
