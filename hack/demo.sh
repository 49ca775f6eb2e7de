#!/usr/bin/env bash
# make demo: brings the local control plane up, installs ramp into it, runs the controller as
# a local process with the identity a real install gives it, and shows it at work.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

k() { "$KUBECTL" --kubeconfig "$KUBECONFIG_PATH" "$@"; }
# ramp: the kubectl ramp plugin, found by kubectl on PATH, in namespace demo.
ramp() { PATH="$RAMP_CLUSTER_DIR/plugin:$PATH" KUBECONFIG="$KUBECONFIG_PATH" "$KUBECTL" ramp -n demo "$@"; }
# ramp_status WANT ARGS: kubectl ramp status, which must end with exit code WANT
# (0 Healthy, 1 Degraded, 2 Paused).
ramp_status() {
  local want=$1 code=0; shift
  ramp status web --timeout 3m "$@" || code=$?
  [ "$code" = "$want" ] || die "kubectl ramp status web ended with $code, expected $want"
}

# get HOST:PORT PATH: an HTTP GET without curl; prints the body, fails on a status other than 200.
get() {
  exec 3<>"/dev/tcp/${1%:*}/${1##*:}" || return 1
  printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$2" "$1" >&3
  local status; read -r _ status _ <&3
  sed '1,/^\r\?$/d' <&3
  exec 3<&-
  [ "$status" = 200 ]
}

# The timeline: every state transition of a Rollout is one log line (and one Event) of the
# controller. follow_timeline FROM FORMAT [KINDS] prints those lines as they come, from the
# start of the log (FROM +1) or from now (FROM 0), through the sed expression FORMAT; KINDS is
# "rollout" or "rollout|analysis". The follower runs in its own process group, so that
# stop_timeline stops tail, grep and sed alike.
timeline_pid=
follow_timeline() {
  FROM=$1 FORMAT=$2 KINDS=${3:-rollout} setsid bash -c 'tail -n "$FROM" -F "$log" 2>/dev/null |
    grep --line-buffered -E "\"msg\":\"($KINDS) transition\"" | sed -u -E "$FORMAT"' &
  timeline_pid=$!
}
stop_timeline() { [ -z "$timeline_pid" ] || kill -- "-$timeline_pid" 2>/dev/null || true; }
trap stop_timeline EXIT
# The formats: time, step, weight, phase, reason and message; or without step and weight.
by_step='s/.*"ts":"([^"]*)".*"step":"([^"]*)".*"phase":"([^"]*)".*"reason":"([^"]*)".*"weight":([0-9]*).*"message":"(.*)"}$/  \1  step \2  weight \5%  \3  \4: \6/'
by_phase='s/.*"ts":"([^"]*)".*"phase":"([^"]*)".*"reason":"([^"]*)".*"message":"(.*)"}$/  \1  \2  \3: \4/'
by_reason='s/.*"ts":"([^"]*)".*"reason":"([^"]*)".*"message":"(.*)"}$/  \1  \2: \3/'

say "step 1/8: local control plane (the first run builds it from source: 15-25 minutes on 2 cores)"
"$HACK_DIR/cluster-up.sh"

say "step 2/8: install ramp (CRDs, namespace ramp-system, the controller's ServiceAccount and RBAC)"
k apply --server-side --force-conflicts -k "$REPO_ROOT/config/local"
poll 60 "ramp's CRDs established and served" crds_established k
if [ "${ROUTER:-}" = gatewayapi ]; then
  # Before the controller starts: it watches HTTPRoutes only when the cluster serves them.
  say "the Gateway API's standard CRDs (sigs.k8s.io/gateway-api $GATEWAY_API_VERSION)"
  k apply --server-side --force-conflicts -f "$(gateway_api_crds)" >/dev/null
  k wait --for=condition=Established --timeout=60s crd/httproutes.gateway.networking.k8s.io crd/grpcroutes.gateway.networking.k8s.io >/dev/null
fi

say "step 3/8: build ramp-controller and the kubectl ramp plugin; start the controller as ServiceAccount ramp-system/ramp-controller"
# The controller lives with the cluster: its PID file sits beside the components' so that
# `make cluster-down` stops it too.
pidfile="$RAMP_CLUSTER_DIR/pids/ramp-controller"
log="$RAMP_CLUSTER_DIR/logs/ramp-controller.log"
export log
if running ramp-controller; then
  kill "$(cat "$pidfile")"
  while running ramp-controller; do sleep 0.2; done
fi
(cd "$REPO_ROOT" && go build -o "$RAMP_CLUSTER_DIR/ramp-controller" ./cmd/ramp-controller &&
  go build -o "$RAMP_CLUSTER_DIR/plugin/kubectl-ramp" ./cmd/kubectl-ramp)
free_port probe_port
free_port metrics_port
setsid "$RAMP_CLUSTER_DIR/ramp-controller" --kubeconfig="$RAMP_CLUSTER_DIR/controller.kubeconfig" \
  --leader-elect --leader-election-namespace=ramp-system \
  --health-probe-bind-address="127.0.0.1:$probe_port" --metrics-bind-address="127.0.0.1:$metrics_port" \
  --analysis-egress-allow-cidrs=127.0.0.0/8 \
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

if [ "${STRATEGY:-canary}" = bluegreen ]; then
  say "step 4/6: a blue-green Rollout from examples/bluegreen.yaml in namespace demo"
  k delete namespace demo --ignore-not-found --wait=true --timeout=60s >/dev/null
  k create namespace demo >/dev/null
  k apply -n demo -f "$REPO_ROOT/examples/bluegreen.yaml"
  k patch -n demo rollout/web --type=merge -p '{"spec":{"strategy":{"blueGreen":{"scaleDownDelaySeconds":5}}}}' >/dev/null
  ramp_status 0
  selectors() { echo "  web-active selects $(k get -n demo svc/web-active -o jsonpath='{.spec.selector.rollouts-pod-template-hash}'), web-preview selects $(k get -n demo svc/web-preview -o jsonpath='{.spec.selector.rollouts-pod-template-hash}')"; }
  selectors
  follow_timeline 0 "$by_phase"
  say "step 5/6: release nginx:1.28: it comes up behind web-preview and waits for promotion"
  echo "  \$ kubectl ramp set image web web=nginx:1.28"
  ramp set image web web=nginx:1.28
  ramp_status 2 >/dev/null
  selectors
  ramp get rollout web
  say "promoting: web-active switches once all new pods are available"
  echo "  \$ kubectl ramp promote web"
  ramp promote web
  ramp_status 0 >/dev/null
  sleep 1
  stop_timeline
  say "step 6/6: the result"
  selectors
  ramp get rollout web
  echo
  ramp timeline web
  say "demo done. The cluster and the controller keep running; make cluster-down stops them."
  exit 0
fi

if [ "${ROUTER:-}" = gatewayapi ]; then
  say "step 4/6: a Rollout routed by the HTTPRoute of examples/canary-gateway-api.yaml in namespace demo"
  k delete namespace demo --ignore-not-found --wait=true --timeout=60s >/dev/null
  k create namespace demo >/dev/null
  k apply -n demo -f "$REPO_ROOT/examples/canary-gateway-api.yaml"
  ramp_status 0
  route() {
    echo "  HTTPRoute web: rules [$(k get -n demo httproute/web -o jsonpath='{.spec.rules[*].name}')]," \
      "rule app: web-stable $(k get -n demo httproute/web -o jsonpath='{.spec.rules[?(@.name=="app")].backendRefs[?(@.name=="web-stable")].weight}')," \
      "web-canary $(k get -n demo httproute/web -o jsonpath='{.spec.rules[?(@.name=="app")].backendRefs[?(@.name=="web-canary")].weight}')"
  }
  route
  echo "  (no Gateway controller runs here: ramp writes the weights and rules a Gateway would serve)"
  follow_timeline 0 "$by_step"
  say "step 5/6: release nginx:1.28: a header rule for testers, then weight 10, then 50 (timeline below)"
  echo "  \$ kubectl ramp set image web web=nginx:1.28"
  ramp set image web web=nginx:1.28
  ramp_status 2 >/dev/null
  stop_timeline
  route
  ramp get rollout web
  say "paused until promoted: promoting"
  echo "  \$ kubectl ramp promote web && kubectl ramp status web"
  ramp promote web
  ramp_status 0
  say "step 6/6: the route is the user's again, all on the new revision"
  route
  echo
  ramp timeline web
  say "demo done. The cluster and the controller keep running; make cluster-down stops them."
  exit 0
fi

say "step 4/8: a Rollout from examples/canary-basic.yaml in namespace demo"
k delete namespace demo --ignore-not-found --wait=true --timeout=60s >/dev/null # a fresh start on every run
k create namespace demo >/dev/null
k apply -n demo -f "$REPO_ROOT/examples/canary-basic.yaml"
ramp_status 0
ramp get rollout web

follow_timeline +1 "$by_step"

say "step 5/8: release nginx:1.28: the canary walks its steps (timeline below)"
echo "  \$ kubectl ramp set image web web=nginx:1.28"
ramp set image web web=nginx:1.28
ramp_status 2 >/dev/null
stop_timeline
ramp get rollout web
say "paused until promoted: promoting"
echo "  \$ kubectl ramp promote web && kubectl ramp status web"
ramp promote web
ramp_status 0

say "step 6/8: analysis: a real Prometheus scraping a demo exporter, and an AnalysisTemplate"
prom_bin=$("$HACK_DIR/prometheus.sh")
for name in prometheus demo-exporter; do
  if running "$name"; then kill "$(cat "$RAMP_CLUSTER_DIR/pids/$name")"; while running "$name"; do sleep 0.2; done; fi
done
(cd "$REPO_ROOT" && go build -o "$RAMP_CLUSTER_DIR/demo-exporter" ./hack/demo-exporter)
rm -f "$RAMP_CLUSTER_DIR/demo-exporter.addr"
setsid "$RAMP_CLUSTER_DIR/demo-exporter" --addr-file "$RAMP_CLUSTER_DIR/demo-exporter.addr" </dev/null >"$RAMP_CLUSTER_DIR/logs/demo-exporter.log" 2>&1 &
echo $! >"$RAMP_CLUSTER_DIR/pids/demo-exporter"
until [ -s "$RAMP_CLUSTER_DIR/demo-exporter.addr" ]; do running demo-exporter || die "demo-exporter exited"; sleep 0.2; done
exporter=$(cat "$RAMP_CLUSTER_DIR/demo-exporter.addr")
free_port prom_port
mkdir -p "$RAMP_CLUSTER_DIR/prometheus"
cat >"$RAMP_CLUSTER_DIR/prometheus/prometheus.yml" <<CONF
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
- job_name: demo
  static_configs: [{targets: ["$exporter"]}]
CONF
setsid "$prom_bin" --config.file="$RAMP_CLUSTER_DIR/prometheus/prometheus.yml" --storage.tsdb.path="$RAMP_CLUSTER_DIR/prometheus/data" \
  --web.listen-address="127.0.0.1:$prom_port" </dev/null >"$RAMP_CLUSTER_DIR/logs/prometheus.log" 2>&1 &
echo $! >"$RAMP_CLUSTER_DIR/pids/prometheus"
deadline=$(( $(date +%s) + 60 ))
until (get "127.0.0.1:$prom_port" /-/ready) >/dev/null 2>&1; do
  running prometheus || { tail -n 20 "$RAMP_CLUSTER_DIR/logs/prometheus.log"; die "prometheus exited"; }
  [ "$(date +%s)" -lt "$deadline" ] || die "prometheus not ready after 60s"
  sleep 0.5
done
# The versions about to be released: nginx:1.29 healthy, nginx:1.30 failing 40% of its requests.
get "$exporter" "/set?version=nginx:1.29&errorRate=0"
get "$exporter" "/set?version=nginx:1.30&errorRate=0.4"
# rate() needs two scrapes in its window: wait until Prometheus has a rate for both.
until get "127.0.0.1:$prom_port" '/api/v1/query?query=count(rate(http_requests_total%7Bversion%3D~%22nginx%3A1.(29%7C30)%22%7D%5B5s%5D))' 2>/dev/null | grep -q '"value":\[[^,]*,"4"\]'; do
  running prometheus || die "prometheus exited"
  [ "$(date +%s)" -lt "$deadline" ] || die "prometheus has no data from the demo exporter after 60s"
  sleep 0.5
done
stage "prometheus on 127.0.0.1:$prom_port, scraping the demo exporter on $exporter"
k apply -n demo -f "$REPO_ROOT/hack/demo-analysis.yaml"
# The analysis step after setWeight 20; the version label is the image.
k patch -n demo rollout/web --type=json -p "[{\"op\":\"replace\",\"path\":\"/spec/strategy/canary/steps\",\"value\":[
  {\"setWeight\":20},
  {\"analysis\":{\"templates\":[{\"templateName\":\"error-rate\"}],\"args\":[
    {\"name\":\"prometheus\",\"value\":\"http://127.0.0.1:$prom_port\"},
    {\"name\":\"version\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":\"spec.template.spec.containers[0].image\"}}}]}},
  {\"setWeight\":50},{\"pause\":{\"duration\":\"5s\"}}]}]"

restart_timeline() { follow_timeline 0 "$by_reason" 'rollout|analysis'; }

say "step 7/8: release nginx:1.29, healthy: its analysis passes and it becomes stable"
restart_timeline
ramp set image web web=nginx:1.29
ramp_status 0 >/dev/null
sleep 1 # let the last timeline lines print
stop_timeline

say "step 8/8: release nginx:1.30, which fails 40% of its requests: the analysis aborts it"
restart_timeline
ramp set image web web=nginx:1.30
ramp_status 1 >/dev/null
sleep 1
stop_timeline
echo
ramp get rollout web
say "the rollout's timeline, as kubectl ramp timeline web shows it (from its Events and status)"
ramp timeline web
echo
say "demo done. The cluster, the controller, Prometheus and the demo exporter keep running; to look around, then stop them all:"
echo "  export KUBECONFIG=$KUBECONFIG_PATH PATH=$RAMP_CLUSTER_DIR/plugin:$RAMP_BIN_DIR:\$PATH"
echo "  kubectl ramp list rollouts -A; kubectl ramp get rollout web -n demo --watch"
echo "  make cluster-down"
