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

# --- A health-aware client rides a rolling restart (grpc-health-balance) ---
# Three health-demo backends are drained by SIGTERM and restarted on their
# port one after another while greeter-client sends through its balanced
# channel: each backend leaves the rotation at NOT_SERVING, before it closes.
echo
echo "== greeter-client over three backends, drained and restarted one by one =="
if [ -z "${DEMO_BIN_DIR:-}" ]; then
  cargo build -p examples --bin greeter-client
fi
backend_pids=()
start_backend() { # index port
  "$bin/health-demo" --addr "127.0.0.1:$2" --interval 200ms --drain-delay 1s \
    >"$work/backend$1.out" 2>"$work/backend$1.log" &
  backend_pids[$1]=$!
  for _ in $(seq 1 200); do
    grep -q '^listening on ' "$work/backend$1.out" && return 0
    sleep 0.05
  done
  echo "backend $1 did not start"; cat "$work/backend$1.log"; exit 1
}
cleanup_backends() {
  for pid in "${backend_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  cleanup
}
trap cleanup_backends EXIT
ports=()
for i in 0 1 2; do
  start_backend "$i" 0
  ports[$i]=$(sed -n 's/^listening on 127.0.0.1://p' "$work/backend$i.out")
done
target="127.0.0.1:${ports[0]},127.0.0.1:${ports[1]},127.0.0.1:${ports[2]}"
echo "\$ greeter-client --target $target --health-service helloworld.Greeter --rps 100 --duration 12s"
"$bin/greeter-client" --target "$target" --health-service helloworld.Greeter --rps 100 \
  --duration 12s 2>"$work/client.log" &
client_pid=$!
for i in 0 1 2; do
  sleep 2
  echo "   (kill -TERM backend $i, then start it again on port ${ports[$i]})"
  kill -TERM "${backend_pids[$i]}"
  wait "${backend_pids[$i]}" || true
  start_backend "$i" "${ports[$i]}"
done
code=0
wait "$client_pid" || code=$?
echo "-> greeter-client exit $code"
[ "$code" -eq 0 ] || { cat "$work/client.log"; exit 1; }
