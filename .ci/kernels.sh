#!/usr/bin/env bash
# The kernel matrix for CI: installs what booting Debian kernels in QEMU needs, then runs the
# kernel-facing tests inside a 6.1 and a 6.12 guest (test/vm/run.ts, `npm run test:kernels`).
# Ends with one line per kernel ("kernel 6.1 (...): PASS, N passed, N failed, N skipped, in
# 7m05s") and exits non-zero when any kernel failed, skipped a test, or could not boot.
#
# Expects `npm ci` to have run (it needs node_modules; .ci/run does that first). Kernels are
# cached in /var/cache/ts-tcpaccept/kernels (or $TS_TCPACCEPT_KERNEL_CACHE) and downloaded with
# apt-get when missing. Extra arguments go to the runner, e.g. `.ci/kernels.sh --kernel 6.1`.
set -uo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
command -v qemu-system-x86_64 >/dev/null || need_pkgs+=(qemu-system-x86)
# The initramfs has no libc: its busybox must be the static one (it replaces the dynamic one).
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed' || need_pkgs+=(busybox-static)
command -v xz >/dev/null || need_pkgs+=(xz-utils)
# The guest runs the host's python3 (the e2e test servers) and bpftool from the shared root.
[ -x /usr/bin/python3 ] || need_pkgs+=(python3)
command -v bpftool >/dev/null || need_pkgs+=(bpftool)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "== kernels: installing Debian packages: ${need_pkgs[*]}"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null; } \
    || { echo "kernels: apt-get install ${need_pkgs[*]} failed"; echo "kernel matrix: FAIL (could not install ${need_pkgs[*]})"; exit 1; }
fi
# apt-cache knows no kernel package before the first apt-get update; the runner runs it when
# needed, so nothing to do here for a fresh machine.

# The runner's last lines are the per-kernel ones (with the wall time); nothing is printed after.
exec node --import tsx test/vm/run.ts "$@"
