//go:build integration

package istio_test

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/traffic"
	"github.com/ramp-dev/ramp/pkg/traffic/istio"
)

var ctx = context.Background()

// webVS is a user's VirtualService with what such objects have besides the split: gateways,
// a match, retries, a timeout, a CORS policy and a route that is not the Rollout's.
const webVS = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web.example.com]
  gateways: [public]
  http:
  - name: primary
    match:
    - uri: {prefix: /api}
    retries: {attempts: 3, perTryTimeout: 2s}
    timeout: 10s
    corsPolicy:
      allowOrigins: [{exact: "https://example.com"}]
    route:
    - destination: {host: web-stable, port: {number: 80}}
      weight: 100
    - destination: {host: web-canary.%[1]s.svc.cluster.local, port: {number: 80}}
      weight: 0
  - name: legacy
    route:
    - destination: {host: legacy}
`

// webSpec is webVS's spec at canary weight w, with the managed routes extra above its routes.
func webSpec(ns string, w int, extra string) string {
	return fmt.Sprintf(`
hosts: [web.example.com]
gateways: [public]
http:%[4]s
- name: primary
  match:
  - uri: {prefix: /api}
  retries: {attempts: 3, perTryTimeout: 2s}
  timeout: 10s
  corsPolicy:
    allowOrigins: [{exact: "https://example.com"}]
  route:
  - destination: {host: web-stable, port: {number: 80}}
    weight: %[2]d
  - destination: {host: web-canary.%[1]s.svc.cluster.local, port: {number: 80}}
    weight: %[3]d
- name: legacy
  route:
  - destination: {host: legacy}
`, ns, 100-w, w, extra)
}

func hostRouter(ns string, managed ...string) *istio.Router {
	return istio.New(env.Client, istio.Config{
		Namespace:       ns,
		StableService:   "web-stable",
		CanaryService:   "web-canary",
		VirtualServices: []v1alpha1.IstioVirtualService{{Name: "web", Routes: []string{"primary"}}},
		ManagedRoutes:   managed,
	})
}

func verify(t *testing.T, r *istio.Router) traffic.State {
	t.Helper()
	st, err := r.Verify(ctx)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return st
}

func resourceVersion(t *testing.T, gvkKind string, ns, name string) string {
	t.Helper()
	if gvkKind == "DestinationRule" {
		return get(t, drGVK, ns, name).GetResourceVersion()
	}
	return get(t, vsGVK, ns, name).GetResourceVersion()
}

func TestHostLevelWeights(t *testing.T) {
	ns := env.Namespace(t)
	env.CreateYAML(t, ns, fmt.Sprintf(webVS, ns))
	r := hostRouter(ns)
	if r.Type() != "istio" {
		t.Fatalf("Type() = %q", r.Type())
	}
	for _, w := range []int32{0, 10, 50, 100} {
		if err := r.SetWeight(ctx, traffic.Desired{CanaryWeight: w}); err != nil {
			t.Fatalf("SetWeight(%d): %v", w, err)
		}
		st := verify(t, r)
		if st.CanaryWeight != w || st.MaxCanaryWeight != w {
			t.Fatalf("after SetWeight(%d): state %+v", w, st)
		}
		if !reflect.DeepEqual(st.Objects, []string{"virtualservice/web"}) || st.Routes != nil || st.StableHash != "" {
			t.Fatalf("state %+v", st)
		}
		wantSpec(t, get(t, vsGVK, ns, "web"), webSpec(ns, int(w), ""))
	}
}

const webDR = `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web}
spec:
  host: web
  trafficPolicy: {connectionPool: {tcp: {maxConnections: 100}}}
  subsets:
  - name: stable
    labels: {app: web}
  - name: canary
  - name: debug
    labels: {app: web, track: debug}
`

const subsetVS = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web]
  http:
  - route:
    - destination: {host: web, subset: stable}
    - destination: {host: web, subset: canary}
`

func subsetRouter(c client.Client, ns string, managed ...string) *istio.Router {
	return istio.New(c, istio.Config{
		Namespace:       ns,
		VirtualServices: []v1alpha1.IstioVirtualService{{Name: "web"}},
		DestinationRule: &v1alpha1.IstioDestinationRule{Name: "web", StableSubsetName: "stable", CanarySubsetName: "canary"},
		ManagedRoutes:   managed,
	})
}

func TestSubsetLevelWeights(t *testing.T) {
	ns := env.Namespace(t)
	env.CreateYAML(t, ns, webDR)
	env.CreateYAML(t, ns, subsetVS)
	r := subsetRouter(env.Client, ns)

	// No weights and no hashes yet: the route is at 0 and the subsets select no hash.
	st := verify(t, r)
	if st.CanaryWeight != 0 || st.MaxCanaryWeight != 0 || st.StableHash != "" || st.CanaryHash != "" ||
		!reflect.DeepEqual(st.Objects, []string{"virtualservice/web", "destinationrule/web"}) {
		t.Fatalf("state %+v", st)
	}
	for _, d := range []traffic.Desired{
		{CanaryWeight: 0, StableHash: "s1", CanaryHash: "s1"},
		{CanaryWeight: 10, StableHash: "s1", CanaryHash: "c2"},
		{CanaryWeight: 50, StableHash: "s1", CanaryHash: "c2"},
		{CanaryWeight: 100, StableHash: "s1", CanaryHash: "c2"},
	} {
		if err := r.SetWeight(ctx, d); err != nil {
			t.Fatalf("SetWeight(%+v): %v", d, err)
		}
		st := verify(t, r)
		if st.CanaryWeight != d.CanaryWeight || st.MaxCanaryWeight != d.CanaryWeight || st.StableHash != d.StableHash || st.CanaryHash != d.CanaryHash {
			t.Fatalf("after SetWeight(%+v): state %+v", d, st)
		}
		// Protobuf JSON leaves out a weight of 0, so the canary's, never set, has no key yet.
		canaryWeight := fmt.Sprintf("\n    weight: %d", d.CanaryWeight)
		if d.CanaryWeight == 0 {
			canaryWeight = ""
		}
		wantSpec(t, get(t, vsGVK, ns, "web"), fmt.Sprintf(`
hosts: [web]
http:
- route:
  - destination: {host: web, subset: stable}
    weight: %d
  - destination: {host: web, subset: canary}%s
`, 100-d.CanaryWeight, canaryWeight))
		wantSpec(t, get(t, drGVK, ns, "web"), fmt.Sprintf(`
host: web
trafficPolicy: {connectionPool: {tcp: {maxConnections: 100}}}
subsets:
- name: stable
  labels: {app: web, rollouts-pod-template-hash: %s}
- name: canary
  labels: {rollouts-pod-template-hash: %s}
- name: debug
  labels: {app: web, track: debug}
`, d.StableHash, d.CanaryHash))
	}

	// Promotion: the stable subset moves to the canary's pods before the weight moves back to it.
	// resourceVersions are etcd revisions here, so their order is the order of the writes.
	if err := r.SetWeight(ctx, traffic.Desired{CanaryWeight: 0, StableHash: "c2", CanaryHash: "c2"}); err != nil {
		t.Fatal(err)
	}
	drRV, _ := strconv.Atoi(resourceVersion(t, "DestinationRule", ns, "web"))
	vsRV, _ := strconv.Atoi(resourceVersion(t, "VirtualService", ns, "web"))
	if drRV >= vsRV {
		t.Fatalf("DestinationRule written at %d, VirtualService at %d: want the DestinationRule first", drRV, vsRV)
	}
	// An empty hash leaves its subset alone.
	if err := r.SetWeight(ctx, traffic.Desired{CanaryWeight: 0, StableHash: "c2"}); err != nil {
		t.Fatal(err)
	}
	if st := verify(t, r); st.StableHash != "c2" || st.CanaryHash != "c2" {
		t.Fatalf("state %+v", st)
	}
}

// The user edits fields of the VirtualService between two SetWeights (kubectl edit: a whole
// update); the second SetWeight keeps them.
func TestUserEditsArePreserved(t *testing.T) {
	ns := env.Namespace(t)
	env.CreateYAML(t, ns, fmt.Sprintf(webVS, ns))
	r := hostRouter(ns)
	if err := r.SetWeight(ctx, traffic.Desired{CanaryWeight: 10}); err != nil {
		t.Fatal(err)
	}
	obj := get(t, vsGVK, ns, "web")
	spec := obj.Object["spec"].(map[string]any)
	route := spec["http"].([]any)[0].(map[string]any)
	route["timeout"] = "30s"
	route["retries"] = map[string]any{"attempts": int64(5), "retryOn": "5xx"}
	spec["gateways"] = []any{"public", "mesh"}
	obj.SetAnnotations(map[string]string{"team": "web"})
	if err := env.Client.Update(ctx, obj); err != nil {
		t.Fatal(err)
	}
	r = hostRouter(ns) // the next reconcile's router
	if err := r.SetWeight(ctx, traffic.Desired{CanaryWeight: 50}); err != nil {
		t.Fatal(err)
	}
	want := strings.NewReplacer(
		"timeout: 10s", "timeout: 30s",
		"retries: {attempts: 3, perTryTimeout: 2s}", "retries: {attempts: 5, retryOn: 5xx}",
		"gateways: [public]", "gateways: [public, mesh]",
	).Replace(webSpec(ns, 50, ""))
	got := get(t, vsGVK, ns, "web")
	wantSpec(t, got, want)
	if got.GetAnnotations()["team"] != "web" {
		t.Fatalf("annotations %v", got.GetAnnotations())
	}
}

// staleClient reads the objects as they were at some point (a cache that has not seen the
// latest write) and writes through to the API server.
type staleClient struct {
	client.Client
	vs *networkingv1.VirtualService
}

func (c staleClient) Get(ctx context.Context, key types.NamespacedName, obj client.Object, opts ...client.GetOption) error {
	if vs, ok := obj.(*networkingv1.VirtualService); ok && key.Name == c.vs.Name {
		c.vs.DeepCopyInto(vs)
		return nil
	}
	return c.Client.Get(ctx, key, obj, opts...)
}

// A patch made from an out-of-date read fails (422, for the caller to retry) instead of
// landing on routes that have moved.
func TestStaleReadFailsThePatch(t *testing.T) {
	ns := env.Namespace(t)
	env.CreateYAML(t, ns, fmt.Sprintf(webVS, ns))
	stale := &networkingv1.VirtualService{}
	if err := env.Client.Get(ctx, types.NamespacedName{Namespace: ns, Name: "web"}, stale); err != nil {
		t.Fatal(err)
	}
	// The user puts a route above primary.
	obj := get(t, vsGVK, ns, "web")
	spec := obj.Object["spec"].(map[string]any)
	spec["http"] = append([]any{map[string]any{"name": "maintenance", "route": []any{map[string]any{"destination": map[string]any{"host": "sorry"}}}}}, spec["http"].([]any)...)
	if err := env.Client.Update(ctx, obj); err != nil {
		t.Fatal(err)
	}
	edited := specYAML(t, get(t, vsGVK, ns, "web"))

	cfg := istio.Config{Namespace: ns, StableService: "web-stable", CanaryService: "web-canary",
		VirtualServices: []v1alpha1.IstioVirtualService{{Name: "web", Routes: []string{"primary"}}}, ManagedRoutes: []string{"h"}}
	r := istio.New(staleClient{Client: env.Client, vs: stale}, cfg)
	err := r.SetWeight(ctx, traffic.Desired{CanaryWeight: 30})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "patch virtualservice "+ns+"/web") {
		t.Fatalf("SetWeight from a stale read: %v, want a 422 from the failed test", err)
	}
	err = r.SetHeaderRoute(ctx, traffic.HeaderRoute{Name: "h", Match: []v1alpha1.HeaderRoutingMatch{{HeaderName: "x", HeaderValue: v1alpha1.StringMatch{Exact: "1"}}}})
	if !apierrors.IsInvalid(err) {
		t.Fatalf("SetHeaderRoute from a stale read: %v, want a 422", err)
	}
	if got := specYAML(t, get(t, vsGVK, ns, "web")); got != edited {
		t.Fatalf("spec after failed patches:\n%s\nwant:\n%s", got, edited)
	}
	// Read again, it works.
	if err := istio.New(env.Client, cfg).SetWeight(ctx, traffic.Desired{CanaryWeight: 30}); err != nil {
		t.Fatal(err)
	}
}

func headerRouteYAML(name, match string) string {
	return fmt.Sprintf(`
- name: %s
  match:
  - headers: {%s}
  route:
  - destination: {host: web-canary, port: {number: 80}}
    weight: 100`, name, match)
}

func TestHeaderRoutes(t *testing.T) {
	ns := env.Namespace(t)
	env.CreateYAML(t, ns, fmt.Sprintf(webVS, ns))
	r := hostRouter(ns, "h1", "h2", "m")
	set := func(name string, match ...v1alpha1.HeaderRoutingMatch) {
		t.Helper()
		if err := r.SetHeaderRoute(ctx, traffic.HeaderRoute{Name: name, Match: match}); err != nil {
			t.Fatalf("SetHeaderRoute(%s): %v", name, err)
		}
	}
	exact := func(h, v string) v1alpha1.HeaderRoutingMatch {
		return v1alpha1.HeaderRoutingMatch{HeaderName: h, HeaderValue: v1alpha1.StringMatch{Exact: v}}
	}
	if err := r.SetWeight(ctx, traffic.Desired{CanaryWeight: 10}); err != nil {
		t.Fatal(err)
	}

	set("h2", exact("X-Canary", "yes"))
	wantSpec(t, get(t, vsGVK, ns, "web"), webSpec(ns, 10, headerRouteYAML("h2", `x-canary: {exact: "yes"}`)))
	set("h1", exact("x-user", "alice"), v1alpha1.HeaderRoutingMatch{HeaderName: "x-agent", HeaderValue: v1alpha1.StringMatch{Regex: ".*Firefox.*"}})
	h1 := headerRouteYAML("h1", `x-user: {exact: alice}, x-agent: {regex: ".*Firefox.*"}`)
	wantSpec(t, get(t, vsGVK, ns, "web"), webSpec(ns, 10, h1+headerRouteYAML("h2", `x-canary: {exact: "yes"}`)))
	if st := verify(t, r); !reflect.DeepEqual(st.Routes, []string{"h1", "h2"}) || st.CanaryWeight != 10 {
		t.Fatalf("state %+v", st)
	}

	// The same route again writes nothing; a new match replaces the route where it is.
	rv := resourceVersion(t, "VirtualService", ns, "web")
	set("h2", exact("X-Canary", "yes"))
	if got := resourceVersion(t, "VirtualService", ns, "web"); got != rv {
		t.Fatalf("setting the same header route wrote the VirtualService (%s -> %s)", rv, got)
	}
	set("h2", v1alpha1.HeaderRoutingMatch{HeaderName: "x-canary", HeaderValue: v1alpha1.StringMatch{Prefix: "y"}})
	wantSpec(t, get(t, vsGVK, ns, "web"), webSpec(ns, 10, h1+headerRouteYAML("h2", `x-canary: {prefix: "y"}`)))

	// Weights change under managed routes.
	if err := r.SetWeight(ctx, traffic.Desired{CanaryWeight: 60}); err != nil {
		t.Fatal(err)
	}
	wantSpec(t, get(t, vsGVK, ns, "web"), webSpec(ns, 60, h1+headerRouteYAML("h2", `x-canary: {prefix: "y"}`)))

	set("h1") // no match: removed
	wantSpec(t, get(t, vsGVK, ns, "web"), webSpec(ns, 60, headerRouteYAML("h2", `x-canary: {prefix: "y"}`)))
	if st := verify(t, r); !reflect.DeepEqual(st.Routes, []string{"h2"}) {
		t.Fatalf("state %+v", st)
	}

	err := r.SetHeaderRoute(ctx, traffic.HeaderRoute{Name: "primary", Match: []v1alpha1.HeaderRoutingMatch{exact("x", "1")}})
	if msg, ok := traffic.IsInvalid(err); !ok || !strings.Contains(msg, `managedRoutes: route "primary" is not listed`) {
		t.Fatalf("SetHeaderRoute of an unmanaged route: %v", err)
	}

	if err := r.RemoveManagedRoutes(ctx); err != nil {
		t.Fatal(err)
	}
	wantSpec(t, get(t, vsGVK, ns, "web"), webSpec(ns, 60, ""))
	rv = resourceVersion(t, "VirtualService", ns, "web")
	if err := r.RemoveManagedRoutes(ctx); err != nil {
		t.Fatal(err)
	}
	if got := resourceVersion(t, "VirtualService", ns, "web"); got != rv {
		t.Fatal("RemoveManagedRoutes with none wrote the VirtualService")
	}
}

func TestMirrorRoute(t *testing.T) {
	ns := env.Namespace(t)
	env.CreateYAML(t, ns, fmt.Sprintf(webVS, ns))
	r := hostRouter(ns, "h", "m")
	if err := r.SetWeight(ctx, traffic.Desired{CanaryWeight: 20}); err != nil {
		t.Fatal(err)
	}
	mirror := traffic.MirrorRoute{Name: "m", Percentage: 30, Match: []v1alpha1.RouteMatch{
		{Method: &v1alpha1.StringMatch{Exact: "GET"}, Path: &v1alpha1.StringMatch{Prefix: "/api"}},
		{Headers: map[string]v1alpha1.StringMatch{"x-mirror": {Exact: "1"}}},
	}}
	if err := r.SetMirrorRoute(ctx, mirror); err != nil {
		t.Fatal(err)
	}
	mirrorYAML := func(w int) string {
		return fmt.Sprintf(`
- name: m
  match:
  - method: {exact: GET}
    uri: {prefix: /api}
  - headers: {x-mirror: {exact: "1"}}
  route:
  - destination: {host: web-stable, port: {number: 80}}
    weight: %d
  - destination: {host: web-canary.%s.svc.cluster.local, port: {number: 80}}
    weight: %d
  mirror: {host: web-canary, port: {number: 80}}
  mirrorPercentage: {value: 30}`, 100-w, ns, w)
	}
	wantSpec(t, get(t, vsGVK, ns, "web"), webSpec(ns, 20, mirrorYAML(20)))

	// A header route goes above it; the mirror route's weights follow the user's route's.
	if err := r.SetHeaderRoute(ctx, traffic.HeaderRoute{Name: "h", Match: []v1alpha1.HeaderRoutingMatch{{HeaderName: "x", HeaderValue: v1alpha1.StringMatch{Exact: "1"}}}}); err != nil {
		t.Fatal(err)
	}
	if err := r.SetWeight(ctx, traffic.Desired{CanaryWeight: 40}); err != nil {
		t.Fatal(err)
	}
	wantSpec(t, get(t, vsGVK, ns, "web"), webSpec(ns, 40, headerRouteYAML("h", `x: {exact: "1"}`)+mirrorYAML(40)))
	if st := verify(t, r); st.CanaryWeight != 40 || st.MaxCanaryWeight != 40 || !reflect.DeepEqual(st.Routes, []string{"h", "m"}) {
		t.Fatalf("state %+v", st)
	}

	rv := resourceVersion(t, "VirtualService", ns, "web")
	if err := r.SetMirrorRoute(ctx, mirror); err != nil {
		t.Fatal(err)
	}
	if got := resourceVersion(t, "VirtualService", ns, "web"); got != rv {
		t.Fatal("setting the same mirror route wrote the VirtualService")
	}
	if err := r.SetMirrorRoute(ctx, traffic.MirrorRoute{Name: "m"}); err != nil {
		t.Fatal(err)
	}
	wantSpec(t, get(t, vsGVK, ns, "web"), webSpec(ns, 40, headerRouteYAML("h", `x: {exact: "1"}`)))
}

func TestTLSAndTCPRoutes(t *testing.T) {
	ns := env.Namespace(t)
	env.CreateYAML(t, ns, `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: db}
spec:
  hosts: [db.example.com]
  tls:
  - match: [{port: 443, sniHosts: [db.example.com, db2.example.com]}]
    route:
    - destination: {host: db-stable}
    - destination: {host: db-canary}
  - match: [{port: 443, sniHosts: [other.example.com]}]
    route:
    - destination: {host: other}
  tcp:
  - match: [{port: 5432}]
    route:
    - destination: {host: db-canary, port: {number: 5432}}
    - destination: {host: db-stable, port: {number: 5432}}
      weight: 100
`)
	r := istio.New(env.Client, istio.Config{
		Namespace: ns, StableService: "db-stable", CanaryService: "db-canary", ManagedRoutes: []string{"h"},
		VirtualServices: []v1alpha1.IstioVirtualService{{
			Name:      "db",
			TLSRoutes: []v1alpha1.TLSRoute{{Port: 443, SNIHosts: []string{"db2.example.com", "db.example.com"}}},
			TCPRoutes: []v1alpha1.TCPRoute{{Port: 5432}},
		}},
	})
	if err := r.SetWeight(ctx, traffic.Desired{CanaryWeight: 30}); err != nil {
		t.Fatal(err)
	}
	wantSpec(t, get(t, vsGVK, ns, "db"), `
hosts: [db.example.com]
tls:
- match: [{port: 443, sniHosts: [db.example.com, db2.example.com]}]
  route:
  - destination: {host: db-stable}
    weight: 70
  - destination: {host: db-canary}
    weight: 30
- match: [{port: 443, sniHosts: [other.example.com]}]
  route:
  - destination: {host: other}
tcp:
- match: [{port: 5432}]
  route:
  - destination: {host: db-canary, port: {number: 5432}}
    weight: 30
  - destination: {host: db-stable, port: {number: 5432}}
    weight: 70
`)
	if st := verify(t, r); st.CanaryWeight != 30 || st.MaxCanaryWeight != 30 {
		t.Fatalf("state %+v", st)
	}
	err := r.SetHeaderRoute(ctx, traffic.HeaderRoute{Name: "h", Match: []v1alpha1.HeaderRoutingMatch{{HeaderName: "x", HeaderValue: v1alpha1.StringMatch{Exact: "1"}}}})
	if msg, ok := traffic.IsInvalid(err); !ok || !strings.Contains(msg, "has no selected HTTP route") {
		t.Fatalf("header route without an HTTP route: %v", err)
	}
}

// With several VirtualServices, the state is the lowest and highest weight over all of them
// and the managed routes all of them have.
func TestSeveralVirtualServices(t *testing.T) {
	ns := env.Namespace(t)
	env.CreateYAML(t, ns, fmt.Sprintf(webVS, ns))
	env.CreateYAML(t, ns, strings.Replace(fmt.Sprintf(webVS, ns), "name: web}", "name: web-internal}", 1))
	cfg := istio.Config{
		Namespace: ns, StableService: "web-stable", CanaryService: "web-canary", ManagedRoutes: []string{"h"},
		VirtualServices: []v1alpha1.IstioVirtualService{{Name: "web", Routes: []string{"primary"}}, {Name: "web-internal", Routes: []string{"primary"}}},
	}
	r := istio.New(env.Client, cfg)
	if err := r.SetWeight(ctx, traffic.Desired{CanaryWeight: 10}); err != nil {
		t.Fatal(err)
	}
	if err := r.SetHeaderRoute(ctx, traffic.HeaderRoute{Name: "h", Match: []v1alpha1.HeaderRoutingMatch{{HeaderName: "x", HeaderValue: v1alpha1.StringMatch{Exact: "1"}}}}); err != nil {
		t.Fatal(err)
	}
	// Someone sets one VirtualService to 25 and removes its header route.
	patch := `[{"op":"replace","path":"/spec/http/1/route/0/weight","value":75},{"op":"replace","path":"/spec/http/1/route/1/weight","value":25},{"op":"remove","path":"/spec/http/0"}]`
	obj := get(t, vsGVK, ns, "web-internal")
	if err := env.Client.Patch(ctx, obj, client.RawPatch(types.JSONPatchType, []byte(patch))); err != nil {
		t.Fatal(err)
	}
	st := verify(t, istio.New(env.Client, cfg)) // the next reconcile's router
	if st.CanaryWeight != 10 || st.MaxCanaryWeight != 25 || st.Routes != nil ||
		!reflect.DeepEqual(st.Objects, []string{"virtualservice/web", "virtualservice/web-internal"}) {
		t.Fatalf("state %+v", st)
	}
}

func TestNoWriteWhenNothingChanges(t *testing.T) {
	ns := env.Namespace(t)
	env.CreateYAML(t, ns, webDR)
	env.CreateYAML(t, ns, subsetVS)
	r := subsetRouter(env.Client, ns, "h", "m")
	d := traffic.Desired{CanaryWeight: 20, StableHash: "s", CanaryHash: "c"}
	header := traffic.HeaderRoute{Name: "h", Match: []v1alpha1.HeaderRoutingMatch{{HeaderName: "x", HeaderValue: v1alpha1.StringMatch{Exact: "1"}}}}
	mirror := traffic.MirrorRoute{Name: "m", Percentage: 100, Match: []v1alpha1.RouteMatch{{Path: &v1alpha1.StringMatch{Exact: "/"}}}}
	calls := []struct {
		name string
		call func() error
	}{
		{"SetWeight", func() error { return r.SetWeight(ctx, d) }},
		{"SetHeaderRoute", func() error { return r.SetHeaderRoute(ctx, header) }},
		{"SetMirrorRoute", func() error { return r.SetMirrorRoute(ctx, mirror) }},
	}
	for _, c := range calls {
		if err := c.call(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
	}
	vsRV, drRV := resourceVersion(t, "VirtualService", ns, "web"), resourceVersion(t, "DestinationRule", ns, "web")
	for _, c := range calls {
		if err := c.call(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if vs, dr := resourceVersion(t, "VirtualService", ns, "web"), resourceVersion(t, "DestinationRule", ns, "web"); vs != vsRV || dr != drRV {
			t.Fatalf("%s again wrote: VirtualService %s -> %s, DestinationRule %s -> %s", c.name, vsRV, vs, drRV, dr)
		}
	}
	// The subset-level header and mirror routes go to the canary subset.
	wantSpec(t, get(t, vsGVK, ns, "web"), `
hosts: [web]
http:
- name: h
  match:
  - headers: {x: {exact: "1"}}
  route:
  - destination: {host: web, subset: canary}
    weight: 100
- name: m
  match:
  - uri: {exact: /}
  route:
  - destination: {host: web, subset: stable}
    weight: 80
  - destination: {host: web, subset: canary}
    weight: 20
  mirror: {host: web, subset: canary}
  mirrorPercentage: {value: 100}
- route:
  - destination: {host: web, subset: stable}
    weight: 80
  - destination: {host: web, subset: canary}
    weight: 20
`)
	if st := verify(t, r); st.CanaryWeight != 20 || st.StableHash != "s" || st.CanaryHash != "c" || !reflect.DeepEqual(st.Routes, []string{"h", "m"}) {
		t.Fatalf("state %+v", st)
	}
}

func TestInvalid(t *testing.T) {
	twoRoutes := `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web]
  http:
  - name: a
    route:
    - destination: {host: web-stable}
      weight: 100
    - destination: {host: web-canary}
  - name: b
    route:
    - destination: {host: web-stable}
`
	tcpOnly := `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web]
  tcp:
  - route:
    - destination: {host: web-stable}
`
	hostCfg := func(ns string, vss ...v1alpha1.IstioVirtualService) istio.Config {
		return istio.Config{Namespace: ns, StableService: "web-stable", CanaryService: "web-canary", VirtualServices: vss}
	}
	for _, tc := range []struct {
		name    string
		objects []string
		cfg     func(ns string) istio.Config
		client  func() client.Client
		invalid string // the message, with NS for the namespace
		// removeToo: RemoveManagedRoutes, which reads only the VirtualServices, fails too.
		removeToo bool
	}{{
		name: "missing VirtualService",
		cfg:  func(ns string) istio.Config { return hostCfg(ns, v1alpha1.IstioVirtualService{Name: "web"}) },
		invalid: "spec.strategy.canary.trafficRouting.istio.virtualService: VirtualService NS/web does not exist: " +
			"create it, or name an existing one",
		removeToo: true,
	}, {
		name:    "missing DestinationRule",
		objects: []string{subsetVS},
		cfg: func(ns string) istio.Config {
			return istio.Config{Namespace: ns, VirtualServices: []v1alpha1.IstioVirtualService{{Name: "web"}},
				DestinationRule: &v1alpha1.IstioDestinationRule{Name: "web", StableSubsetName: "stable", CanarySubsetName: "canary"}}
		},
		invalid: "spec.strategy.canary.trafficRouting.istio.destinationRule.name: DestinationRule NS/web does not exist: create it, or name an existing one",
	}, {
		name:    "missing route",
		objects: []string{twoRoutes},
		cfg: func(ns string) istio.Config {
			return hostCfg(ns, v1alpha1.IstioVirtualService{Name: "web", Routes: []string{"primary"}})
		},
		invalid: `spec.strategy.canary.trafficRouting.istio.virtualService.routes: VirtualService NS/web has no HTTP route named "primary": name one of its routes (it has "a", "b")`,
	}, {
		name:    "destinations that are not the Services",
		objects: []string{twoRoutes},
		cfg: func(ns string) istio.Config {
			c := hostCfg(ns, v1alpha1.IstioVirtualService{Name: "web", Routes: []string{"a"}})
			c.CanaryService = "web-preview"
			return c
		},
		invalid: `spec.strategy.canary.canaryService: VirtualService NS/web HTTP route "a" has no destination with host web-preview (it has web-stable, web-canary): add one, or make the field name one of its destinations`,
	}, {
		name:    "no routes named and two routes",
		objects: []string{twoRoutes},
		cfg:     func(ns string) istio.Config { return hostCfg(ns, v1alpha1.IstioVirtualService{Name: "web"}) },
		invalid: `spec.strategy.canary.trafficRouting.istio.virtualService.routes: VirtualService NS/web has 2 HTTP routes and routes is empty: name the ones to split (it has "a", "b")`,
	}, {
		name:    "no routes named and no HTTP route",
		objects: []string{tcpOnly},
		cfg:     func(ns string) istio.Config { return hostCfg(ns, v1alpha1.IstioVirtualService{Name: "web"}) },
		invalid: "spec.strategy.canary.trafficRouting.istio.virtualService.routes: VirtualService NS/web has no HTTP routes: add one, or select TLS or TCP routes with tlsRoutes or tcpRoutes",
	}, {
		name:    "DestinationRule without the canary subset",
		objects: []string{subsetVS, strings.Replace(webDR, "- name: canary", "- name: preview", 1)},
		cfg: func(ns string) istio.Config {
			return istio.Config{Namespace: ns, VirtualServices: []v1alpha1.IstioVirtualService{{Name: "web"}},
				DestinationRule: &v1alpha1.IstioDestinationRule{Name: "web", StableSubsetName: "stable", CanarySubsetName: "canary"}}
		},
		invalid: `spec.strategy.canary.trafficRouting.istio.destinationRule.canarySubsetName: DestinationRule NS/web has no subset "canary": add it, or name one of its subsets (it has "stable", "preview", "debug")`,
	}, {
		name: "Istio not installed",
		cfg:  func(ns string) istio.Config { return hostCfg(ns, v1alpha1.IstioVirtualService{Name: "web"}) },
		// A RESTMapper that knows no Istio kinds is what a cluster without Istio's CRDs gives.
		client: func() client.Client {
			c, err := client.New(env.Config, client.Options{Scheme: env.Client.Scheme(), Mapper: meta.NewDefaultRESTMapper(nil)})
			if err != nil {
				t.Fatal(err)
			}
			return c
		},
		invalid:   "spec.strategy.canary.trafficRouting.istio: the cluster does not serve Istio's VirtualService (networking.istio.io/v1): install Istio, or route with another trafficRouting",
		removeToo: true,
	}, {
		name:    "second VirtualService invalid: nothing is written",
		objects: []string{fmt.Sprintf(webVS, "NS")},
		cfg: func(ns string) istio.Config {
			return hostCfg(ns, v1alpha1.IstioVirtualService{Name: "web", Routes: []string{"primary"}}, v1alpha1.IstioVirtualService{Name: "web-2"})
		},
		invalid:   "spec.strategy.canary.trafficRouting.istio.virtualServices[1]: VirtualService NS/web-2 does not exist: create it, or name an existing one",
		removeToo: true,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			ns := env.Namespace(t)
			for _, o := range tc.objects {
				env.CreateYAML(t, ns, strings.ReplaceAll(o, ".NS.", "."+ns+"."))
			}
			c := env.Client
			if tc.client != nil {
				c = tc.client()
			}
			r := istio.New(c, tc.cfg(ns))
			want := strings.ReplaceAll(tc.invalid, "NS", ns)
			var before []string
			for _, o := range tc.objects {
				name := "web"
				if strings.Contains(o, "DestinationRule") {
					before = append(before, resourceVersion(t, "DestinationRule", ns, name))
				} else {
					before = append(before, resourceVersion(t, "VirtualService", ns, name))
				}
			}
			_, verifyErr := r.Verify(ctx)
			for name, err := range map[string]error{
				"Verify":              verifyErr,
				"SetWeight":           r.SetWeight(ctx, traffic.Desired{CanaryWeight: 50, StableHash: "a", CanaryHash: "b"}),
				"RemoveManagedRoutes": r.RemoveManagedRoutes(ctx),
			} {
				if name == "RemoveManagedRoutes" && !tc.removeToo {
					if err != nil {
						t.Errorf("RemoveManagedRoutes: %v", err)
					}
					continue
				}
				msg, ok := traffic.IsInvalid(err)
				if !ok || msg != want {
					t.Errorf("%s: %v\nwant the InvalidError %q", name, err, want)
				}
			}
			for i, o := range tc.objects {
				kind := "VirtualService"
				if strings.Contains(o, "DestinationRule") {
					kind = "DestinationRule"
				}
				if got := resourceVersion(t, kind, ns, "web"); got != before[i] {
					t.Errorf("%s was written", kind)
				}
			}
		})
	}
}
