package istio

import (
	"reflect"
	"strings"
	"testing"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/traffic"
)

const destinationRule = `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web, namespace: prod}
spec:
  host: web
  trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
  subsets:
  - name: stable
    labels: {app: web, rollouts-pod-template-hash: abc}
  - name: canary
  - name: other
    labels: {app: web}
`

func TestSubsetOps(t *testing.T) {
	dr, doc := drFromYAML(t, destinationRule)
	ops, err := subsetOps(dr, "stable", "def", "canary", "ghi")
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, mustApply(t, doc, ops), strings.NewReplacer(
		"rollouts-pod-template-hash: abc", "rollouts-pod-template-hash: def",
		"- name: canary", "- name: canary\n    labels: {rollouts-pod-template-hash: ghi}",
	).Replace(destinationRule))

	if ops, err := subsetOps(dr, "stable", "abc", "canary", ""); err != nil || ops != nil {
		t.Fatalf("ops %s, %v with the stable hash unchanged and no canary hash, want none", opsJSON(ops), err)
	}
	// Into a labels map that has other labels, the label is added beside them.
	ops, err = subsetOps(dr, "other", "abc", "canary", "")
	if err != nil {
		t.Fatal(err)
	}
	out, _ := drFromYAML(t, string(mustApply(t, doc, ops)))
	if got := out.Spec.GetSubsets()[2].GetLabels(); !reflect.DeepEqual(got, map[string]string{"app": "web", podTemplateHashLabel: "abc"}) {
		t.Fatalf("labels %v", got)
	}

	for _, tc := range []struct{ stable, canary, invalid string }{
		{"stable", "preview", `spec.strategy.canary.trafficRouting.istio.destinationRule.canarySubsetName: DestinationRule prod/web has no subset "preview": add it, or name one of its subsets (it has "stable", "canary", "other")`},
		{"live", "canary", `destinationRule.stableSubsetName: DestinationRule prod/web has no subset "live"`},
		{"stable", "stable", `stableSubsetName and canarySubsetName are both "stable"`},
	} {
		_, err := subsetOps(dr, tc.stable, "x", tc.canary, "y")
		if msg, ok := traffic.IsInvalid(err); !ok || !strings.Contains(msg, tc.invalid) {
			t.Errorf("error %v, want an InvalidError with %q", err, tc.invalid)
		}
	}
}

func TestState(t *testing.T) {
	cfg := subsetConfig
	cfg.ManagedRoutes = []string{"h1", "h2", "h3"}
	cfg.VirtualServices = []v1alpha1.IstioVirtualService{{Name: "a"}, {Name: "b", Routes: []string{"r1", "r2"}}}
	m := newMatcher(cfg)
	read := func(doc string, field int) readVS {
		vs, _ := vsFromYAML(t, doc)
		splits, err := m.selectRoutes(vs, cfg.VirtualServices[field], field, cfg.ManagedRoutes)
		if err != nil {
			t.Fatal(err)
		}
		return readVS{obj: vs, field: field, splits: splits}
	}
	a := read(`
metadata: {name: a}
spec:
  http:
  - name: h2
  - name: h1
  - route:
    - destination: {host: web, subset: stable}
      weight: 70
    - destination: {host: web, subset: canary}
      weight: 30
`, 0)
	b := read(`
metadata: {name: b}
spec:
  http:
  - name: h2
  - name: h3
  - name: r1
    route:
    - destination: {host: web, subset: stable}
      weight: 80
    - destination: {host: web, subset: canary}
      weight: 20
  - name: r2
    route:
    - destination: {host: web, subset: stable}
      weight: 50
    - destination: {host: web, subset: canary}
      weight: 50
`, 1)
	dr, _ := drFromYAML(t, destinationRule)
	got, err := state([]readVS{a, b}, dr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := traffic.State{
		CanaryWeight: 20, MaxCanaryWeight: 50,
		StableHash: "abc", CanaryHash: "",
		Routes:  []string{"h2"},
		Objects: []string{"virtualservice/a", "virtualservice/b", "destinationrule/web"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("state %+v, want %+v", got, want)
	}

	got, err = state([]readVS{a}, nil, hostConfig)
	if err != nil || got.CanaryWeight != 30 || got.MaxCanaryWeight != 30 || got.Routes != nil || len(got.Objects) != 1 {
		t.Fatalf("state %+v, %v", got, err)
	}
}
