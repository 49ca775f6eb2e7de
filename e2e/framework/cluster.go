// Package framework is the e2e suite's toolbox: a connection to the local control plane,
// a namespace per test, YAML apply, polling with a deadline, state dumps on failure and the
// controller as a child process of the test.
package framework

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	networkingistio "istio.io/client-go/pkg/apis/networking/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	rolloutsv1alpha1 "github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/testenv"
)

// ControllerNamespace is where config/rbac puts the controller's identity and Lease.
const ControllerNamespace = "ramp-system"

// Cluster is a connection to the local control plane as its administrator.
type Cluster struct {
	Kubeconfig string // admin kubeconfig path
	// ControllerKubeconfig has the admin's credentials impersonating the controller's
	// ServiceAccount, so the controller runs with exactly the RBAC a real install gives it.
	ControllerKubeconfig string
	BinDir               string // folder of the control-plane binaries (kubectl among them)
	ClusterDir           string // the local cluster's state, PID files and logs (hack/cluster-up.sh)
	Config               *rest.Config
	Client               client.Client
	Clientset            kubernetes.Interface

	mu       sync.Mutex
	restarts []Window // of the API server, by RestartAPIServer
}

// Connect reads RAMP_E2E_KUBECONFIG, RAMP_E2E_CONTROLLER_KUBECONFIG, RAMP_BIN_DIR and
// RAMP_E2E_CLUSTER_DIR, which hack/e2e.sh sets.
func Connect() (*Cluster, error) {
	kubeconfig, ctrlKubeconfig, binDir := os.Getenv("RAMP_E2E_KUBECONFIG"), os.Getenv("RAMP_E2E_CONTROLLER_KUBECONFIG"), os.Getenv("RAMP_BIN_DIR")
	if kubeconfig == "" || ctrlKubeconfig == "" || binDir == "" {
		return nil, errors.New("RAMP_E2E_KUBECONFIG, RAMP_E2E_CONTROLLER_KUBECONFIG and RAMP_BIN_DIR are not set: run the e2e suite with `make e2e`, which starts the local cluster")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("load kubeconfig %s: %w", kubeconfig, err)
	}
	cfg.QPS, cfg.Burst = 100, 200
	scheme := clientgoscheme.Scheme
	if err := rolloutsv1alpha1.AddToScheme(scheme); err != nil {
		return nil, fmt.Errorf("register ramp types: %w", err)
	}
	if err := networkingistio.AddToScheme(scheme); err != nil {
		return nil, fmt.Errorf("register istio types: %w", err)
	}
	if err := apiextensionsv1.AddToScheme(scheme); err != nil {
		return nil, fmt.Errorf("register CRD types: %w", err)
	}
	if err := gatewayv1.Install(scheme); err != nil {
		return nil, fmt.Errorf("register gateway API types: %w", err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("clientset: %w", err)
	}
	return &Cluster{Kubeconfig: kubeconfig, ControllerKubeconfig: ctrlKubeconfig, BinDir: binDir, ClusterDir: os.Getenv("RAMP_E2E_CLUSTER_DIR"), Config: cfg, Client: c, Clientset: cs}, nil
}

// Kubectl runs the cluster's kubectl as its administrator and returns its combined output.
func (c *Cluster) Kubectl(args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(c.BinDir, "kubectl"), append([]string{"--kubeconfig", c.Kubeconfig}, args...)...)
	cmd.Dir = RepoRoot()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("kubectl %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// InstallRamp applies config/local (the CRDs, the namespace and the controller's RBAC),
// Istio's and the Gateway API's CRDs, and waits until every CRD is established.
func (c *Cluster) InstallRamp() error {
	if _, err := c.Kubectl("apply", "--server-side", "--force-conflicts", "--field-manager=ramp-e2e", "-k", "config/local"); err != nil {
		return err
	}
	// Istio's CRDs and the Gateway API's, as users of those routers have them (hack/e2e.sh
	// finds them in the pinned Go modules).
	for _, env := range []string{"RAMP_ISTIO_CRDS", "RAMP_GATEWAY_API_CRDS"} {
		if path := os.Getenv(env); path != "" {
			if _, err := c.Kubectl("apply", "--server-side", "--force-conflicts", "--field-manager=ramp-e2e", "-f", path); err != nil {
				return err
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for {
		crds := &apiextensionsv1.CustomResourceDefinitionList{}
		if err := c.Client.List(ctx, crds); err != nil {
			return fmt.Errorf("list CRDs: %w", err)
		}
		pending := []string{}
		for i := range crds.Items {
			if crd := &crds.Items[i]; !CRDEstablished(crd) {
				pending = append(pending, crd.Name)
			}
		}
		if len(pending) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("CRDs not established after a minute: %v", pending)
		case <-time.After(testenv.PollInterval):
		}
	}
}

// CRDEstablished reports whether the API server serves a CRD.
func CRDEstablished(crd *apiextensionsv1.CustomResourceDefinition) bool {
	for _, cond := range crd.Status.Conditions {
		if cond.Type == apiextensionsv1.Established {
			return cond.Status == apiextensionsv1.ConditionTrue
		}
	}
	return false
}

// RepoRoot is the repository's top folder.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}
