#!/usr/bin/env bash
# make demo: brings the local control plane up, installs ramp into it, runs the controller as
# a local process with the identity a real install gives it, and shows it at work.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

k() { "$KUBECTL" --kubeconfig "$KUBECONFIG_PATH" "$@"; }

say "step 1/4: local control plane (the first run builds it from source: 15-25 minutes on 2 cores)"
"$HACK_DIR/cluster-up.sh"

say "step 2/4: install ramp (CRDs, namespace ramp-system, the controller's ServiceAccount and RBAC)"
k apply --server-side --force-conflicts -k "$REPO_ROOT/config/local"
k wait --for=condition=Established --timeout=60s crd/rollouts.rollouts.ramp.dev

say "step 3/4: build and start ramp-controller as ServiceAccount ramp-system/ramp-controller"
# The controller lives with the cluster: its PID file sits beside the components' so that
# `make cluster-down` stops it too.
pidfile="$RAMP_CLUSTER_DIR/pids/ramp-controller"
log="$RAMP_CLUSTER_DIR/logs/ramp-controller.log"
if running ramp-controller; then
  kill "$(cat "$pidfile")"
  while running ramp-controller; do sleep 0.2; done
fi
(cd "$REPO_ROOT" && go build -o "$RAMP_CLUSTER_DIR/ramp-controller" ./cmd/ramp-controller)
free_port probe_port
free_port metrics_port
setsid "$RAMP_CLUSTER_DIR/ramp-controller" --kubeconfig="$RAMP_CLUSTER_DIR/controller.kubeconfig" \
  --leader-elect --leader-election-namespace=ramp-system \
  --health-probe-bind-address="127.0.0.1:$probe_port" --metrics-bind-address="127.0.0.1:$metrics_port" \
  </dev/null >"$log" 2>&1 &
echo $! >"$pidfile"
ready() { exec 3<>"/dev/tcp/127.0.0.1/$probe_port" && printf 'GET /readyz HTTP/1.0\r\n\r\n' >&3 && head -n1 <&3 | grep -q ' 200 '; }
deadline=$(( $(date +%s) + 60 ))
until (ready) 2>/dev/null; do
  running ramp-controller || { tail -n 20 "$log"; die "ramp-controller exited"; }
  [ "$(date +%s)" -lt "$deadline" ] || { tail -n 20 "$log"; die "ramp-controller not ready after 60s"; }
  sleep 0.5
done
until grep -q "Successfully acquired lease" "$log"; do
  running ramp-controller || { tail -n 20 "$log"; die "ramp-controller exited"; }
  [ "$(date +%s)" -lt "$deadline" ] || { tail -n 20 "$log"; die "ramp-controller did not become leader within 60s"; }
  sleep 0.5
done
stage "ramp-controller ready (pid $(cat "$pidfile"))"

say "step 4/4: what is running"
k get nodes
k get crd rollouts.rollouts.ramp.dev
k get lease -n ramp-system ramp-controller.rollouts.ramp.dev
echo
say "controller log ($log):"
cat "$log"
echo
say "demo done. The cluster and the controller keep running; to look around, then stop both:"
echo "  export KUBECONFIG=$KUBECONFIG_PATH PATH=$RAMP_BIN_DIR:\$PATH"
echo "  make cluster-down"
