// identifyCgroupPath on fixture paths, one per runtime and cgroup driver, as /proc/PID/cgroup
// shows them (the 0:: line), and paths that name no container.
import t from 'tap';
import { identifyCgroupPath, type CgroupIdentity } from '../../src/probe/container.ts';

const ID = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';
const ID2 = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
const UID = '6f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';
const UID_ = UID.replaceAll('-', '_');

const FIXTURES: Array<[string, string, CgroupIdentity]> = [
  [
    'docker, systemd driver',
    `/system.slice/docker-${ID}.scope`,
    { container: { id: ID, runtime: 'docker' }, pod: undefined, unit: `docker-${ID}.scope` },
  ],
  ['docker, cgroupfs driver', `/docker/${ID}`, { container: { id: ID, runtime: 'docker' }, pod: undefined, unit: undefined }],
  [
    'containerd CRI, systemd driver, burstable pod',
    `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/cri-containerd-${ID}.scope`,
    { container: { id: ID, runtime: 'containerd' }, pod: { uid: UID, qos: 'burstable' }, unit: `cri-containerd-${ID}.scope` },
  ],
  [
    'containerd CRI, systemd driver, guaranteed pod (no QoS slice)',
    `/kubepods.slice/kubepods-pod${UID_}.slice/cri-containerd-${ID}.scope`,
    { container: { id: ID, runtime: 'containerd' }, pod: { uid: UID, qos: 'guaranteed' }, unit: `cri-containerd-${ID}.scope` },
  ],
  [
    'containerd without systemd (kind node): slice:prefix:id',
    `/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubepods-besteffort-pod${UID_}.slice:cri-containerd:${ID}`,
    { container: { id: ID, runtime: 'containerd' }, pod: { uid: UID, qos: 'besteffort' }, unit: undefined },
  ],
  [
    'CRI-O, systemd driver',
    `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID_}.slice/crio-${ID}.scope`,
    { container: { id: ID, runtime: 'cri-o' }, pod: { uid: UID, qos: 'besteffort' }, unit: `crio-${ID}.scope` },
  ],
  [
    'CRI-O conmon: the monitor, not the container',
    `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID_}.slice/crio-conmon-${ID}.scope`,
    { container: undefined, pod: { uid: UID, qos: 'besteffort' }, unit: `crio-conmon-${ID}.scope` },
  ],
  [
    'a CRI runtime, cgroupfs driver',
    `/kubepods/burstable/pod${UID}/${ID}`,
    { container: { id: ID, runtime: 'cri' }, pod: { uid: UID, qos: 'burstable' }, unit: undefined },
  ],
  [
    'a CRI runtime, cgroupfs driver, guaranteed pod',
    `/kubepods/pod${UID}/${ID}`,
    { container: { id: ID, runtime: 'cri' }, pod: { uid: UID, qos: 'guaranteed' }, unit: undefined },
  ],
  [
    'podman',
    `/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-${ID}.scope`,
    { container: { id: ID, runtime: 'podman' }, pod: undefined, unit: `libpod-${ID}.scope` },
  ],
  [
    'podman conmon',
    `/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-conmon-${ID}.scope`,
    { container: undefined, pod: undefined, unit: `libpod-conmon-${ID}.scope` },
  ],
  [
    'a nested cgroup inside a container (a process it started in a child)',
    `/system.slice/docker-${ID}.scope/worker`,
    { container: { id: ID, runtime: 'docker' }, pod: undefined, unit: `docker-${ID}.scope` },
  ],
  [
    'Docker-in-Docker: the innermost container',
    `/docker/${ID}/docker/${ID2}`,
    { container: { id: ID2, runtime: 'docker' }, pod: undefined, unit: undefined },
  ],
  [
    'read from another cgroup namespace',
    `/../../kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/cri-containerd-${ID}.scope`,
    { container: { id: ID, runtime: 'containerd' }, pod: { uid: UID, qos: 'burstable' }, unit: `cri-containerd-${ID}.scope` },
  ],
  [
    'a directory under the mount point',
    `/sys/fs/cgroup/system.slice/docker-${ID}.scope`,
    { container: { id: ID, runtime: 'docker' }, pod: undefined, unit: `docker-${ID}.scope` },
  ],
  ['a systemd service', '/system.slice/nginx.service', { container: undefined, pod: undefined, unit: 'nginx.service' }],
  ['a login session', '/user.slice/user-1000.slice/session-3.scope', { container: undefined, pod: undefined, unit: 'session-3.scope' }],
  ['the root', '/', { container: undefined, pod: undefined, unit: undefined }],
  ['64 hex digits where no convention puts a container', `/system.slice/${ID}`, { container: undefined, pod: undefined, unit: undefined }],
  ['a short id is not an id', '/docker/a1b2c3d4e5f6', { container: undefined, pod: undefined, unit: undefined }],
  ['upper-case hex is not what runtimes write', `/docker/${ID.toUpperCase()}`, { container: undefined, pod: undefined, unit: undefined }],
  ['a pod-like name outside kubepods', `/pod${UID}/${ID}`, { container: undefined, pod: undefined, unit: undefined }],
];

for (const [what, path, expected] of FIXTURES) {
  t.test(what, async (t) => {
    t.same(identifyCgroupPath(path), expected, path);
  });
}
