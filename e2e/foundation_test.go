//go:build e2e

package e2e

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/ramp-dev/ramp/e2e/framework"
	"github.com/ramp-dev/ramp/internal/release"
	"github.com/ramp-dev/ramp/internal/release/helmchart"
	"github.com/ramp-dev/ramp/pkg/testenv"
)

// The installs a user runs, the kustomize base, the release's install.yaml (rendered as
// `make release-manifests` does) and the Helm chart, must pass the API server's own validation, admission
// included.
func TestInstallManifestsPassServerDryRun(t *testing.T) {
	objs, err := release.Render(filepath.Join(framework.RepoRoot(), "config", "default"))
	if err != nil {
		t.Fatal(err)
	}
	if err := release.Pin(objs, "ghcr.io/ramp-dev/ramp-controller@sha256:"+strings.Repeat("ab", 32), "v0.0.0-e2e"); err != nil {
		t.Fatal(err)
	}
	install, err := release.YAML("install.yaml as released", objs)
	if err != nil {
		t.Fatal(err)
	}
	installFile := filepath.Join(t.TempDir(), "install.yaml")
	if err := os.WriteFile(installFile, install, 0o644); err != nil {
		t.Fatal(err)
	}
	chartObjs, err := helmchart.Render(filepath.Join(framework.RepoRoot(), "charts", "ramp"), "ramp", framework.ControllerNamespace, nil)
	if err != nil {
		t.Fatal(err)
	}
	chart, err := release.YAML("helm template ramp charts/ramp -n ramp-system --include-crds", chartObjs)
	if err != nil {
		t.Fatal(err)
	}
	chartFile := filepath.Join(t.TempDir(), "chart.yaml")
	if err := os.WriteFile(chartFile, chart, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, args := range map[string][]string{
		"config/default": {"apply", "-k", "config/default", "--dry-run=server"},
		"install.yaml":   {"apply", "--server-side", "--force-conflicts", "-f", installFile, "--dry-run=server"},
		"helm chart":     {"apply", "--server-side", "--force-conflicts", "-f", chartFile, "--dry-run=server"},
	} {
		out, err := cluster.Kubectl(args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, want := range []string{"customresourcedefinition.apiextensions.k8s.io/rollouts.rollouts.ramp.dev", "deployment.apps/ramp-controller", "clusterrole.rbac.authorization.k8s.io/ramp-controller"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: dry-run output lacks %q:\n%s", name, want, out)
			}
		}
	}
}

func TestCRDsAreEstablished(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(framework.RepoRoot(), "config", "crd", "bases", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no CRDs in config/crd/bases (%v)", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var want apiextensionsv1.CustomResourceDefinition
		if err := yaml.Unmarshal(data, &want); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		got := &apiextensionsv1.CustomResourceDefinition{}
		if err := cluster.Client.Get(context.Background(), types.NamespacedName{Name: want.Name}, got); err != nil {
			t.Fatalf("CRD %s not installed: %v", want.Name, err)
		}
		if !framework.CRDEstablished(got) {
			t.Errorf("CRD %s is not Established: %+v", want.Name, got.Status.Conditions)
		}
	}
}

// The controller's identity may do what config/rbac grants and nothing more.
func TestControllerIdentityIsLeastPrivilege(t *testing.T) {
	cfg, err := clientcmd.BuildConfigFromFlags("", cluster.ControllerKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cs := kubernetes.NewForConfigOrDie(cfg)
	tests := []struct {
		attrs authorizationv1.ResourceAttributes
		want  bool
	}{
		{authorizationv1.ResourceAttributes{Namespace: framework.ControllerNamespace, Verb: "update", Group: "coordination.k8s.io", Resource: "leases"}, true},
		{authorizationv1.ResourceAttributes{Verb: "create", Group: "authentication.k8s.io", Resource: "tokenreviews"}, true},
		// Secrets: one by name, for secretKeyRef args the admission policy let through; never a
		// list or watch (every Secret of the cluster in memory), never a write.
		{authorizationv1.ResourceAttributes{Namespace: "default", Verb: "get", Resource: "secrets"}, true},
		{authorizationv1.ResourceAttributes{Verb: "list", Resource: "secrets"}, false},
		{authorizationv1.ResourceAttributes{Verb: "watch", Resource: "secrets"}, false},
		{authorizationv1.ResourceAttributes{Namespace: "default", Verb: "create", Resource: "secrets"}, false},
		{authorizationv1.ResourceAttributes{Namespace: "default", Verb: "update", Resource: "secrets"}, false},
		// Pods: listed and relabelled, evicted through the Eviction API (which honours
		// PodDisruptionBudgets); never created, deleted, exec'd into or read.
		{authorizationv1.ResourceAttributes{Namespace: "default", Verb: "list", Resource: "pods"}, true},
		{authorizationv1.ResourceAttributes{Namespace: "default", Verb: "patch", Resource: "pods"}, true},
		{authorizationv1.ResourceAttributes{Namespace: "default", Verb: "create", Resource: "pods", Subresource: "eviction"}, true},
		{authorizationv1.ResourceAttributes{Namespace: "default", Verb: "create", Resource: "pods"}, false},
		{authorizationv1.ResourceAttributes{Namespace: "default", Verb: "delete", Resource: "pods"}, false},
		{authorizationv1.ResourceAttributes{Namespace: "default", Verb: "create", Resource: "pods", Subresource: "exec"}, false},
		{authorizationv1.ResourceAttributes{Namespace: "default", Verb: "get", Resource: "pods", Subresource: "log"}, false},
		// No borrowing of other identities.
		{authorizationv1.ResourceAttributes{Namespace: "default", Verb: "create", Resource: "serviceaccounts", Subresource: "token"}, false},
		{authorizationv1.ResourceAttributes{Verb: "impersonate", Resource: "users"}, false},
		{authorizationv1.ResourceAttributes{Verb: "bind", Group: "rbac.authorization.k8s.io", Resource: "clusterroles"}, false},
		{authorizationv1.ResourceAttributes{Namespace: "default", Verb: "update", Group: "coordination.k8s.io", Resource: "leases"}, false},
		{authorizationv1.ResourceAttributes{Verb: "delete", Resource: "namespaces"}, false},
	}
	for _, tt := range tests {
		review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &tt.attrs}}
		got, err := cs.AuthorizationV1().SelfSubjectAccessReviews().Create(context.Background(), review, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("access review: %v", err)
		}
		if got.Status.Allowed != tt.want {
			t.Errorf("%s %s/%s in %q: allowed=%v, want %v", tt.attrs.Verb, tt.attrs.Group, tt.attrs.Resource, tt.attrs.Namespace, got.Status.Allowed, tt.want)
		}
	}
}

// The controller starts against the cluster as its ServiceAccount, wins the leader election,
// serves metrics only to authorized callers and logs no permission errors.
func TestControllerStartsAsItsServiceAccount(t *testing.T) {
	ctrl := cluster.StartController(t, controllerBin, "--leader-elect", "--leader-election-namespace="+framework.ControllerNamespace)

	testenv.Eventually(t, 60*time.Second, "the controller to hold the leader Lease", func(ctx context.Context) (bool, string, error) {
		lease := &coordinationv1.Lease{}
		err := cluster.Client.Get(ctx, client.ObjectKey{Namespace: framework.ControllerNamespace, Name: "ramp-controller.rollouts.ramp.dev"}, lease)
		if err != nil {
			return false, "", err
		}
		holder := ""
		if lease.Spec.HolderIdentity != nil {
			holder = *lease.Spec.HolderIdentity
		}
		return holder != "" && strings.Contains(ctrl.Logs(), "Successfully acquired lease"), "holder " + holder, nil
	})

	insecure := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	url := "https://" + ctrl.MetricAddr + "/metrics"
	var code int
	testenv.Eventually(t, 30*time.Second, "the metrics endpoint to answer", func(ctx context.Context) (bool, string, error) {
		var err error
		code, _, err = get(ctx, insecure, url, "")
		return err == nil, "", err
	})
	if code != http.StatusUnauthorized {
		t.Errorf("metrics without a token: status %d, want 401", code)
	}
	code, body, err := get(context.Background(), insecure, url, cluster.Config.BearerToken)
	if err != nil || code != http.StatusOK || !strings.Contains(body, "leader_election_master_status") {
		t.Errorf("metrics as an authorized caller: status %d, error %v, body lacks leader_election_master_status:\n%.500s", code, err, body)
	}
	if denial := framework.RBACDenial(ctrl.Logs()); denial != "" {
		t.Errorf("the controller was denied by RBAC; a rule is missing: %s", denial)
	}
	if ctrl.Exited() {
		t.Errorf("the controller exited")
	}
}

func get(ctx context.Context, c *http.Client, url, token string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// kwok, the scheduler and the controller-manager are wired: a Deployment's pods are scheduled
// onto the fake nodes and become Ready.
func TestDeploymentBecomesAvailable(t *testing.T) {
	ns := cluster.Namespace(t)
	cluster.Apply(t, ns, []byte(`
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: nginx:1.27}
`))
	testenv.Eventually(t, 90*time.Second, "3 available replicas", func(ctx context.Context) (bool, string, error) {
		d := &appsv1.Deployment{}
		if err := cluster.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, d); err != nil {
			return false, "", err
		}
		return d.Status.AvailableReplicas == 3, "available " + itoa(d.Status.AvailableReplicas), nil
	})
	pods := &corev1.PodList{}
	if err := cluster.Client.List(context.Background(), pods, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		if !strings.HasPrefix(p.Spec.NodeName, "kwok-node-") || p.Status.Phase != corev1.PodRunning {
			t.Errorf("pod %s: node %q phase %s, want Running on a kwok node", p.Name, p.Spec.NodeName, p.Status.Phase)
		}
	}
}

func itoa(i int32) string { return strconv.Itoa(int(i)) }

// Every example a user copies must be accepted by the API server as it stands.
func TestExamplesPassServerDryRun(t *testing.T) {
	ns := cluster.Namespace(t)
	if _, err := cluster.Kubectl("apply", "--dry-run=server", "-n", ns, "-f", "examples/"); err != nil {
		t.Fatal(err)
	}
}

// Istio's own CRDs are installed, as users of the Istio router have them.
func TestIstioCRDsAreEstablished(t *testing.T) {
	checkCRDsEstablished(t, "RAMP_ISTIO_CRDS", "virtualservices.networking.istio.io", "destinationrules.networking.istio.io")
}

// The Gateway API's standard channel, as users of its routers have it.
func TestGatewayAPICRDsAreEstablished(t *testing.T) {
	checkCRDsEstablished(t, "RAMP_GATEWAY_API_CRDS", "httproutes.gateway.networking.k8s.io", "grpcroutes.gateway.networking.k8s.io",
		"gateways.gateway.networking.k8s.io", "referencegrants.gateway.networking.k8s.io")
}

// checkCRDsEstablished: hack/e2e.sh set env (the CRDs' source), and InstallRamp installed
// each CRD named, which the API server serves.
func checkCRDsEstablished(t *testing.T, env string, names ...string) {
	t.Helper()
	if os.Getenv(env) == "" {
		t.Fatalf("%s is not set: run the suite with make e2e", env)
	}
	for _, name := range names {
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := cluster.Client.Get(context.Background(), types.NamespacedName{Name: name}, crd); err != nil {
			t.Fatalf("CRD %s: %v", name, err)
		}
		if !framework.CRDEstablished(crd) {
			t.Errorf("CRD %s is not established", name)
		}
	}
}
