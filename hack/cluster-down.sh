#!/usr/bin/env bash
# Stops exactly the processes cluster-up started (by their PID files) and removes the
# cluster's state. --keep-logs keeps the logs folder for a post-mortem.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

keep_logs=false
[ "${1:-}" = "--keep-logs" ] && keep_logs=true
[ -d "$RAMP_CLUSTER_DIR" ] || { say "no cluster in $RAMP_CLUSTER_DIR"; exit 0; }

# ours PID NAME: true when PID is still the program we started (not a reused PID).
ours() { tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null | head -n1 | grep -q -- "/$2\$"; }

# The demo's processes first, then the control plane from the top down.
for name in load prometheus ramp-controller traefik podserve kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do
  pidfile="$RAMP_CLUSTER_DIR/pids/$name"
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  if ours "$pid" "$name"; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do ours "$pid" "$name" || break; sleep 0.1; done
    ours "$pid" "$name" && kill -9 "$pid" 2>/dev/null || true
    say "stopped $name (pid $pid)"
  fi
  rm -f "$pidfile"
done

if $keep_logs; then
  find "$RAMP_CLUSTER_DIR" -mindepth 1 -maxdepth 1 ! -name logs -exec rm -rf {} +
else
  rm -rf "$RAMP_CLUSTER_DIR"
fi
say "cluster down"
