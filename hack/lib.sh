# Shared shell helpers for hack/ scripts. Source it; it sets no options of its own.
# shellcheck shell=bash

HACK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HACK_DIR/.." && pwd)
# shellcheck source=versions.env
. "$HACK_DIR/versions.env"

RAMP_CACHE_DIR=${RAMP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ramp}
# Where the control-plane binaries live; override with RAMP_BIN_DIR.
RAMP_BIN_DIR=${RAMP_BIN_DIR:-$RAMP_CACHE_DIR/bin/$K8S_VERSION}
# Where the local cluster keeps its state, logs, PID files and kubeconfig.
RAMP_CLUSTER_DIR=${RAMP_CLUSTER_DIR:-$RAMP_CACHE_DIR/cluster}

log_start=$(date +%s)
stage_start=$log_start
# stage NAME: prints one line for the stage that ends now, with its duration.
stage() {
  local now; now=$(date +%s)
  printf '[ramp] %-40s %4ss\n' "$1" "$((now - stage_start))"
  stage_start=$now
}
say() { printf '[ramp] %s\n' "$*"; }
die() { printf '[ramp] ERROR: %s\n' "$*" >&2; exit 1; }

KUBECTL="$RAMP_BIN_DIR/kubectl"
KUBECONFIG_PATH="$RAMP_CLUSTER_DIR/kubeconfig"
components=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok podserve traefik)

# poll SECONDS WHAT CMD...: runs CMD every half second until it succeeds; dies naming WHAT, with
# CMD's last output, when SECONDS pass first. For objects the API server has only just been
# given (a new CRD has no status yet, and kubectl wait fails on it instead of waiting).
poll() {
  local secs=$1 what=$2 out; shift 2
  local deadline=$(( $(date +%s) + secs ))
  until out=$("$@" 2>&1); do
    [ "$(date +%s)" -lt "$deadline" ] || die "$what: not so after ${secs}s: $out"
    sleep 0.5
  done
}

# crds_established KUBECTL-ARGS...: true when every CRD of ramp's group is Established and its
# kinds are served (discovery lists them).
crds_established() {
  local statuses
  statuses=$("$@" get crd -o jsonpath='{range .items[?(@.spec.group=="rollouts.ramp.dev")]}{.metadata.name}={.status.conditions[?(@.type=="Established")].status}{"\n"}{end}') || return 1
  [ "$(grep -c '=True$' <<<"$statuses")" -ge 4 ] || { echo "$statuses"; return 1; }
  "$@" get rollouts.rollouts.ramp.dev,analysistemplates.rollouts.ramp.dev,clusteranalysistemplates.rollouts.ramp.dev,analysisruns.rollouts.ramp.dev -A >/dev/null
}

# running NAME: true while the component cluster-up started is alive.
running() { [ -f "$RAMP_CLUSTER_DIR/pids/$1" ] && kill -0 "$(cat "$RAMP_CLUSTER_DIR/pids/$1")" 2>/dev/null; }

# cluster_up: true when every component runs and the API server is ready.
cluster_up() {
  local c
  for c in "${components[@]}"; do running "$c" || return 1; done
  "$KUBECTL" --kubeconfig "$KUBECONFIG_PATH" get --raw /readyz >/dev/null 2>&1
}

# free_port VAR: sets VAR to a random loopback port nobody listens on, distinct from those
# already handed out by this script.
ports_taken=""
free_port() {
  local p
  while :; do
    # Below the kernel's ephemeral range (32768 and up on Linux), where the outgoing
    # connections of the components just started could take the port before it is bound.
    p=$(( 20000 + RANDOM % 12000 ))
    case " $ports_taken " in *" $p "*) continue ;; esac
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      ports_taken+=" $p"
      printf -v "$1" '%s' "$p"
      return
    fi
  done
}

# istio_crds: prints the path of Istio's CRDs (VirtualService, DestinationRule, ...) as the
# istio.io/api module ships them, downloading the module into the Go module cache if needed.
istio_crds() {
  local dir
  dir=$(go mod download -json "istio.io/api@$ISTIO_API_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  [ -n "$dir" ] || die "could not download istio.io/api@$ISTIO_API_VERSION"
  echo "$dir/kubernetes/customresourcedefinitions.gen.yaml"
}

# gateway_api_crds: prints the folder of the Gateway API's standard-channel CRDs (HTTPRoute,
# GRPCRoute, Gateway, ...) as the sigs.k8s.io/gateway-api module ships them, downloading the
# module into the Go module cache if needed.
gateway_api_crds() {
  local dir
  dir=$(go mod download -json "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  [ -n "$dir" ] && [ -d "$dir/config/crd/standard" ] || die "could not download sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION"
  echo "$dir/config/crd/standard"
}
