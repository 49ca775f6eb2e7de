#!/usr/bin/env bash
# Builds the local control plane from Go modules into $RAMP_BIN_DIR, once:
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kwok, and Traefik (the
# data plane: ingress-nginx's canary annotations and the Gateway API). A binary that is already
# there is reused. The first build takes 20-30 minutes on 2 cores.
#
# Usage: hack/build-bins.sh [all|envtest]   (envtest = etcd and kube-apiserver only)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

want=${1:-all}
mkdir -p "$RAMP_BIN_DIR" "$RAMP_CACHE_DIR/build"
build_log="$RAMP_CACHE_DIR/build/build.log"

# One build at a time, even when envtest and cluster-up ask together.
exec 9>"$RAMP_CACHE_DIR/build/lock"
flock 9

k8s_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
  k8s_ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done

# run_with_progress LABEL CMD...: runs CMD with output to the build log, printing a line
# every 30 s so a long first build is never silent.
run_with_progress() {
  local label=$1; shift
  local start; start=$(date +%s)
  say "building $label (log: $build_log)"
  ("$@") >>"$build_log" 2>&1 &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -0 "$pid" 2>/dev/null && say "  still building $label ($(( $(date +%s) - start ))s so far)"
  done
  if ! wait "$pid"; then
    tail -n 30 "$build_log" >&2
    die "building $label failed; full log in $build_log"
  fi
  stage "built $label"
}

build_etcd() {
  [ -x "$RAMP_BIN_DIR/etcd" ] && return
  local dir="$RAMP_CACHE_DIR/build/etcd-$ETCD_VERSION"
  mkdir -p "$dir"
  cat >"$dir/main.go" <<'GO'
// Command etcd is etcd's own main, built from its Go module.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  cat >"$dir/go.mod" <<GOMOD
module ramp.local/etcd

go 1.26

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
GOMOD
  run_with_progress "etcd $ETCD_VERSION" bash -c "cd '$dir' && go mod tidy && go build -ldflags='-s -w' -o '$RAMP_BIN_DIR/etcd.tmp' . && mv '$RAMP_BIN_DIR/etcd.tmp' '$RAMP_BIN_DIR/etcd'"
}

# k8s.io/kubernetes replaces its staging modules with local folders, so it builds only from a
# wrapper module that points each of them at the published version instead.
k8s_dir="$RAMP_CACHE_DIR/build/kubernetes-$K8S_VERSION"
k8s_wrapper() {
  local dir=$k8s_dir
  if [ ! -f "$dir/go.sum" ]; then
    mkdir -p "$dir"
    local gomod; gomod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
    {
      printf 'module ramp.local/kubernetes\n\ngo 1.26\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n' "$K8S_VERSION"
      sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\t\1 => \1 '"$K8S_STAGING_VERSION"'#p' "$gomod"
      printf ')\n'
    } >"$dir/go.mod"
    cat >"$dir/tools.go" <<'GO'
//go:build tools

// Package tools pins the Kubernetes commands this wrapper module builds.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
    run_with_progress "kubernetes $K8S_VERSION module graph" bash -c "cd '$dir' && go mod tidy"
  fi
}

build_k8s() {
  for cmd in "$@"; do
    [ -x "$RAMP_BIN_DIR/$cmd" ] && continue
    k8s_wrapper
    run_with_progress "$cmd $K8S_VERSION" bash -c "cd '$k8s_dir' && go build -ldflags='$k8s_ldflags' -o '$RAMP_BIN_DIR/$cmd.tmp' k8s.io/kubernetes/cmd/$cmd && mv '$RAMP_BIN_DIR/$cmd.tmp' '$RAMP_BIN_DIR/$cmd'"
  done
}

build_kwok() {
  if [ ! -x "$RAMP_BIN_DIR/kwok" ]; then
    run_with_progress "kwok $KWOK_VERSION" bash -c "GOBIN='$RAMP_BIN_DIR' go install -ldflags='-s -w' sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  fi
  # kwok refuses to start without stages; they ship in its module.
  if [ ! -f "$RAMP_BIN_DIR/kwok-stages.yaml" ]; then
    local mod; mod=$(go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
    local out="$RAMP_BIN_DIR/kwok-stages.yaml.tmp"
    : >"$out"
    for s in node/fast node/heartbeat pod/fast; do
      for f in "$mod"/kustomize/stage/$s/*.yaml; do
        case "$(basename "$f")" in kustomization.yaml) continue ;; esac
        printf -- '---\n' >>"$out"
        cat "$f" >>"$out"
      done
    done
    mv "$out" "$RAMP_BIN_DIR/kwok-stages.yaml"
  fi
}

# Traefik's go.mod points two modules at forks and one at a folder its module zip leaves out, so,
# as Kubernetes, it builds from a wrapper module:
# - github.com/traefik/traefik/dynamic/ext (its plugin extension points): a stub of the types
#   Traefik names; this data plane loads no plugins;
# - github.com/abbot/go-http-auth, forked by containous, whose fork the module proxy does not
#   serve: upstream v0.4.0 plus the two functions the fork adds (CheckSecret, RequireAuthStale);
# - github.com/go-acme/lego/v5 registers every ACME DNS provider, and some of their SDKs are not
#   served either: its copy here registers none (this data plane has no ACME).
GO_HTTP_AUTH_BASE=v0.4.0
build_traefik() {
  [ -x "$RAMP_BIN_DIR/traefik" ] && return
  local dir="$RAMP_CACHE_DIR/build/traefik-$TRAEFIK_VERSION"
  if [ ! -f "$dir/go.sum" ]; then
    rm -rf "$dir"; mkdir -p "$dir/ext"
    local gomod lego_version lego_dir auth_dir
    gomod=$(go mod download -json "github.com/traefik/traefik/v3@$TRAEFIK_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
    [ -n "$gomod" ] || die "could not download github.com/traefik/traefik/v3@$TRAEFIK_VERSION"
    lego_version=$(sed -n 's#^[[:space:]]*github.com/go-acme/lego/v5 \(v[^ ]*\).*#\1#p' "$gomod" | head -n1)
    lego_dir=$(go mod download -json "github.com/go-acme/lego/v5@$lego_version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
    auth_dir=$(go mod download -json "github.com/abbot/go-http-auth@$GO_HTTP_AUTH_BASE" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
    [ -n "$lego_dir" ] && [ -n "$auth_dir" ] || die "could not download lego $lego_version or go-http-auth $GO_HTTP_AUTH_BASE"

    cat >"$dir/ext/go.mod" <<'GOMOD'
module github.com/traefik/traefik/dynamic/ext

go 1.26
GOMOD
    cat >"$dir/ext/ext.go" <<'GO'
// Package ext stands in for Traefik's extension module, which its module zip leaves out.
package ext

type HTTP struct{}

type Router struct{}

type RouterIng struct{}

func (RouterIng) ToRouter() Router { return Router{} }
GO
    cp -r "$auth_dir" "$dir/goauth"; chmod -R u+w "$dir/goauth"
    rm -rf "$dir/goauth/examples" "$dir"/goauth/*_test.go
    printf 'module github.com/abbot/go-http-auth\n\ngo 1.21\n\nrequire golang.org/x/crypto v0.56.0\n' >"$dir/goauth/go.mod"
    cat >"$dir/goauth/traefik_fork.go" <<'GO'
package auth

import (
	"fmt"
	"net/http"
	"strings"
)

// CheckSecret reports whether password matches the stored secret (MD5, SHA or bcrypt).
func CheckSecret(password, secret string) bool {
	compare := compareFuncs[0].compare
	for _, cmp := range compareFuncs[1:] {
		if strings.HasPrefix(secret, cmp.prefix) {
			compare = cmp.compare
			break
		}
	}
	return compare([]byte(secret), []byte(password)) == nil
}

// RequireAuthStale asks for authentication again, saying the nonce was stale.
func (a *DigestAuth) RequireAuthStale(w http.ResponseWriter, r *http.Request) {
	nonce := RandomKey()
	a.clients[nonce] = &digest_client{nc: 0, last_seen: 0}
	w.Header().Set(contentType, a.Headers.V().UnauthContentType)
	w.Header().Set(a.Headers.V().Authenticate,
		fmt.Sprintf(`Digest realm="%s", nonce="%s", opaque="%s", algorithm="MD5", qop="auth", stale=true`,
			a.Realm, nonce, a.Opaque))
	w.WriteHeader(a.Headers.V().UnauthCode)
	_, _ = w.Write([]byte(a.Headers.V().UnauthResponse))
}
GO
    cp -r "$lego_dir" "$dir/lego"; chmod -R u+w "$dir/lego"
    rm -f "$dir/lego/providers/dns/dns_providers_test.go"
    cat >"$dir/lego/providers/dns/zz_gen_dns_providers.go" <<'GO'
package dns

import (
	"fmt"

	"github.com/go-acme/lego/v5/challenge"
)

// NewDNSChallengeProviderByName refuses every name: ramp's local Traefik has no ACME DNS challenge.
func NewDNSChallengeProviderByName(name string) (challenge.Provider, error) {
	return nil, fmt.Errorf("DNS provider %s: not built into ramp's local Traefik", name)
}
GO
    {
      printf 'module ramp.local/traefik\n\ngo 1.26\n\nrequire github.com/traefik/traefik/v3 %s\n\nreplace (\n' "$TRAEFIK_VERSION"
      printf '\tgithub.com/traefik/traefik/dynamic/ext => ./ext\n\tgithub.com/abbot/go-http-auth => ./goauth\n\tgithub.com/go-acme/lego/v5 => ./lego\n'
      sed -n 's#^[[:space:]]*\(github.com/gorilla/mux => .*\)#\t\1#p' "$gomod"
      printf ')\n\n'
      grep '^exclude ' "$gomod"
    } >"$dir/go.mod"
    cat >"$dir/tools.go" <<'GO'
//go:build tools

// Package tools pins the command this wrapper module builds.
package tools

import _ "github.com/traefik/traefik/v3/cmd/traefik"
GO
    run_with_progress "traefik $TRAEFIK_VERSION module graph" bash -c "cd '$dir' && go mod tidy"
  fi
  run_with_progress "traefik $TRAEFIK_VERSION" bash -c "cd '$dir' && go build -ldflags='-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=$TRAEFIK_VERSION' -o '$RAMP_BIN_DIR/traefik.tmp' github.com/traefik/traefik/v3/cmd/traefik && mv '$RAMP_BIN_DIR/traefik.tmp' '$RAMP_BIN_DIR/traefik'"
}

needed=(etcd kube-apiserver)
[ "$want" = all ] && needed+=(kube-controller-manager kube-scheduler kubectl kwok traefik)
for b in "${needed[@]}"; do
  if [ ! -x "$RAMP_BIN_DIR/$b" ]; then
    say "building the control plane from source into $RAMP_BIN_DIR: the first time takes"
    say "20-30 minutes on 2 cores (progress below); later runs reuse it"
    break
  fi
done

case "$want" in
  envtest) build_etcd; build_k8s kube-apiserver ;;
  all) build_etcd; build_k8s kube-apiserver kube-controller-manager kube-scheduler kubectl; build_kwok; build_traefik ;;
  *) die "usage: $0 [all|envtest]" ;;
esac
say "binaries ready in $RAMP_BIN_DIR"
