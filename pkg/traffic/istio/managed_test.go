package istio

import (
	"encoding/json"
	"testing"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/traffic"
)

func TestHeaderRoute(t *testing.T) {
	vs, _ := vsFromYAML(t, managedVS)
	r, err := headerRoute(traffic.HeaderRoute{Name: "h", Match: []v1alpha1.HeaderRoutingMatch{
		{HeaderName: "X-User", HeaderValue: v1alpha1.StringMatch{Exact: "alice"}},
		{HeaderName: "x-version", HeaderValue: v1alpha1.StringMatch{Prefix: "v2"}},
		{HeaderName: "x-agent", HeaderValue: v1alpha1.StringMatch{Regex: ".*Firefox.*"}},
	}}, canaryDestOf(t, hostConfig, vs, nil))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(r)
	sameJSON(t, b, `
name: h
match:
- headers:
    x-user: {exact: alice}
    x-version: {prefix: v2}
    x-agent: {regex: .*Firefox.*}
route:
- destination: {host: web-canary, port: {number: 8080}}
  weight: 100
`)
	if _, err := headerRoute(traffic.HeaderRoute{Name: "h", Match: []v1alpha1.HeaderRoutingMatch{{HeaderName: "x"}}}, nil); err == nil {
		t.Fatal("a header value with no match type was accepted")
	}
}

func TestHeaderRouteToTheCanarySubset(t *testing.T) {
	vs, _ := vsFromYAML(t, `
metadata: {name: web}
spec:
  http:
  - route:
    - destination: {host: web.prod.svc.cluster.local, subset: stable}
      weight: 100
    - destination: {host: web.prod.svc.cluster.local, subset: canary}
`)
	r, err := headerRoute(traffic.HeaderRoute{Name: "h", Match: []v1alpha1.HeaderRoutingMatch{{HeaderName: "x", HeaderValue: v1alpha1.StringMatch{Exact: "1"}}}}, canaryDestOf(t, subsetConfig, vs, nil))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(r.GetRoute())
	sameJSON(t, b, `[{destination: {host: web.prod.svc.cluster.local, subset: canary}, weight: 100}]`)
}

func TestMirrorRoute(t *testing.T) {
	vs, _ := vsFromYAML(t, managedVS)
	r, err := mirrorRoute(traffic.MirrorRoute{Name: "m", Percentage: 25, Match: []v1alpha1.RouteMatch{
		{Method: &v1alpha1.StringMatch{Exact: "GET"}, Path: &v1alpha1.StringMatch{Prefix: "/api"}},
		{Headers: map[string]v1alpha1.StringMatch{"X-Mirror": {Exact: "yes"}}},
	}}, vs.Spec.GetHttp()[0].GetRoute(), canaryDestOf(t, hostConfig, vs, nil))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(r)
	sameJSON(t, b, `
name: m
match:
- method: {exact: GET}
  uri: {prefix: /api}
- headers:
    x-mirror: {exact: "yes"}
route:
- destination: {host: web-stable, port: {number: 8080}}
  weight: 90
- destination: {host: web-canary, port: {number: 8080}}
  weight: 10
mirror: {host: web-canary, port: {number: 8080}}
mirrorPercentage: {value: 25}
`)
	// The copy is a copy: the user's route is not changed with it.
	r.Route[0].Weight = 1
	if vs.Spec.GetHttp()[0].GetRoute()[0].GetWeight() != 90 {
		t.Fatal("mirrorRoute shares destinations with the user's route")
	}
}

// SetWeight sets the weights of the managed mirror routes along with the user's routes.
func TestMirrorSplits(t *testing.T) {
	managed := []string{"m", "h"}
	vs, doc := vsFromYAML(t, managedVS)
	m, err := mirrorRoute(traffic.MirrorRoute{Name: "m", Percentage: 100, Match: []v1alpha1.RouteMatch{{Path: &v1alpha1.StringMatch{Exact: "/"}}}},
		vs.Spec.GetHttp()[0].GetRoute(), canaryDestOf(t, hostConfig, vs, nil))
	if err != nil {
		t.Fatal(err)
	}
	doc = mustApply(t, doc, setRouteOps(vs, managed, "m", m))
	h, err := headerRoute(traffic.HeaderRoute{Name: "h", Match: []v1alpha1.HeaderRoutingMatch{{HeaderName: "x", HeaderValue: v1alpha1.StringMatch{Exact: "1"}}}}, canaryDestOf(t, hostConfig, vs, nil))
	if err != nil {
		t.Fatal(err)
	}
	vs, _ = vsFromYAML(t, string(doc))
	doc = mustApply(t, doc, setRouteOps(vs, managed, "h", h))
	vs, _ = vsFromYAML(t, string(doc))

	mirrors := mirrorSplits(vs, managed, newMatcher(hostConfig))
	if len(mirrors) != 1 || mirrors[0].index != 0 || mirrors[0].name != "m" {
		t.Fatalf("mirror splits %+v, want the mirror route at 0 only", mirrors)
	}
	splits, err := newMatcher(hostConfig).selectRoutes(vs, v1alpha1.IstioVirtualService{}, 0, managed)
	if err != nil {
		t.Fatal(err)
	}
	doc = mustApply(t, doc, weightOps(append(splits, mirrors...), 40))
	vs, _ = vsFromYAML(t, string(doc))
	for i, want := range [][]int32{{60, 40}, {100}, {60, 40}} {
		var got []int32
		for _, d := range vs.Spec.GetHttp()[i].GetRoute() {
			got = append(got, d.GetWeight())
		}
		if len(got) != len(want) || got[0] != want[0] || (len(got) == 2 && got[1] != want[1]) {
			t.Errorf("route %d weights %v, want %v", i, got, want)
		}
	}
}
