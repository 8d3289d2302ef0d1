// Who is the server: the container (and Kubernetes pod) a cgroup v2 path names, parsed from the
// naming conventions of the runtimes and of systemd. Pure: a path in, facts out; a path that
// follows none of these conventions names no container, and nothing is guessed from it.
//
// The conventions (one path component each; the innermost container wins, so a container
// nested in another, as in kind or Docker-in-Docker, is reported as itself):
//   docker, systemd cgroup driver      system.slice/docker-<64 hex>.scope
//   docker, cgroupfs driver            /docker/<64 hex>
//   containerd (CRI), systemd driver   kubepods.slice/…/cri-containerd-<64 hex>.scope
//   containerd outside systemd (kind)  kubepods-…-pod<uid>.slice:cri-containerd:<64 hex>
//   CRI-O, systemd driver              …/crio-<64 hex>.scope   (crio-conmon-<id>.scope is its monitor, not the container)
//   podman                             …/libpod-<64 hex>.scope  (libpod-conmon-<id>.scope: the monitor)
//   any CRI runtime, cgroupfs driver   /kubepods/<qos>/pod<uid>/<64 hex>
// Kubernetes pods: kubepods[-<qos>]-pod<uid with _ for ->.slice (systemd driver) or
// kubepods/[<qos>/]pod<uid> (cgroupfs); the QoS class is burstable, besteffort, or guaranteed
// (no QoS level).

export type ContainerRuntime = 'docker' | 'containerd' | 'cri-o' | 'podman' | 'cri';

export interface CgroupContainer {
  /** The container's id: 64 lower-case hex digits, as `docker ps --no-trunc` and `crictl ps` show it. */
  id: string;
  /** Which naming it matched; `cri` is a Kubernetes container under the cgroupfs driver (containerd or CRI-O). */
  runtime: ContainerRuntime;
}

export interface CgroupPod {
  /** The pod's UID (metadata.uid), with dashes. */
  uid: string;
  qos: 'guaranteed' | 'burstable' | 'besteffort';
}

export interface CgroupIdentity {
  container: CgroupContainer | undefined;
  pod: CgroupPod | undefined;
  /** The innermost systemd unit the path names (nginx.service, session-3.scope), if any. */
  unit: string | undefined;
}

const ID = '([0-9a-f]{64})';
const SCOPES: ReadonlyArray<[RegExp, ContainerRuntime]> = [
  [new RegExp(`^docker-${ID}\\.scope$`), 'docker'],
  [new RegExp(`^cri-containerd-${ID}\\.scope$`), 'containerd'],
  [new RegExp(`^crio-${ID}\\.scope$`), 'cri-o'],
  [new RegExp(`^libpod-${ID}\\.scope$`), 'podman'],
  // slice:prefix:name, the unit name systemd would have made, written as is when no systemd runs it.
  [new RegExp(`:cri-containerd:${ID}$`), 'containerd'],
  [new RegExp(`:crio:${ID}$`), 'cri-o'],
  [new RegExp(`:docker:${ID}$`), 'docker'],
];
const BARE_ID = new RegExp(`^${ID}$`);
const POD_SLICE = /^kubepods(?:-(burstable|besteffort))?-pod([0-9a-f_]{36})\.slice(?::|$)/;
const POD_DIR = /^pod([0-9a-f-]{36})$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UNIT = /^[^/:]+\.(service|scope)$/;

/**
 * The container, pod and systemd unit a cgroup v2 path names: the path of the `0::` line of
 * /proc/PID/cgroup, or a directory under the cgroup2 mount. Leading `/..` components (a reader
 * in another cgroup namespace) and the mount point itself do not matter: only the components'
 * names are read.
 */
export function identifyCgroupPath(path: string): CgroupIdentity {
  const parts = path.split('/').filter((part) => part !== '' && part !== '.' && part !== '..');
  let container: CgroupContainer | undefined;
  let pod: CgroupPod | undefined;
  let unit: string | undefined;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const podSlice = POD_SLICE.exec(part);
    if (podSlice !== null) {
      const uid = podSlice[2]!.replaceAll('_', '-');
      if (UUID.test(uid)) pod = { uid, qos: (podSlice[1] as CgroupPod['qos'] | undefined) ?? 'guaranteed' };
    }
    const podDir = POD_DIR.exec(part);
    if (podDir !== null && UUID.test(podDir[1]!) && parts.slice(0, i).includes('kubepods')) {
      const qos = parts[i - 1];
      pod = { uid: podDir[1]!, qos: qos === 'burstable' || qos === 'besteffort' ? qos : 'guaranteed' };
    }
    let matched = false;
    for (const [pattern, runtime] of SCOPES) {
      const found = pattern.exec(part);
      if (found !== null) {
        container = { id: found[1]!, runtime };
        matched = true;
        break;
      }
    }
    if (!matched && BARE_ID.test(part)) {
      // A bare id is a container only where a convention puts one: under /docker, or as a
      // pod's child under the cgroupfs driver.
      const parent = parts[i - 1];
      if (parent === 'docker') container = { id: part, runtime: 'docker' };
      else if (parent !== undefined && POD_DIR.test(parent) && parts.slice(0, i).includes('kubepods'))
        container = { id: part, runtime: 'cri' };
    }
    if (UNIT.test(part)) unit = part;
  }
  return { container, pod, unit };
}
