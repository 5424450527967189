#!/usr/bin/env bash
# Run with `bash examples/demo.sh`
#
# Starts health-demo, then probes it with grpc-probe the way Kubernetes would:
# liveness, readiness before and after its ready file appears, List, Watch,
# and a drain on SIGTERM. Every probe line shows grpc-probe's exit code.
set -euo pipefail
cd "$(dirname "$0")/.."

# DEMO_BIN_DIR names a directory that already holds both binaries (the test
# that runs this script uses it); otherwise they are built here.
bin="${DEMO_BIN_DIR:-}"
if [ -z "$bin" ]; then
  # Not --quiet: on a fresh clone the first build takes a few minutes, and
  # cargo's progress shows that it is working.
  echo "building health-demo and grpc-probe (the first build of a fresh clone takes a few minutes)..."
  cargo build -p examples --bin health-demo -p grpc-health-exec-probe --bin grpc-probe
  bin="${CARGO_TARGET_DIR:-target}/debug"
fi
work=$(mktemp -d)
demo_pid=""
cleanup() {
  [ -n "$demo_pid" ] && kill "$demo_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$bin/health-demo" --addr 127.0.0.1:0 --ready-file "$work/ready" --interval 200ms \
  --drain-delay 2s >"$work/stdout" 2>"$work/server.log" &
demo_pid=$!
# The demo prints `listening on ADDR` once it accepts connections.
addr=""
for _ in $(seq 1 200); do
  addr=$(sed -n 's/^listening on //p' "$work/stdout")
  [ -n "$addr" ] && break
  kill -0 "$demo_pid" 2>/dev/null || { cat "$work/server.log"; exit 1; }
  sleep 0.05
done
[ -n "$addr" ] || { echo "health-demo did not start"; exit 1; }
echo "health-demo is listening on $addr"

probe() {
  echo
  echo "\$ grpc-probe $*"
  local code=0
  "$bin/grpc-probe" "$@" || code=$?
  echo "-> exit $code"
}

probe -addr="$addr" -service=liveness
probe -addr="$addr" -service=readiness
echo
echo "\$ touch ready-file   (readiness now passes)"
touch "$work/ready"
probe -addr="$addr" -service=readiness -wait=5s
probe -addr="$addr" -service=readiness -service=liveness -service=helloworld.Greeter
probe -addr="$addr" -list
probe -addr="$addr" -service=no.such.Service
probe -addr=127.0.0.1:1
echo
echo "\$ rm ready-file; kill -TERM health-demo   (watching readiness)"
"$bin/grpc-probe" -addr="$addr" -service=readiness -watch &
watch_pid=$!
sleep 0.5 # let the watch print the current status first
rm "$work/ready"
sleep 1
kill -TERM "$demo_pid"
probe -addr="$addr" -service=""
wait "$watch_pid" || true
code=0
wait "$demo_pid" || code=$?
demo_pid=""
echo "health-demo exited with $code after draining"
