#!/usr/bin/env bash
# Brings up a real Kubernetes control plane on loopback: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler and kwok (fake nodes whose pods become Running and
# Ready), and a real data plane: Traefik, serving Ingresses of class nginx (with ingress-nginx's
# canary annotations) and Gateways of class traefik, in front of podserve, which answers for the
# pods as their app would. Idempotent: a healthy cluster is left as it is; a half-started one is
# cleaned up first.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

NODES=${RAMP_NODES:-3}
PODS_PER_NODE=${RAMP_PODS_PER_NODE:-700}

print_env() {
  say "cluster ready; to use it:"
  echo "export KUBECONFIG=$KUBECONFIG_PATH PATH=$RAMP_BIN_DIR:\$PATH"
}

"$HACK_DIR/build-bins.sh" all
stage "control-plane binaries"

if cluster_up; then
  say "cluster already up in $RAMP_CLUSTER_DIR"
  print_env
  exit 0
fi
if [ -d "$RAMP_CLUSTER_DIR" ]; then
  say "cleaning up a cluster that is down or half started"
  "$HACK_DIR/cluster-down.sh" >/dev/null
fi
mkdir -p "$RAMP_CLUSTER_DIR"/{pids,logs,pki,etcd}

free_port ETCD_PORT
free_port ETCD_PEER_PORT
free_port API_PORT
free_port KCM_PORT
free_port SCHED_PORT
free_port KWOK_PORT
free_port PODSERVE_PORT
free_port TRAEFIK_WEB_PORT
free_port TRAEFIK_ADMIN_PORT
cat >"$RAMP_CLUSTER_DIR/ports.env" <<PORTS
ETCD_PORT=$ETCD_PORT
API_PORT=$API_PORT
KCM_PORT=$KCM_PORT
SCHED_PORT=$SCHED_PORT
KWOK_PORT=$KWOK_PORT
PODSERVE_PORT=$PODSERVE_PORT
TRAEFIK_WEB_PORT=$TRAEFIK_WEB_PORT
TRAEFIK_ADMIN_PORT=$TRAEFIK_ADMIN_PORT
PORTS

pki="$RAMP_CLUSTER_DIR/pki"
(cd "$REPO_ROOT" && go run ./hack/keygen "$pki/sa.key")
token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
echo "$token,admin,admin,system:masters" >"$pki/tokens.csv"
chmod 600 "$pki/tokens.csv"
cat >"$KUBECONFIG_PATH" <<KCFG
apiVersion: v1
kind: Config
clusters:
- name: ramp-local
  cluster:
    server: https://127.0.0.1:$API_PORT
    insecure-skip-tls-verify: true
users:
- name: admin
  user:
    token: $token
contexts:
- name: ramp-local
  context: {cluster: ramp-local, user: admin}
current-context: ramp-local
KCFG
# The same admin credentials acting as the controller's ServiceAccount: runs the controller
# locally with exactly the permissions config/rbac grants it (once config/local is applied).
sed 's#^    token: .*#&\n    as: system:serviceaccount:ramp-system:ramp-controller\n    as-groups: [system:serviceaccounts, system:serviceaccounts:ramp-system, system:authenticated]#' \
  "$KUBECONFIG_PATH" >"$RAMP_CLUSTER_DIR/controller.kubeconfig"
chmod 600 "$KUBECONFIG_PATH" "$RAMP_CLUSTER_DIR/controller.kubeconfig"
stage "ports, keys and kubeconfig"

# start NAME ARGS...: starts a component in its own session, logging to logs/NAME.log.
# BIN (default $RAMP_BIN_DIR) is where NAME's binary is; ENV... are extra environment.
start() {
  local name=$1; shift
  env ${START_ENV:-} setsid "${BIN:-$RAMP_BIN_DIR}/$name" "$@" </dev/null >"$RAMP_CLUSTER_DIR/logs/$name.log" 2>&1 &
  echo $! >"$RAMP_CLUSTER_DIR/pids/$name"
}

# fail NAME MESSAGE: prints the tail of a component's log, stops what was started, exits 1.
fail() {
  say "$1 failed: $2; last lines of $RAMP_CLUSTER_DIR/logs/$1.log:" >&2
  tail -n 25 "$RAMP_CLUSTER_DIR/logs/$1.log" >&2 || true
  "$HACK_DIR/cluster-down.sh" --keep-logs >/dev/null 2>&1 || true
  die "cluster-up failed (logs kept in $RAMP_CLUSTER_DIR/logs)"
}

# wait_for NAME SECONDS CMD...: polls CMD until it succeeds, failing if NAME dies or time runs out.
wait_for() {
  local name=$1 secs=$2; shift 2
  local deadline=$(( $(date +%s) + secs ))
  until "$@" >/dev/null 2>&1; do
    running "$name" || fail "$name" "the process exited"
    [ "$(date +%s)" -lt "$deadline" ] || fail "$name" "not ready after ${secs}s"
    sleep 0.5
  done
}
k() { "$KUBECTL" --kubeconfig "$KUBECONFIG_PATH" "$@"; }

start etcd --name=ramp --data-dir="$RAMP_CLUSTER_DIR/etcd" \
  --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster="ramp=http://127.0.0.1:$ETCD_PEER_PORT" --unsafe-no-fsync --log-level=warn
wait_for etcd 30 bash -c "exec 3<>/dev/tcp/127.0.0.1/$ETCD_PORT"
stage "etcd on :$ETCD_PORT"

start kube-apiserver --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$API_PORT" \
  --cert-dir="$pki" --token-auth-file="$pki/tokens.csv" --authorization-mode=Node,RBAC \
  --service-account-key-file="$pki/sa.key" --service-account-signing-key-file="$pki/sa.key" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-cluster-ip-range=10.96.0.0/16 --allow-privileged=true --endpoint-reconciler-type=none
wait_for kube-apiserver 90 k get --raw /readyz
stage "kube-apiserver on :$API_PORT"

start kube-controller-manager --kubeconfig="$KUBECONFIG_PATH" --bind-address=127.0.0.1 --secure-port="$KCM_PORT" \
  --leader-elect=false --controllers='*,-nodeipam' --service-account-private-key-file="$pki/sa.key" \
  --use-service-account-credentials=false --kube-api-qps=300 --kube-api-burst=600 \
  --concurrent-replicaset-syncs=20 --concurrent-deployment-syncs=20 \
  --horizontal-pod-autoscaler-sync-period=2s
start kube-scheduler --kubeconfig="$KUBECONFIG_PATH" --bind-address=127.0.0.1 --secure-port="$SCHED_PORT" --leader-elect=false
start kwok --kubeconfig="$KUBECONFIG_PATH" --config="$RAMP_BIN_DIR/kwok-stages.yaml" \
  --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
  --cidr=10.244.0.1/16 --node-ip=10.0.0.1 --server-address="127.0.0.1:$KWOK_PORT"
wait_for kube-controller-manager 60 k get --raw /readyz
stage "kube-controller-manager, kube-scheduler, kwok started"

for i in $(seq 1 "$NODES"); do
  cat <<NODE
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations: {kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0"}
  labels: {type: kwok, kubernetes.io/hostname: kwok-node-$i, kubernetes.io/os: linux, kubernetes.io/arch: amd64}
status:
  allocatable: {cpu: "64", memory: 256Gi, pods: "$PODS_PER_NODE"}
  capacity: {cpu: "64", memory: 256Gi, pods: "$PODS_PER_NODE"}
---
NODE
done | k apply -f - >/dev/null
no_taints() { [ -z "$(k get nodes -l type=kwok -o jsonpath='{.items[*].spec.taints}')" ]; }
nodes_ready() {
  [ "$(k get nodes -l type=kwok -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c True)" -eq "$NODES" ]
}
wait_for kwok 60 nodes_ready
wait_for kube-controller-manager 60 no_taints
wait_for kube-controller-manager 60 k get serviceaccount default -n default
stage "$NODES kwok nodes Ready, untainted"

# The data plane. The API server refuses loopback endpoint addresses, so pods keep kwok's
# 10.244/16 IPs, which nothing on this machine holds: Traefik dials them through podserve's
# SOCKS5 front (Go's HTTP transports honour a socks5:// HTTP_PROXY; loopback, and so the API
# server, is never proxied), and podserve answers as the pod at that address would.
k apply --server-side --force-conflicts -f "$(gateway_api_crds)" >/dev/null
k wait --for=condition=Established --timeout=60s crd/gateways.gateway.networking.k8s.io crd/httproutes.gateway.networking.k8s.io >/dev/null
k apply -f - >/dev/null <<'CLASSES'
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: nginx
spec:
  controller: k8s.io/ingress-nginx
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: traefik
spec:
  controllerName: traefik.io/gateway-controller
CLASSES
mkdir -p "$RAMP_CLUSTER_DIR/bin"
(cd "$REPO_ROOT" && go build -o "$RAMP_CLUSTER_DIR/bin/podserve" ./hack/podserve)
BIN="$RAMP_CLUSTER_DIR/bin" start podserve --kubeconfig="$KUBECONFIG_PATH" --listen="127.0.0.1:$PODSERVE_PORT"
wait_for podserve 30 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PODSERVE_PORT"
# A route change applies within ~100 ms: Traefik's throttles (2 s by default) are lowered.
cat >"$RAMP_CLUSTER_DIR/traefik.yaml" <<TRAEFIK
global: {checkNewVersion: false, sendAnonymousUsage: false}
entryPoints:
  web: {address: "127.0.0.1:$TRAEFIK_WEB_PORT"}
  traefik: {address: "127.0.0.1:$TRAEFIK_ADMIN_PORT"}
ping: {entryPoint: traefik}
metrics:
  prometheus: {entryPoint: traefik, addServicesLabels: true}
log: {level: INFO, noColor: true}
providers:
  providersThrottleDuration: 50ms
  kubernetesIngressNGINX: {throttleDuration: 0s}
  kubernetesGateway: {throttleDuration: 0s}
TRAEFIK
START_ENV="KUBECONFIG=$KUBECONFIG_PATH HTTP_PROXY=socks5://127.0.0.1:$PODSERVE_PORT NO_PROXY=127.0.0.1,localhost" \
  start traefik --configFile="$RAMP_CLUSTER_DIR/traefik.yaml"
traefik_ready() ( exec 3<>"/dev/tcp/127.0.0.1/$TRAEFIK_ADMIN_PORT" && printf 'GET /ping HTTP/1.0\r\n\r\n' >&3 && head -n1 <&3 | grep -q ' 200 ' )
wait_for traefik 60 traefik_ready
stage "traefik on :$TRAEFIK_WEB_PORT (metrics :$TRAEFIK_ADMIN_PORT), podserve on :$PODSERVE_PORT"

print_env
