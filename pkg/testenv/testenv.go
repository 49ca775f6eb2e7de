// Package testenv starts a real kube-apiserver and etcd (controller-runtime's envtest) with
// ramp's CRDs installed, for integration tests. The binaries come from KUBEBUILDER_ASSETS,
// which `make test-integration` points at the local control plane's cache.
package testenv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	istionetworkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	rolloutsv1alpha1 "github.com/ramp-dev/ramp/api/v1alpha1"
)

// Env is a running API server with ramp's CRDs installed.
type Env struct {
	Config *rest.Config
	Client client.Client
	env    *envtest.Environment
}

// Start starts etcd and kube-apiserver and installs the CRDs from config/crd/bases, Istio's
// from RAMP_ISTIO_CRDS and the Gateway API's from RAMP_GATEWAY_API_CRDS when set (make
// test-integration sets both).
func Start() (*Env, error) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		return nil, errors.New("KUBEBUILDER_ASSETS is not set: run the integration tests with `make test-integration`, which builds etcd and kube-apiserver and points it at them")
	}
	scheme := clientgoscheme.Scheme
	if err := rolloutsv1alpha1.AddToScheme(scheme); err != nil {
		return nil, fmt.Errorf("register ramp types: %w", err)
	}
	if err := istionetworkingv1.AddToScheme(scheme); err != nil {
		return nil, fmt.Errorf("register istio types: %w", err)
	}
	if err := gatewayv1.Install(scheme); err != nil {
		return nil, fmt.Errorf("register gateway API types: %w", err)
	}
	crds := []string{filepath.Join(repoRoot(), "config", "crd", "bases")}
	if istio := os.Getenv("RAMP_ISTIO_CRDS"); istio != "" {
		crds = append(crds, istio) // Istio's own CRDs, as the istio.io/api module ships them
	}
	if gateway := os.Getenv("RAMP_GATEWAY_API_CRDS"); gateway != "" {
		crds = append(crds, gateway) // the standard channel, as sigs.k8s.io/gateway-api ships it
	}
	env := &envtest.Environment{
		CRDDirectoryPaths:     crds,
		ErrorIfCRDPathMissing: true,
		Scheme:                scheme,
	}
	cfg, err := env.Start()
	if err != nil {
		// Start may fail after the processes are up (a CRD the API server rejects): stop them.
		_ = env.Stop()
		return nil, fmt.Errorf("start envtest: %w", err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		_ = env.Stop()
		return nil, fmt.Errorf("client for envtest: %w", err)
	}
	return &Env{Config: cfg, Client: c, env: env}, nil
}

// Stop stops the API server and etcd.
func (e *Env) Stop() error { return e.env.Stop() }

// repoRoot is the repository's top folder, found from this file's location.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}
