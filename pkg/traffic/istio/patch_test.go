package istio

import (
	"fmt"
	"strings"
	"testing"

	istionetworking "istio.io/api/networking/v1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/traffic"
)

// userVS has what a user's VirtualService has besides the split: gateways, retries, a timeout,
// a CORS policy, a route that is not the Rollout's, and a weight of 0 written out.
const userVS = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: prod, resourceVersion: "7"}
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
      allowOrigins: [{exact: https://example.com}]
    route:
    - destination: {host: web-stable, port: {number: 80}}
      weight: 100
      headers:
        request:
          set: {x-side: stable}
    - destination: {host: web-canary, port: {number: 80}}
      weight: 0
  - name: legacy
    route:
    - destination: {host: legacy}
  tcp:
  - match: [{port: 5432}]
    route:
    - destination: {host: web-stable}
`

// userVSAt is userVS with the primary route at canary weight w.
func userVSAt(w int) string {
	s := strings.Replace(userVS, "weight: 100", "weight: STABLE", 1)
	s = strings.Replace(s, "weight: 0", fmt.Sprintf("weight: %d", w), 1)
	return strings.Replace(s, "weight: STABLE", fmt.Sprintf("weight: %d", 100-w), 1)
}

func TestWeightOpsChangeOnlyWeights(t *testing.T) {
	m := newMatcher(hostConfig)
	sel := v1alpha1.IstioVirtualService{Routes: []string{"primary"}}
	for _, w := range []int32{0, 10, 50, 100} {
		t.Run(fmt.Sprint(w), func(t *testing.T) {
			vs, doc := vsFromYAML(t, userVS)
			splits, err := m.selectRoutes(vs, sel, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			ops := weightOps(splits, w)
			if w == 0 && ops != nil {
				t.Fatalf("ops %s at the weight the route already has, want none", opsJSON(ops))
			}
			sameJSON(t, mustApply(t, doc, ops), userVSAt(int(w)))
		})
	}
}

// Protobuf JSON omits a weight of 0, so the key may be missing: the weight is added.
func TestWeightOpsAddMissingWeights(t *testing.T) {
	vs, doc := vsFromYAML(t, `
metadata: {name: web}
spec:
  http:
  - route:
    - destination: {host: web-stable}
    - destination: {host: web-canary}
`)
	splits, err := newMatcher(hostConfig).selectRoutes(vs, v1alpha1.IstioVirtualService{}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, mustApply(t, doc, weightOps(splits, 30)), `
metadata: {name: web}
spec:
  http:
  - route:
    - destination: {host: web-stable}
      weight: 70
    - destination: {host: web-canary}
      weight: 30
`)
	// At 0 only the stable weight is missing.
	if ops := weightOps(splits, 0); len(ops) != 2 || ops[1].Path != "/spec/http/0/route/0/weight" {
		t.Fatalf("ops %s, want a test and the stable weight", opsJSON(ops))
	}
}

func TestWeightOpsTLSAndTCP(t *testing.T) {
	vs, doc := vsFromYAML(t, `
metadata: {name: web}
spec:
  tls:
  - match: [{port: 443, sniHosts: [web.example.com]}]
    route:
    - destination: {host: web-stable}
      weight: 100
    - destination: {host: web-canary}
  tcp:
  - match: [{port: 5432}]
    route:
    - destination: {host: web-canary}
    - destination: {host: web-stable}
      weight: 100
`)
	sel := v1alpha1.IstioVirtualService{TLSRoutes: []v1alpha1.TLSRoute{{Port: 443}}, TCPRoutes: []v1alpha1.TCPRoute{{Port: 5432}}}
	splits, err := newMatcher(hostConfig).selectRoutes(vs, sel, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, mustApply(t, doc, weightOps(splits, 25)), `
metadata: {name: web}
spec:
  tls:
  - match: [{port: 443, sniHosts: [web.example.com]}]
    route:
    - destination: {host: web-stable}
      weight: 75
    - destination: {host: web-canary}
      weight: 25
  tcp:
  - match: [{port: 5432}]
    route:
    - destination: {host: web-canary}
      weight: 25
    - destination: {host: web-stable}
      weight: 75
`)
}

// The ops test what they change: a route renamed or a destination changed since the read
// fails the patch instead of setting the weight of something else.
func TestWeightOpsFailOnConcurrentEdits(t *testing.T) {
	vs, _ := vsFromYAML(t, userVS)
	splits, err := newMatcher(hostConfig).selectRoutes(vs, v1alpha1.IstioVirtualService{Routes: []string{"primary"}}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	ops := weightOps(splits, 10)
	for name, edit := range map[string]func(string) string{
		"routes reordered": func(s string) string {
			return strings.Replace(strings.Replace(s, "name: primary", "name: tmp", 1), "name: legacy", "name: primary", 1)
		},
		"destination changed": func(s string) string { return strings.Replace(s, "{host: web-canary,", "{host: web-preview,", 1) },
	} {
		_, doc := vsFromYAML(t, edit(userVS))
		if _, err := applyOps(doc, ops); err == nil {
			t.Errorf("%s: patch applied, want a failed test", name)
		}
	}
}

func TestWeightOpsClamp(t *testing.T) {
	s := []split{{kind: httpRoutes, stable: dest{index: 0, host: "s"}, canary: dest{index: 1, host: "c"}}}
	ops := weightOps(s, 150)
	if last := ops[len(ops)-1]; last.Value != int32(100) {
		t.Fatalf("ops %s, want the canary at 100", opsJSON(ops))
	}
}

const managedVS = `
metadata: {name: web}
spec:
  http:
  - name: primary
    timeout: 5s
    route:
    - destination: {host: web-stable, port: {number: 8080}}
      weight: 90
    - destination: {host: web-canary, port: {number: 8080}}
      weight: 10
`

func headerRouteYAML(name, header, value string) string {
	return fmt.Sprintf(`
  - name: %s
    match:
    - headers:
        %s: {exact: %s}
    route:
    - destination: {host: web-canary, port: {number: 8080}}
      weight: 100`, name, header, value)
}

const primaryYAML = `
  - name: primary
    timeout: 5s
    route:
    - destination: {host: web-stable, port: {number: 8080}}
      weight: 90
    - destination: {host: web-canary, port: {number: 8080}}
      weight: 10`

// canaryDestOf is the destination header and mirror routes get in vs.
func canaryDestOf(t *testing.T, cfg Config, vs *networkingv1.VirtualService, managed []string) *istionetworking.Destination {
	t.Helper()
	splits, err := newMatcher(cfg).selectRoutes(vs, v1alpha1.IstioVirtualService{}, 0, managed)
	if err != nil {
		t.Fatal(err)
	}
	return canaryDestination(cfg, splits[0].canary.d)
}

// Managed routes go above the user's in managedRoutes order, are replaced in place, and are
// removed, each step applied to the document the previous one left.
func TestSetRouteOps(t *testing.T) {
	managed := []string{"first", "second", "third"}
	h := func(name, value string) string { return headerRouteYAML(name, "x-canary", value) }
	steps := []struct {
		name  string
		route string // the managed route to set
		value string // its header's value; "" removes it
		want  string // spec.http after the step
		noop  bool
	}{
		{name: "second into a VS with none", route: "second", value: "a", want: h("second", "a") + primaryYAML},
		{name: "third goes below second", route: "third", value: "b", want: h("second", "a") + h("third", "b") + primaryYAML},
		{name: "first goes above both", route: "first", value: "c", want: h("first", "c") + h("second", "a") + h("third", "b") + primaryYAML},
		{name: "the same route again writes nothing", route: "second", value: "a", noop: true, want: h("first", "c") + h("second", "a") + h("third", "b") + primaryYAML},
		{name: "a new match replaces the route in place", route: "second", value: "d", want: h("first", "c") + h("second", "d") + h("third", "b") + primaryYAML},
		{name: "no match removes it", route: "second", want: h("first", "c") + h("third", "b") + primaryYAML},
		{name: "removing a missing route writes nothing", route: "second", noop: true, want: h("first", "c") + h("third", "b") + primaryYAML},
		{name: "second goes between", route: "second", value: "e", want: h("first", "c") + h("second", "e") + h("third", "b") + primaryYAML},
	}
	_, doc := vsFromYAML(t, managedVS)
	for _, step := range steps {
		vs, _ := vsFromYAML(t, string(doc))
		var want *istionetworking.HTTPRoute
		if step.value != "" {
			match := []v1alpha1.HeaderRoutingMatch{{HeaderName: "X-Canary", HeaderValue: v1alpha1.StringMatch{Exact: step.value}}}
			r, err := headerRoute(traffic.HeaderRoute{Name: step.route, Match: match}, canaryDestOf(t, hostConfig, vs, managed))
			if err != nil {
				t.Fatal(err)
			}
			want = r
		}
		ops := setRouteOps(vs, managed, step.route, want)
		if step.noop != (len(ops) == 0) {
			t.Fatalf("%s: ops %s", step.name, opsJSON(ops))
		}
		doc = mustApply(t, doc, ops)
		sameJSON(t, doc, "metadata: {name: web}\nspec:\n  http:"+step.want)
	}
}

func TestSetRouteOpsIntoEmptyHTTP(t *testing.T) {
	want := &istionetworking.HTTPRoute{Name: "m", Route: []*istionetworking.HTTPRouteDestination{{Destination: &istionetworking.Destination{Host: "web-canary"}}}}
	for _, doc := range []string{"metadata: {name: web}\nspec: {hosts: [web]}", "metadata: {name: web}\nspec: {http: []}"} {
		vs, raw := vsFromYAML(t, doc)
		out := mustApply(t, raw, setRouteOps(vs, []string{"m"}, "m", want))
		got, _ := vsFromYAML(t, string(out))
		if len(got.Spec.GetHttp()) != 1 || got.Spec.GetHttp()[0].GetName() != "m" {
			t.Fatalf("from %q got %s", doc, out)
		}
	}
}

// A managed route is never put below a user route, even one above managed routes of higher
// precedence.
func TestSetRouteOpsBelowOnlyHigherManagedRoutes(t *testing.T) {
	vs, raw := vsFromYAML(t, "metadata: {name: web}\nspec:\n  http:\n  - name: a\n  - name: user\n  - name: c\n")
	want := &istionetworking.HTTPRoute{Name: "b"}
	out := mustApply(t, raw, setRouteOps(vs, []string{"a", "b", "c"}, "b", want))
	sameJSON(t, out, "metadata: {name: web}\nspec:\n  http:\n  - name: a\n  - name: b\n  - name: user\n  - name: c\n")
}

func TestRemoveRoutesOps(t *testing.T) {
	vs, raw := vsFromYAML(t, "metadata: {name: web}\nspec:\n  http:\n  - name: a\n  - name: b\n  - {}\n  - name: user\n  - name: a\n")
	sameJSON(t, mustApply(t, raw, removeRoutesOps(vs, []string{"a", "b", "c"})), "metadata: {name: web}\nspec:\n  http:\n  - {}\n  - name: user\n")
	if ops := removeRoutesOps(vs, []string{"c"}); ops != nil {
		t.Fatalf("ops %s for no route to remove", opsJSON(ops))
	}
}
