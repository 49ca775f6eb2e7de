package gatewayapi

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/traffic"
)

// webRoute has a rule to split (api), a rule of another Service (admin) and a catch-all rule
// that routes only to stable: ramp may change the weights of api's two backendRefs and nothing
// else of them.
const webRoute = `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: shop, labels: {team: shop}}
spec:
  parentRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: public, namespace: infra}]
  hostnames: [shop.example.com]
  rules:
  - name: api
    matches:
    - path: {type: PathPrefix, value: /api}
      headers: [{type: Exact, name: x-region, value: eu}]
    - path: {type: Exact, value: /healthz}
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier: {add: [{name: x-via, value: gateway}]}
    backendRefs:
    - {group: "", kind: Service, name: web-stable, port: 80, weight: 100}
    - {group: "", kind: Service, name: web-canary, port: 80, weight: 0}
    timeouts: {request: 10s}
  - name: admin
    matches: [{path: {type: PathPrefix, value: /admin}}]
    backendRefs: [{group: "", kind: Service, name: admin, port: 8080, weight: 1}]
  - matches: [{path: {type: PathPrefix, value: /}}]
    backendRefs: [{group: "", kind: Service, name: web-stable, port: 80, weight: 1}]
`

func TestHTTPRouteThroughARelease(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, webRoute)
	before := w.route(v1alpha1.HTTPRouteKind, "web").(*gatewayv1.HTTPRoute).DeepCopy()
	r := w.router([]string{"canary-header", "canary-mirror"}, httpRef("web"))
	st, err := r.Verify(ctx)
	w.must(err)
	if st.CanaryWeight != 0 || st.MaxCanaryWeight != 0 || len(st.Routes) != 0 || st.Waiting != "" {
		t.Fatalf("before the release the route reads %+v, want weight 0 and no managed routes", st)
	}

	w.step("setWeight 20")
	w.must(w.router([]string{"canary-header", "canary-mirror"}, httpRef("web")).SetWeight(ctx, traffic.Desired{CanaryWeight: 20}))
	w.step("setHeaderRoute canary-header: x-canary exact yes, x-user prefix beta")
	header := traffic.HeaderRoute{Name: "canary-header", Match: []v1alpha1.HeaderRoutingMatch{
		{HeaderName: "x-canary", HeaderValue: v1alpha1.StringMatch{Exact: "yes"}},
		{HeaderName: "x-user", HeaderValue: v1alpha1.StringMatch{Prefix: "beta"}},
	}}
	w.must(w.router([]string{"canary-header", "canary-mirror"}, httpRef("web")).SetHeaderRoute(ctx, header))
	w.step("the same header route again: no patch")
	w.must(w.router([]string{"canary-header", "canary-mirror"}, httpRef("web")).SetHeaderRoute(ctx, header))
	w.step("setMirrorRoute canary-mirror: GET /api/orders, 50%%")
	w.must(w.router([]string{"canary-header", "canary-mirror"}, httpRef("web")).SetMirrorRoute(ctx, traffic.MirrorRoute{Name: "canary-mirror", Percentage: 50,
		Match: []v1alpha1.RouteMatch{{Method: &v1alpha1.StringMatch{Exact: "get"}, Path: &v1alpha1.StringMatch{Prefix: "/api/orders"}}}}))
	w.step("setWeight 50: the mirror rule's split follows the user's")
	w.must(w.router([]string{"canary-header", "canary-mirror"}, httpRef("web")).SetWeight(ctx, traffic.Desired{CanaryWeight: 50}))

	st, err = w.router([]string{"canary-header", "canary-mirror"}, httpRef("web")).Verify(ctx)
	w.must(err)
	if st.CanaryWeight != 50 || st.MaxCanaryWeight != 50 || !slices.Equal(st.Routes, []string{"canary-header", "canary-mirror"}) {
		t.Fatalf("mid-release the route reads %+v, want weight 50 and both managed routes", st)
	}
	mid := w.route(v1alpha1.HTTPRouteKind, "web").(*gatewayv1.HTTPRoute)
	if names := ruleNames(mid.Spec.Rules); !slices.Equal(names, []string{"canary-header", "canary-mirror", "api", "admin", ""}) {
		t.Fatalf("rules are %q: the managed rules go above the user's, in managedRoutes order", names)
	}

	w.step("abort: weight 0, then no managed routes")
	w.must(w.router([]string{"canary-header", "canary-mirror"}, httpRef("web")).SetWeight(ctx, traffic.Desired{CanaryWeight: 0}))
	w.must(w.router([]string{"canary-header", "canary-mirror"}, httpRef("web")).RemoveManagedRoutes(ctx))

	after := w.route(v1alpha1.HTTPRouteKind, "web").(*gatewayv1.HTTPRoute)
	// Weight 100/0 again: the route is the user's, byte for byte.
	if a, b := mustJSON(t, before.Spec), mustJSON(t, after.Spec); a != b {
		t.Fatalf("after the abort the route is not what the user wrote:\n before %s\n after  %s", a, b)
	}
	if after.Labels["team"] != "shop" || after.Spec.Hostnames[0] != "shop.example.com" {
		t.Fatalf("metadata or hostnames changed: %+v", after.ObjectMeta)
	}
	w.golden("httproute-release", after)
}

// Rules ramp does not split keep every byte while it works on the others.
func TestOtherRulesStayByteForByte(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, webRoute)
	before := w.route(v1alpha1.HTTPRouteKind, "web").(*gatewayv1.HTTPRoute).DeepCopy()
	r := w.router([]string{"h"}, httpRef("web"))
	w.must(r.SetWeight(ctx, traffic.Desired{CanaryWeight: 35}))
	w.must(r.SetHeaderRoute(ctx, traffic.HeaderRoute{Name: "h", Match: []v1alpha1.HeaderRoutingMatch{{HeaderName: "x-canary", HeaderValue: v1alpha1.StringMatch{Regex: "^(yes|1)$"}}}}))
	after := w.route(v1alpha1.HTTPRouteKind, "web").(*gatewayv1.HTTPRoute)
	for i, name := range []string{"admin", ""} {
		got := after.Spec.Rules[slices.IndexFunc(after.Spec.Rules, func(r gatewayv1.HTTPRouteRule) bool { return ruleName(r.Name) == name })]
		if a, b := mustJSON(t, before.Spec.Rules[i+1]), mustJSON(t, got); a != b {
			t.Fatalf("rule %q changed:\n before %s\n after  %s", name, a, b)
		}
	}
	api := after.Spec.Rules[1]
	want := before.Spec.Rules[0].DeepCopy()
	want.BackendRefs[0].Weight, want.BackendRefs[1].Weight = ptr.To[int32](65), ptr.To[int32](35)
	if a, b := mustJSON(t, *want), mustJSON(t, api); a != b {
		t.Fatalf("rule api changed beyond its weights:\n want %s\n got  %s", a, b)
	}
	if a, b := mustJSON(t, before.Spec.ParentRefs), mustJSON(t, after.Spec.ParentRefs); a != b {
		t.Fatalf("parentRefs changed: %s -> %s", a, b)
	}
}

func ruleNames(rules []gatewayv1.HTTPRouteRule) []string {
	var out []string
	for _, r := range rules {
		out = append(out, ruleName(r.Name))
	}
	return out
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A route whose two rules both split, selected by name and by index: each managed route adds
// one rule per selected rule, and a second managed route goes below the first.
const twoRules = `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: shop}
spec:
  parentRefs: [{name: public}]
  rules:
  - name: checkout
    matches: [{path: {type: PathPrefix, value: /checkout}}]
    backendRefs:
    - {group: "", kind: Service, name: web-stable, port: 80, weight: 100}
    - {group: "", kind: Service, name: web-canary, port: 80, weight: 0}
  - matches: [{path: {type: PathPrefix, value: /}}]
    backendRefs:
    - {group: "", kind: Service, name: web-canary, port: 80, weight: 0}
    - {group: "", kind: Service, name: web-stable, port: 80, weight: 100}
`

func TestSeveralSelectedRulesAndManagedRoutes(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, twoRules)
	ref := httpRef("web", v1alpha1.GatewayAPIRuleSelector{Name: "checkout"}, v1alpha1.GatewayAPIRuleSelector{Index: ptr.To[int32](1)})
	managed := []string{"first", "second"}
	w.step("setHeaderRoute second, then first: first goes above second")
	w.must(w.router(managed, ref).SetHeaderRoute(ctx, traffic.HeaderRoute{Name: "second", Match: []v1alpha1.HeaderRoutingMatch{{HeaderName: "x-b", HeaderValue: v1alpha1.StringMatch{Exact: "1"}}}}))
	w.must(w.router(managed, ref).SetHeaderRoute(ctx, traffic.HeaderRoute{Name: "first", Match: []v1alpha1.HeaderRoutingMatch{{HeaderName: "x-a", HeaderValue: v1alpha1.StringMatch{Exact: "1"}}}}))
	w.step("setWeight 30: selection by index counts only the user's rules")
	w.must(w.router(managed, ref).SetWeight(ctx, traffic.Desired{CanaryWeight: 30}))
	got := w.route(v1alpha1.HTTPRouteKind, "web").(*gatewayv1.HTTPRoute)
	if names := ruleNames(got.Spec.Rules); !slices.Equal(names, []string{"first-0", "first-1", "second-0", "second-1", "checkout", ""}) {
		t.Fatalf("rules are %q", names)
	}
	st, err := w.router(managed, ref).Verify(ctx)
	w.must(err)
	if st.CanaryWeight != 30 || st.MaxCanaryWeight != 30 || !slices.Equal(st.Routes, managed) {
		t.Fatalf("state %+v, want weight 30 and both routes", st)
	}
	w.golden("httproute-several-rules", got)
}

const grpcRoute = `
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: payments, namespace: shop}
spec:
  parentRefs: [{name: public}]
  rules:
  - matches:
    - method: {type: Exact, service: shop.Payments, method: Charge}
    backendRefs:
    - {group: "", kind: Service, name: web-stable, port: 9090, weight: 100}
    - {group: "", kind: Service, name: web-canary, port: 9090, weight: 0}
  - backendRefs:
    - {group: "", kind: Service, name: ledger, port: 9090, weight: 1}
`

func TestGRPCRouteThroughARelease(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, grpcRoute)
	managed := []string{"h", "m"}
	w.step("setWeight 10")
	w.must(w.router(managed, grpcRef("payments")).SetWeight(ctx, traffic.Desired{CanaryWeight: 10}))
	w.step("setHeaderRoute h: x-canary exact yes")
	w.must(w.router(managed, grpcRef("payments")).SetHeaderRoute(ctx, traffic.HeaderRoute{Name: "h", Match: []v1alpha1.HeaderRoutingMatch{{HeaderName: "x-canary", HeaderValue: v1alpha1.StringMatch{Exact: "yes"}}}}))
	w.step("setMirrorRoute m: x-debug regex, 100%%")
	w.must(w.router(managed, grpcRef("payments")).SetMirrorRoute(ctx, traffic.MirrorRoute{Name: "m", Percentage: 100, Match: []v1alpha1.RouteMatch{{Headers: map[string]v1alpha1.StringMatch{"x-debug": {Regex: "on|1"}}}}}))
	st, err := w.router(managed, grpcRef("payments")).Verify(ctx)
	w.must(err)
	if st.CanaryWeight != 10 || !slices.Equal(st.Routes, managed) || st.Objects[0] != "grpcroute/payments" {
		t.Fatalf("state %+v", st)
	}
	err = w.router(managed, grpcRef("payments")).SetMirrorRoute(ctx, traffic.MirrorRoute{Name: "m", Percentage: 100, Match: []v1alpha1.RouteMatch{{Path: &v1alpha1.StringMatch{Prefix: "/x"}}}})
	if msg, ok := traffic.IsInvalid(err); !ok || !strings.Contains(msg, "headers only") {
		t.Fatalf("a path match on a GRPCRoute mirror: %v, want an invalid-spec error", err)
	}
	w.golden("grpcroute-release", w.route(v1alpha1.GRPCRouteKind, "payments"))
}
