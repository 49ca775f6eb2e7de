#!/usr/bin/env bash
# Runs the e2e suite on the local control plane. Starts the cluster when it is not up, and then
# stops it at the end (RAMP_KEEP_CLUSTER=1 keeps it). Arguments go to `go test`, e.g. -run X.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# The analysis scenarios run a real Prometheus (Debian's, cached after the first download).
RAMP_PROMETHEUS=$("$HACK_DIR/prometheus.sh")

started=false
# The suite runs its own controllers; one left by `make demo` would reconcile the tests'
# Rollouts too and hold the leader Lease.
if running ramp-controller; then
  say "stopping the ramp-controller that make demo left running"
  kill "$(cat "$RAMP_CLUSTER_DIR/pids/ramp-controller")"
  while running ramp-controller; do sleep 0.2; done
  rm -f "$RAMP_CLUSTER_DIR/pids/ramp-controller"
fi
if ! cluster_up; then
  "$HACK_DIR/cluster-up.sh"
  started=true
fi
stop_if_started() {
  local rc=$?
  $started && [ -z "${RAMP_KEEP_CLUSTER:-}" ] || return 0
  if [ "$rc" -eq 0 ]; then
    "$HACK_DIR/cluster-down.sh"
  else
    "$HACK_DIR/cluster-down.sh" --keep-logs
    say "e2e failed; the control plane's logs are kept in $RAMP_CLUSTER_DIR/logs"
  fi
}
trap stop_if_started EXIT

RAMP_ISTIO_CRDS=$(istio_crds)
RAMP_GATEWAY_API_CRDS=$(gateway_api_crds)
export RAMP_ISTIO_CRDS RAMP_GATEWAY_API_CRDS RAMP_PROMETHEUS RAMP_E2E_KUBECONFIG="$KUBECONFIG_PATH" RAMP_E2E_CONTROLLER_KUBECONFIG="$RAMP_CLUSTER_DIR/controller.kubeconfig" RAMP_E2E_CLUSTER_DIR="$RAMP_CLUSTER_DIR" RAMP_BIN_DIR
cd "$REPO_ROOT"
go test -tags e2e -count=1 -timeout 30m "$@" ./e2e/...
