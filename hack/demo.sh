#!/usr/bin/env bash
# make demo: brings the local control plane up, installs ramp into it, runs the controller as
# a local process with the identity a real install gives it, and shows it at work.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

k() { "$KUBECTL" --kubeconfig "$KUBECONFIG_PATH" "$@"; }

say "step 1/6: local control plane (the first run builds it from source: 15-25 minutes on 2 cores)"
"$HACK_DIR/cluster-up.sh"

say "step 2/6: install ramp (CRDs, namespace ramp-system, the controller's ServiceAccount and RBAC)"
k apply --server-side --force-conflicts -k "$REPO_ROOT/config/local"
k wait --for=condition=Established --timeout=60s crd/rollouts.rollouts.ramp.dev

say "step 3/6: build and start ramp-controller as ServiceAccount ramp-system/ramp-controller"
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

say "step 4/6: a Rollout from examples/canary-basic.yaml in namespace demo"
k delete namespace demo --ignore-not-found --wait=true --timeout=60s >/dev/null # a fresh start on every run
k create namespace demo >/dev/null
k apply -n demo -f "$REPO_ROOT/examples/canary-basic.yaml"
k wait -n demo --for=jsonpath='{.status.phase}'=Healthy rollout/web --timeout=120s
k get -n demo rollout/web
k get -n demo replicasets -l app=web

# The timeline: every state transition of a Rollout is one log line (and one Event). The
# follower runs in its own process group so that stopping it stops tail, grep and sed alike.
export log
setsid bash -c 'tail -n +1 -F "$log" 2>/dev/null | grep --line-buffered "\"msg\":\"rollout transition\"" |
  sed -u -E "s/.*\"ts\":\"([^\"]*)\".*\"step\":\"([^\"]*)\".*\"phase\":\"([^\"]*)\".*\"reason\":\"([^\"]*)\".*\"weight\":([0-9]*).*\"message\":\"(.*)\"}\$/  \1  step \2  weight \5%  \3  \4: \6/"' &
timeline_pid=$!
stop_timeline() { kill -- "-$timeline_pid" 2>/dev/null || true; }
trap stop_timeline EXIT

say "step 5/6: release nginx:1.28: the canary walks its steps (timeline below)"
k patch -n demo rollout/web --type=json -p '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx:1.28"}]'
k wait -n demo --for=jsonpath='{.status.phase}'=Paused rollout/web --timeout=120s >/dev/null
k get -n demo rollout/web
say "paused until promoted; promoting the way 'kubectl ramp promote web' does (a status patch):"
echo "  kubectl patch -n demo rollout/web --subresource=status --type=merge -p '{\"status\":{\"pauseConditions\":null}}'"
k patch -n demo rollout/web --subresource=status --type=merge -p '{"status":{"pauseConditions":null}}' >/dev/null
k wait -n demo --for=jsonpath='{.status.phase}'=Progressing rollout/web --timeout=30s >/dev/null || true
k wait -n demo --for=jsonpath='{.status.phase}'=Healthy rollout/web --timeout=180s >/dev/null
sleep 1 # let the last timeline lines print
stop_timeline

say "step 6/6: the result"
k get -n demo rollout/web
k get -n demo replicasets -l app=web
k get -n demo events --field-selector involvedObject.kind=Rollout --sort-by=.eventTime -o custom-columns=TIME:.eventTime,TYPE:.type,REASON:.reason,MESSAGE:.message
echo
say "demo done. The cluster and the controller keep running; to look around, then stop both:"
echo "  export KUBECONFIG=$KUBECONFIG_PATH PATH=$RAMP_BIN_DIR:\$PATH"
echo "  kubectl get rollouts -A"
echo "  make cluster-down"
