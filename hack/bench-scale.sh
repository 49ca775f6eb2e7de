#!/usr/bin/env bash
# make bench-scale: ramp at scale on the local control plane, the controller a real process.
# Prints the table of the README's performance section; asserts nothing about time. Takes
# 20-40 minutes on 2 cores. RAMP_SCALE_N (default 100,500) sets the progressing Rollouts per
# run, RAMP_SCALE_IDLE (default 10000) the idle ones (0 skips that part).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if running ramp-controller; then
  say "stopping the ramp-controller that make demo left running"
  kill "$(cat "$RAMP_CLUSTER_DIR/pids/ramp-controller")"
  while running ramp-controller; do sleep 0.2; done
  rm -f "$RAMP_CLUSTER_DIR/pids/ramp-controller"
fi
cluster_up || "$HACK_DIR/cluster-up.sh"
RAMP_ISTIO_CRDS=$(istio_crds)
RAMP_GATEWAY_API_CRDS=$(gateway_api_crds)
export RAMP_ISTIO_CRDS RAMP_GATEWAY_API_CRDS RAMP_E2E_CLUSTER_DIR="$RAMP_CLUSTER_DIR" RAMP_E2E_KUBECONFIG="$KUBECONFIG_PATH" RAMP_E2E_CONTROLLER_KUBECONFIG="$RAMP_CLUSTER_DIR/controller.kubeconfig" RAMP_BIN_DIR
RAMP_SCALE_PROFILE_DIR="$RAMP_CLUSTER_DIR/logs"
export RAMP_SCALE_PROFILE_DIR
cd "$REPO_ROOT"
go test -tags scale -count=1 -timeout 120m -run TestScale -v ./e2e/scale/ 2>&1 | tee "$RAMP_CLUSTER_DIR/logs/bench-scale.log" |
  grep -E '^(N=|idle:|--- |ok|FAIL|PASS)'
# The controller's CPU profile while the aborts ran (net/http/pprof, --pprof-bind-address).
for p in "$RAMP_SCALE_PROFILE_DIR"/progressing-*.pprof; do
  [ -e "$p" ] || continue
  say "CPU profile of the controller during the aborts: $p (go tool pprof -http=: $p)"
  go tool pprof -top -nodecount=15 "$p" 2>/dev/null | sed -n '1,22p'
done
# The controller's live heap with the idle Rollouts (and the unrelated ReplicaSets) cached.
for p in "$RAMP_SCALE_PROFILE_DIR"/idle-*.heap.pprof; do
  [ -e "$p" ] || continue
  say "live heap of the idle controller: $p"
  go tool pprof -top -sample_index=inuse_space -nodecount=15 "$p" 2>/dev/null | sed -n '1,22p'
done
