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

# The canary, through the real data plane: Traefik serves the Ingress (ROUTER=nginx, the
# default: ingress-nginx's canary annotations) or the Gateway API HTTPRoute (ROUTER=gatewayapi),
# and podserve answers for the pods. Every stage is measured by sending real requests.
router=${ROUTER:-nginx}
case "$router" in
  nginx) example=canary-nginx.yaml ;;
  gatewayapi) example=canary-gateway-api.yaml ;;
  *) die "ROUTER=$router: want nginx or gatewayapi" ;;
esac
. "$RAMP_CLUSTER_DIR/ports.env"
traefik="http://127.0.0.1:$TRAEFIK_WEB_PORT/"
(cd "$REPO_ROOT" && go build -o "$RAMP_CLUSTER_DIR/bin/load" ./hack/load)
# measure WHAT [--header 'Name: value'] [--requests N]: sends requests to web.example.com
# through Traefik and prints which revision answered them, named stable and canary.
measure() {
  local what=$1; shift
  local stable canary
  stable=$(k get -n demo rollout/web -o jsonpath='{.status.stableRS}')
  canary=$(k get -n demo rollout/web -o jsonpath='{.status.currentPodHash}')
  local labels=(--label "$stable=stable")
  [ "$canary" = "$stable" ] || labels+=(--label "$canary=canary")
  printf '  %-34s %s\n' "$what:" "$("$RAMP_CLUSTER_DIR/bin/load" --url "$traefik" --host web.example.com "${labels[@]}" "$@")"
}
jp() { k get -n demo rollout/web -o jsonpath="$1"; }

say "step 4/8: a Rollout from examples/$example in namespace demo, served by Traefik on 127.0.0.1:$TRAEFIK_WEB_PORT"
k delete namespace demo --ignore-not-found --wait=true --timeout=60s >/dev/null # a fresh start on every run
k create namespace demo >/dev/null
if [ "$router" = gatewayapi ]; then
  echo "  the Gateway \"public\" of the example: class traefik, listening on Traefik's web entrypoint"
  k apply -n demo -f - >/dev/null <<GATEWAY
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: public
spec:
  gatewayClassName: traefik
  listeners:
  - name: web
    protocol: HTTP
    port: $TRAEFIK_WEB_PORT
GATEWAY
fi
k apply -n demo -f "$REPO_ROOT/examples/$example"
# The example's last timed pause, shortened for the demo.
k patch -n demo rollout/web --type=json -p "$(jp '{.spec.strategy.canary.steps}' | python3 -c '
import json, sys
steps = json.load(sys.stdin)
for s in steps:
    if "pause" in s and s["pause"].get("duration"):
        s["pause"]["duration"] = "5s"
print(json.dumps([{"op": "replace", "path": "/spec/strategy/canary/steps", "value": steps}]))')" >/dev/null
ramp_status 0
poll 30 "Traefik routes web.example.com" "$RAMP_CLUSTER_DIR/bin/load" --url "$traefik" --host web.example.com --requests 5
measure "before the release"

# step_info STEPS IDX: what step IDX is (pause-until-promoted, pause-timed or other) and whether
# a header route is set by then (header or none).
step_info() {
  python3 -c '
import json, sys
steps, i = json.loads(sys.argv[1]), int(sys.argv[2])
header = "none"
for s in steps[:i]:
    if "setHeaderRoute" in s:
        header = "header" if s["setHeaderRoute"].get("match") else "none"
s = steps[i] if i < len(steps) else {}
kind = "other"
if "pause" in s:
    kind = "pause-timed" if s["pause"].get("duration") else "pause-until-promoted"
print(kind, header)' "$1" "$2"
}

# walk_release: follows the release step by step; at each pause, measures the split at the
# weight set so far (and the header rule once it is set) and promotes a pause until promoted.
walk_release() {
  local seen=-1 idx steps n kind header w
  steps=$(jp '{.spec.strategy.canary.steps}')
  n=$(python3 -c 'import json,sys; print(len(json.loads(sys.argv[1])))' "$steps")
  local deadline=$(( $(date +%s) + 300 ))
  while :; do
    idx=$(jp '{.status.currentStepIndex}')
    if [ "$idx" = "$n" ] && [ "$(jp '{.status.phase}')" = Healthy ]; then break; fi
    [ "$(date +%s)" -lt "$deadline" ] || die "the release did not finish in 5 minutes: $(jp '{.status.message}')"
    if [ -n "$idx" ] && [ "$idx" != "$seen" ] && [ "$idx" -lt "$n" ]; then
      read -r kind header <<<"$(step_info "$steps" "$idx")"
      if [ "$kind" != other ]; then
        w=$(jp '{.status.canary.weights.canary.weight}')
        measure "pause at step $((idx + 1))/$n, weight ${w:-0}%"
        [ "$header" = header ] && measure "  with X-Canary: yes" --header "X-Canary: yes" --requests 200
        if [ "$kind" = pause-until-promoted ]; then echo "  \$ kubectl ramp promote web"; ramp promote web >/dev/null; fi
      fi
      seen=$idx
    fi
    sleep 0.3
  done
}

follow_timeline 0 "$by_step"
say "step 5/8: release nginx:1.28; at each pause, 1,000 real requests show who answers (timeline interleaved)"
echo "  \$ kubectl ramp set image web web=nginx:1.28"
ramp set image web web=nginx:1.28
walk_release
sleep 1 # let the last timeline lines print
stop_timeline
measure "released"
ramp get rollout web

say "step 6/8: analysis: a real Prometheus scraping Traefik's request metrics, and an AnalysisTemplate"
prom_bin=$("$HACK_DIR/prometheus.sh")
if running prometheus; then kill "$(cat "$RAMP_CLUSTER_DIR/pids/prometheus")"; while running prometheus; do sleep 0.2; done; fi
free_port prom_port
rm -rf "$RAMP_CLUSTER_DIR/prometheus" # a fresh TSDB: the wait for two scrapes below must not count an earlier run's
mkdir -p "$RAMP_CLUSTER_DIR/prometheus"
cat >"$RAMP_CLUSTER_DIR/prometheus/prometheus.yml" <<CONF
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
- job_name: traefik
  static_configs: [{targets: ["127.0.0.1:$TRAEFIK_ADMIN_PORT"]}]
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
# Ready is not scraped: wait until two scrapes of Traefik are in (rate() needs two).
until get "127.0.0.1:$prom_port" '/api/v1/query?query=count_over_time(up%7Bjob%3D%22traefik%22%7D%5B1m%5D)%3E%3D2' 2>/dev/null | grep -q '"value"'; do
  running prometheus || die "prometheus exited"
  [ "$(date +%s)" -lt "$deadline" ] || die "prometheus has not scraped Traefik twice after 60s"
  sleep 0.5
done
stage "prometheus on 127.0.0.1:$prom_port, scraping Traefik on :$TRAEFIK_ADMIN_PORT"
# How Traefik names the canary's backend in its metrics, per provider.
case "$router" in
  nginx) canary_service='demo-web-web-stable-http-canary@kubernetesingressnginx' ;;
  gatewayapi) canary_service='httproute-demo-web-.*-svc-demo-web-canary-.*@kubernetesgateway' ;;
esac
k apply -n demo -f "$REPO_ROOT/hack/demo-analysis.yaml"
k patch -n demo rollout/web --type=json -p "[{\"op\":\"replace\",\"path\":\"/spec/strategy/canary/steps\",\"value\":[
  {\"setWeight\":20},
  {\"analysis\":{\"templates\":[{\"templateName\":\"error-rate\"}],\"args\":[
    {\"name\":\"prometheus\",\"value\":\"http://127.0.0.1:$prom_port\"},
    {\"name\":\"service\",\"value\":\"$canary_service\"}]}},
  {\"setWeight\":50},{\"pause\":{\"duration\":\"5s\"}}]}]" >/dev/null
# Steady traffic while the next two versions are released: the analysis measures it.
setsid "$RAMP_CLUSTER_DIR/bin/load" --url "$traefik" --host web.example.com --rate 100 --requests 1000000 </dev/null >/dev/null 2>&1 &
echo $! >"$RAMP_CLUSTER_DIR/pids/load"
stop_load() { [ -f "$RAMP_CLUSTER_DIR/pids/load" ] && kill "$(cat "$RAMP_CLUSTER_DIR/pids/load")" 2>/dev/null; rm -f "$RAMP_CLUSTER_DIR/pids/load"; }
trap 'stop_timeline; stop_load' EXIT
echo "  100 requests/s go to web.example.com from now on"

restart_timeline() { follow_timeline 0 "$by_reason" 'rollout|analysis'; }

say "step 7/8: release nginx:1.29, healthy: its measured error rate is 0 and it becomes stable"
restart_timeline
ramp set image web web=nginx:1.29
ramp_status 0 >/dev/null
sleep 1 # let the last timeline lines print
stop_timeline
measure "released"

say "step 8/8: release nginx:1.30, whose pods fail 40% of requests (env FAIL_PERCENT=40): the analysis aborts it"
restart_timeline
echo "  \$ kubectl patch rollout web: image nginx:1.30, env FAIL_PERCENT=40"
k patch -n demo rollout/web --type=json -p '[
  {"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx:1.30"},
  {"op":"add","path":"/spec/template/spec/containers/0/env","value":[{"name":"FAIL_PERCENT","value":"40"}]}]' >/dev/null
ramp_status 1 >/dev/null
sleep 1
stop_timeline
stop_load
measure "after the abort"
echo
ramp get rollout web
say "the rollout's timeline, as kubectl ramp timeline web shows it (from its Events and status)"
ramp timeline web
echo
say "demo done. The cluster, the controller, Traefik and Prometheus keep running; to look around, then stop them all:"
echo "  export KUBECONFIG=$KUBECONFIG_PATH PATH=$RAMP_CLUSTER_DIR/plugin:$RAMP_BIN_DIR:\$PATH"
echo "  curl -H 'Host: web.example.com' $traefik      # answered by a pod of the stable revision"
echo "  kubectl ramp list rollouts -A; kubectl ramp get rollout web -n demo --watch"
echo "  make cluster-down"
