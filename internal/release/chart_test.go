package release

import (
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/ramp-dev/ramp/internal/release/helmchart"
)

const chartDir = "../../charts/ramp"

func renderChart(name, namespace string, values map[string]any) ([]*unstructured.Unstructured, error) {
	return helmchart.Render(chartDir, name, namespace, values)
}

func keyOf(o *unstructured.Unstructured) string {
	return o.GetKind() + " " + o.GetNamespace() + "/" + o.GetName()
}

// comparable is an object without what may differ between the chart and the kustomize base:
// its labels and annotations (Helm's own), and the controller's image, whose tag each sets.
func comparable(o *unstructured.Unstructured) map[string]any {
	c := o.DeepCopy()
	unstructured.RemoveNestedField(c.Object, "metadata", "labels")
	unstructured.RemoveNestedField(c.Object, "metadata", "annotations")
	if containers, ok, _ := unstructured.NestedSlice(c.Object, "spec", "template", "spec", "containers"); ok {
		for _, container := range containers {
			delete(container.(map[string]any), "image")
			delete(container.(map[string]any), "imagePullPolicy")
		}
		_ = unstructured.SetNestedSlice(c.Object, containers, "spec", "template", "spec", "containers")
	}
	return c.Object
}

// With its default values, the chart installed as release "ramp" in ramp-system renders
// exactly the objects of config/default but its Namespace (Helm's --create-namespace makes
// it): the same CRDs, RBAC rules, admission policy, Service and Deployment, args included.
func TestChartMatchesTheKustomizeBase(t *testing.T) {
	base, err := Render("../../config/default")
	if err != nil {
		t.Fatal(err)
	}
	chart, err := renderChart("ramp", "ramp-system", nil)
	if err != nil {
		t.Fatal(err)
	}
	fromChart := map[string]*unstructured.Unstructured{}
	for _, o := range chart {
		fromChart[keyOf(o)] = o
	}
	for _, o := range base {
		if o.GetKind() == "Namespace" {
			continue
		}
		c, ok := fromChart[keyOf(o)]
		if !ok {
			t.Errorf("the chart lacks %s", keyOf(o))
			continue
		}
		delete(fromChart, keyOf(o))
		if want, got := comparable(o), comparable(c); !reflect.DeepEqual(want, got) {
			w, _ := yaml.Marshal(want)
			g, _ := yaml.Marshal(got)
			t.Errorf("%s differs:\n--- config/default\n%s\n--- chart\n%s", keyOf(o), w, g)
		}
	}
	for key := range fromChart {
		t.Errorf("the chart renders %s, which config/default lacks", key)
	}
}

func deploymentArgs(t *testing.T, objs []*unstructured.Unstructured) ([]string, map[string]any) {
	t.Helper()
	for _, o := range objs {
		if o.GetKind() == "Deployment" {
			containers, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "containers")
			c := containers[0].(map[string]any)
			var args []string
			for _, a := range c["args"].([]any) {
				args = append(args, a.(string))
			}
			podSpec, _, _ := unstructured.NestedMap(o.Object, "spec", "template", "spec")
			podSpec["image"] = c["image"]
			return args, podSpec
		}
	}
	t.Fatal("no Deployment rendered")
	return nil, nil
}

// Every value reaches the controller: image digest, workers, log level, API limits, shard,
// egress policy, scheduling; the ServiceMonitor and the admission policy follow their switch.
func TestChartValuesReachTheController(t *testing.T) {
	values := map[string]any{
		"image":                map[string]any{"digest": "sha256:" + strings.Repeat("ab", 32)},
		"workers":              map[string]any{"rollouts": 16, "analysis": 32},
		"logLevel":             "debug",
		"kubeAPI":              map[string]any{"qps": 50, "burst": 100},
		"watchesLabelSelector": "shard=a",
		"analysis":             map[string]any{"egress": map[string]any{"allowCIDRs": []any{"10.0.0.0/8", "192.168.0.0/16"}, "allowHosts": []any{"prometheus.monitoring.svc"}, "denyCIDRs": []any{"10.9.0.0/16"}}},
		"nodeSelector":         map[string]any{"kubernetes.io/os": "linux"},
		"tolerations":          []any{map[string]any{"key": "dedicated", "operator": "Exists"}},
		"affinity":             map[string]any{"nodeAffinity": map[string]any{}},
		"metrics":              map[string]any{"serviceMonitor": map[string]any{"enabled": true}},
		"admissionPolicy":      map[string]any{"enabled": false},
	}
	objs, err := renderChart("shard-a", "ops", values)
	if err != nil {
		t.Fatal(err)
	}
	args, pod := deploymentArgs(t, objs)
	want := []string{"--leader-elect", "--metrics-bind-address=:8443", "--health-probe-bind-address=:8081",
		"--rollout-workers=16", "--analysis-workers=32", "--zap-log-level=debug", "--kube-api-qps=50", "--kube-api-burst=100",
		"--watches-label-selector=shard=a", "--analysis-egress-allow-cidrs=10.0.0.0/8,192.168.0.0/16",
		"--analysis-egress-allow-hosts=prometheus.monitoring.svc", "--analysis-egress-deny-cidrs=10.9.0.0/16"}
	if !reflect.DeepEqual(args, want) {
		t.Errorf("args\n %v\nwant\n %v", args, want)
	}
	if pod["image"] != "ghcr.io/ramp-dev/ramp-controller@sha256:"+strings.Repeat("ab", 32) {
		t.Errorf("image %v", pod["image"])
	}
	if pod["serviceAccountName"] != "shard-a-controller" || pod["nodeSelector"] == nil || pod["tolerations"] == nil ||
		!reflect.DeepEqual(pod["affinity"], map[string]any{"nodeAffinity": map[string]any{}}) {
		t.Errorf("pod spec: %v", pod)
	}
	kinds := map[string]bool{}
	for _, o := range objs {
		kinds[o.GetKind()] = true
	}
	if !kinds["ServiceMonitor"] || kinds["ValidatingAdmissionPolicy"] {
		t.Errorf("kinds %v: want a ServiceMonitor and no admission policy", kinds)
	}
}

// Another release name and namespace: the admission policy exempts that release's own
// ServiceAccount, not ramp-system's.
func TestChartAdmissionPolicyExemptsItsOwnServiceAccount(t *testing.T) {
	objs, err := renderChart("team-a", "ops", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if o.GetKind() != "ValidatingAdmissionPolicy" {
			continue
		}
		conditions, _, _ := unstructured.NestedSlice(o.Object, "spec", "matchConditions")
		expr := conditions[0].(map[string]any)["expression"].(string)
		if !strings.Contains(expr, "'system:serviceaccount:ops:team-a-controller'") {
			t.Errorf("the policy exempts %s", expr)
		}
		return
	}
	t.Fatal("no admission policy rendered")
}

// Values that cannot work fail the install with a message that says why.
func TestChartRefusesValuesThatCannotWork(t *testing.T) {
	for name, c := range map[string]struct {
		values map[string]any
		want   string
	}{
		"replicas without leader election": {map[string]any{"leaderElection": map[string]any{"enabled": false}}, "enable leader election or set replicas: 1"},
		"a digest that is not one":         {map[string]any{"image": map[string]any{"digest": "latest"}}, `image.digest "latest"`},
	} {
		if _, err := renderChart("ramp", "ramp-system", c.values); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", name, err, c.want)
		}
	}
	if _, err := renderChart("ramp", "ramp-system", map[string]any{"replicas": 1, "leaderElection": map[string]any{"enabled": false}}); err != nil {
		t.Errorf("one replica without leader election: %v", err)
	}
}
