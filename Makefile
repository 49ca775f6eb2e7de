# ramp: progressive delivery for Kubernetes. `make help` lists the targets.
include hack/versions.env

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec
.DEFAULT_GOAL := help

RAMP_CACHE_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/ramp
RAMP_BIN_DIR ?= $(RAMP_CACHE_DIR)/bin/$(K8S_VERSION)
RAMP_CLUSTER_DIR ?= $(RAMP_CACHE_DIR)/cluster
export RAMP_CACHE_DIR RAMP_BIN_DIR RAMP_CLUSTER_DIR

TOOLS_DIR := $(RAMP_CACHE_DIR)/tools
CONTROLLER_GEN := $(TOOLS_DIR)/controller-gen-$(CONTROLLER_TOOLS_VERSION)
KUBECONFIG_LOCAL := $(RAMP_CLUSTER_DIR)/kubeconfig
# The local cluster's kubectl when it has been built, else the one on PATH.
KUBECTL := $(or $(wildcard $(RAMP_BIN_DIR)/kubectl),kubectl)
GO_TEST_FLAGS ?=

##@ Getting started

.PHONY: demo
demo: ## Bring up the local cluster, install ramp, run the controller and show it working (STRATEGY=bluegreen for blue-green, ROUTER=gatewayapi for Gateway API routing).
	hack/demo.sh

.PHONY: test
test: vet test-unit test-integration e2e ## Run every test: vet, unit, envtest integration and e2e.

##@ Development

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make <target>\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  %-20s %s\n", $$1, $$2 } /^##@/ { printf "\n%s\n", substr($$0, 5) }' $(MAKEFILE_LIST)

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate deepcopy code.
	$(CONTROLLER_GEN) object:headerFile=hack/boilerplate.go.txt paths=./api/...

.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## Generate CRDs into config/crd/bases and the ClusterRole into config/rbac (and their copies in charts/ramp).
	$(CONTROLLER_GEN) rbac:roleName=ramp-controller crd:generateEmbeddedObjectMeta=true paths=./... \
		output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac
	go run ./hack/crdtrim config/crd/bases/*.yaml
	@# The Helm chart installs the same CRDs and RBAC rules.
	cp config/crd/bases/*.yaml charts/ramp/crds/
	cp config/rbac/role.yaml charts/ramp/files/role.yaml

.PHONY: verify-generated
verify-generated: generate manifests ## Fail when generated code or manifests are stale.
	@if [ -n "$$(git status --porcelain -- api config charts)" ]; then \
		git status --porcelain -- api config charts; git --no-pager diff -- api config charts | head -n 50; \
		echo "generated files are stale: run 'make generate manifests' and commit the result"; exit 1; fi

.PHONY: fmt
fmt: ## Run gofmt on the code.
	gofmt -w $$(git ls-files '*.go')

.PHONY: vet
vet: ## Run go vet over every package, test tags included.
	@bad=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$bad" ]; then echo "gofmt needed: $$bad"; exit 1; fi
	go vet -tags integration,e2e ./...

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# Where install-plugin puts kubectl-ramp: GOBIN, else GOPATH/bin.
PLUGIN_DIR ?= $(or $(shell go env GOBIN),$(shell go env GOPATH)/bin)

.PHONY: build
build: ## Build ramp-controller and kubectl-ramp into bin/.
	go build -ldflags "-X main.version=$(VERSION)" -o bin/ramp-controller ./cmd/ramp-controller
	go build -ldflags "-X main.version=$(VERSION)" -o bin/kubectl-ramp ./cmd/kubectl-ramp

.PHONY: install-plugin
install-plugin: ## Install kubectl-ramp into PLUGIN_DIR (GOBIN or GOPATH/bin), so that `kubectl ramp` finds it.
	mkdir -p "$(PLUGIN_DIR)"
	go build -ldflags "-X main.version=$(VERSION)" -o "$(PLUGIN_DIR)/kubectl-ramp" ./cmd/kubectl-ramp
	@# kubectl (1.26+) completes a plugin's arguments through kubectl_complete-<plugin>.
	printf '#!/bin/sh\nexec kubectl-ramp __complete "$$@"\n' >"$(PLUGIN_DIR)/kubectl_complete-ramp"
	chmod +x "$(PLUGIN_DIR)/kubectl_complete-ramp"
	@echo "kubectl-ramp $(VERSION) installed in $(PLUGIN_DIR), with kubectl_complete-ramp for kubectl's completion"
	@case ":$$PATH:" in *":$(PLUGIN_DIR):"*) echo "try: kubectl ramp version";; \
		*) echo "$(PLUGIN_DIR) is not on your PATH: add it (export PATH=\"$(PLUGIN_DIR):\$$PATH\") so that kubectl finds the plugin";; esac

.PHONY: test-unit
test-unit: ## Run the unit tests (no cluster needed).
	go test $(GO_TEST_FLAGS) ./...

.PHONY: envtest-assets
envtest-assets: ## Build the etcd and kube-apiserver binaries envtest uses (cached).
	hack/build-bins.sh envtest

.PHONY: bench
bench: envtest-assets ## Measure the planner's cost, how fast an abort returns traffic to stable (objects, then real requests), and requests lost in a promotion.
	go test -run '^$$' -bench . -benchmem ./pkg/plan/
	KUBEBUILDER_ASSETS=$(RAMP_BIN_DIR) RAMP_ISTIO_CRDS=$$(hack/istio-crds.sh) RAMP_GATEWAY_API_CRDS=$$(hack/gateway-api-crds.sh) go test -tags integration -run '^$$' -bench Abort -benchtime 30x ./controllers/
	hack/e2e.sh -run '^$$' -bench DataPlaneAbort -benchtime 30x
	hack/e2e.sh -run '^$$' -bench DataPlanePromotion -benchtime 5x
	hack/e2e.sh -run '^$$' -bench WorkloadResyncUndone -benchtime 30x

.PHONY: bench-scale
bench-scale: ## Measure ramp at scale on the local control plane (abort latency, step overhead, writes, idle RSS/CPU); 20-40 min.
	hack/bench-scale.sh

.PHONY: test-integration
test-integration: envtest-assets ## Run the integration tests (with the race detector) against a real kube-apiserver and Prometheus.
	KUBEBUILDER_ASSETS=$(RAMP_BIN_DIR) RAMP_ISTIO_CRDS=$$(hack/istio-crds.sh) RAMP_GATEWAY_API_CRDS=$$(hack/gateway-api-crds.sh) RAMP_PROMETHEUS=$$(hack/prometheus.sh) go test -race -tags integration -count=1 $(GO_TEST_FLAGS) ./controllers/... ./api/... ./pkg/... ./config/...

.PHONY: e2e
e2e: ## Run the e2e suite on the local control plane (started, and stopped after, if not up).
	hack/e2e.sh $(GO_TEST_FLAGS)

##@ Local cluster

.PHONY: cluster-up
cluster-up: ## Start the local control plane (builds its binaries once, into the cache).
	hack/cluster-up.sh

.PHONY: cluster-down
cluster-down: ## Stop the local control plane and remove its state.
	hack/cluster-down.sh

.PHONY: install
install: ## Apply the CRDs to the current cluster (KUBECONFIG, else the local one).
	$(KUBECTL) --kubeconfig $${KUBECONFIG:-$(KUBECONFIG_LOCAL)} apply --server-side -k config/crd

.PHONY: run
run: install ## Run the controller as a local process against the current cluster.
	go run ./cmd/ramp-controller --kubeconfig $${KUBECONFIG:-$(KUBECONFIG_LOCAL)} \
		--metrics-bind-address=:8080 --metrics-secure=false --zap-devel

$(CONTROLLER_GEN):
	mkdir -p $(TOOLS_DIR)
	GOBIN=$(TOOLS_DIR) go install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_TOOLS_VERSION)
	mv $(TOOLS_DIR)/controller-gen $@

##@ Release

# The image's repository; `make image-push REGISTRY=r.example.com/team` pushes to REGISTRY/ramp-controller.
IMAGE ?= $(if $(REGISTRY),$(REGISTRY)/ramp-controller,ghcr.io/ramp-dev/ramp-controller)
IMAGE_DIR ?= bin/image
PLATFORMS ?= linux/amd64,linux/arm64
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null)
# The commit's time, so that one commit always gives one image digest.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)

.PHONY: image
image: ## Build ramp-controller's OCI image (PLATFORMS, one index) into bin/image and bin/image.tar: Go only, no Docker.
	go run ./hack/image build --out $(IMAGE_DIR) --version $(VERSION) --revision "$(REVISION)" --created $(SOURCE_DATE_EPOCH) --platforms $(PLATFORMS)

.PHONY: image-push
image-push: image ## Push the image to REGISTRY/ramp-controller:VERSION (credentials from ~/.docker/config.json).
	@[ -n "$(REGISTRY)" ] || { echo "set REGISTRY, e.g. make image-push REGISTRY=ghcr.io/your-org"; exit 1; }
	go run ./hack/image push --from $(IMAGE_DIR) --to $(IMAGE):$(VERSION)

.PHONY: release-manifests
release-manifests: image ## Write install.yaml, crds.yaml and controller.yaml for VERSION into bin/release, the image pinned by digest.
	go run ./hack/release --kustomization config/default --image $(IMAGE) --layout $(IMAGE_DIR) --version $(VERSION) --out bin/release
