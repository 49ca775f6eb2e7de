package gatewayapi

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/traffic"
)

func routeWithRules(rules string) string {
	return `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: shop}
spec:
  parentRefs: [{name: public}]
  rules:
` + rules
}

// What the author must fix is an invalid-spec error naming the field and the fix, and nothing
// is written.
func TestReferencesTheAuthorMustFix(t *testing.T) {
	for _, tc := range []struct {
		name, rules string
		ref         v1alpha1.GatewayAPIRouteRef
		want        []string
	}{{
		name: "no rule routes to the canary",
		rules: `  - backendRefs: [{name: web-stable, port: 80}]
`,
		ref:  httpRef("web"),
		want: []string{"gatewayAPI.httpRoute", "no rule with a backendRef to the canary Service web-canary", "add canaryService as a backendRef with weight 0"},
	}, {
		name: "a selected rule lacks the stable Service",
		rules: `  - name: api
    backendRefs: [{name: web-canary, port: 80}]
`,
		ref:  httpRef("web", v1alpha1.GatewayAPIRuleSelector{Name: "api"}),
		want: []string{"gatewayAPI.httpRoute.rules[0]", `rule "api"`, "no backendRef to the stableService web-stable"},
	}, {
		name: "the canary twice",
		rules: `  - backendRefs: [{name: web-stable, port: 80}, {name: web-canary, port: 80}, {name: web-canary, port: 8080}]
`,
		ref:  httpRef("web"),
		want: []string{"2 backendRefs to the canaryService web-canary", "keep one"},
	}, {
		name: "a rule name that is not there",
		rules: `  - name: api
    backendRefs: [{name: web-stable, port: 80}, {name: web-canary, port: 80}]
`,
		ref:  httpRef("web", v1alpha1.GatewayAPIRuleSelector{Name: "checkout"}),
		want: []string{"gatewayAPI.httpRoute.rules[0].name", `no rule named "checkout"`},
	}, {
		name: "an index past the end",
		rules: `  - backendRefs: [{name: web-stable, port: 80}, {name: web-canary, port: 80}]
`,
		ref:  httpRef("web", v1alpha1.GatewayAPIRuleSelector{Index: ptr.To[int32](3)}),
		want: []string{"rules[0].index", "has 1 rules of its own, so no rule #3"},
	}, {
		name: "the same rule twice",
		rules: `  - name: api
    backendRefs: [{name: web-stable, port: 80}, {name: web-canary, port: 80}]
`,
		ref:  httpRef("web", v1alpha1.GatewayAPIRuleSelector{Name: "api"}, v1alpha1.GatewayAPIRuleSelector{Index: ptr.To[int32](0)}),
		want: []string{"rules[1]", "selects rule #0", "again"},
	}, {
		// A Service of the same name in another namespace is not the Rollout's.
		name: "the canary in another namespace",
		rules: `  - backendRefs: [{name: web-stable, port: 80}, {name: web-canary, namespace: other, port: 80}]
`,
		ref:  httpRef("web"),
		want: []string{"no rule with a backendRef to the canary Service"},
	}, {
		name:  "a route that does not exist",
		rules: `  - backendRefs: [{name: web-stable, port: 80}]`,
		ref:   httpRef("shop-front"),
		want:  []string{"gatewayAPI.httpRoute", "HTTPRoute shop/shop-front does not exist", "create it"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, routeWithRules(tc.rules))
			r := w.router(nil, tc.ref)
			for _, call := range []func() error{
				func() error { _, err := r.Verify(context.Background()); return err },
				func() error { return r.SetWeight(context.Background(), traffic.Desired{CanaryWeight: 10}) },
			} {
				msg, ok := traffic.IsInvalid(call())
				if !ok {
					t.Fatalf("got no invalid-spec error, want one saying %q", tc.want)
				}
				for _, want := range tc.want {
					if !strings.Contains(msg, want) {
						t.Fatalf("message %q does not say %q", msg, want)
					}
				}
			}
			if w.log.Len() != 0 {
				t.Fatalf("something was written:\n%s", w.log.String())
			}
		})
	}
}

// A user's edit of the weights reads as the share it routes, and the next SetWeight puts the
// Rollout's back.
func TestEditedWeightsReadAsTheirShareAndArePutBack(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, routeWithRules(`  - backendRefs: [{name: web-stable, port: 80, weight: 3}, {name: web-canary, port: 80, weight: 1}]
  - backendRefs: [{name: web-stable, port: 80}, {name: web-canary, port: 80}]
`))
	r := w.router(nil, httpRef("web"))
	st, err := r.Verify(ctx)
	w.must(err)
	// 1 of 4 is 25; unset weights are 1 each (the Gateway API's default): half.
	if st.CanaryWeight != 25 || st.MaxCanaryWeight != 50 {
		t.Fatalf("read %d..%d, want 25..50", st.CanaryWeight, st.MaxCanaryWeight)
	}
	w.must(r.SetWeight(ctx, traffic.Desired{CanaryWeight: 10}))
	st, err = w.router(nil, httpRef("web")).Verify(ctx)
	w.must(err)
	if st.CanaryWeight != 10 || st.MaxCanaryWeight != 10 {
		t.Fatalf("after SetWeight 10 read %d..%d", st.CanaryWeight, st.MaxCanaryWeight)
	}
}

func TestShareOfOddWeights(t *testing.T) {
	for _, tc := range []struct{ stable, canary, total, lo, hi int32 }{
		{90, 10, 100, 10, 10}, {0, 0, 100, 0, 0}, {2, 1, 100, 33, 34}, {0, 5, 100, 100, 100}, {700, 300, 1000, 300, 300},
	} {
		lo, hi := share(split{stable: ref{weight: tc.stable}, canary: ref{weight: tc.canary}}, tc.total)
		if lo != tc.lo || hi != tc.hi {
			t.Errorf("share(%d/%d of %d) = %d..%d, want %d..%d", tc.canary, tc.stable, tc.total, lo, hi, tc.lo, tc.hi)
		}
	}
}

// A Gateway that does not accept the route, or cannot resolve a backendRef, holds the rollout.
func TestRefusedRoutesAreReported(t *testing.T) {
	for _, tc := range []struct{ cond, reason, want string }{
		{"Accepted", "NotAllowedByListeners", "is not accepted by Gateway infra/public (Accepted=False, NotAllowedByListeners: no listener allows"},
		{"ResolvedRefs", "BackendNotFound", "has backendRefs not resolved by Gateway infra/public (ResolvedRefs=False, BackendNotFound"},
	} {
		t.Run(tc.cond, func(t *testing.T) {
			w := newWorld(t, routeWithRules(`  - backendRefs: [{name: web-stable, port: 80, weight: 100}, {name: web-canary, port: 80, weight: 0}]
status:
  parents:
  - parentRef: {name: public, namespace: infra}
    controllerName: example.com/gateway
    conditions:
    - {type: Accepted, status: "True", reason: Accepted, lastTransitionTime: "2026-12-04T00:00:00Z", message: ""}
`))
			st, err := w.router(nil, httpRef("web")).Verify(context.Background())
			w.must(err)
			if st.Waiting != "" {
				t.Fatalf("an accepted route is reported as %q", st.Waiting)
			}
			doc := routeWithRules(`  - backendRefs: [{name: web-stable, port: 80, weight: 100}, {name: web-canary, port: 80, weight: 0}]
status:
  parents:
  - parentRef: {name: public, namespace: infra}
    controllerName: example.com/gateway
    conditions:
    - {type: ` + tc.cond + `, status: "False", reason: ` + tc.reason + `, lastTransitionTime: "2026-12-04T00:00:00Z", message: "no listener allows this route"}
`)
			w = newWorld(t, doc)
			st, err = w.router(nil, httpRef("web")).Verify(context.Background())
			w.must(err)
			if !strings.Contains(st.Waiting, "HTTPRoute shop/web "+tc.want) {
				t.Fatalf("waiting %q, want it to say %q", st.Waiting, tc.want)
			}
		})
	}
}

// A route with no room for ramp's rules is an error the author can act on, before any write.
func TestManagedRulesWithinTheGatewayAPILimits(t *testing.T) {
	var rules strings.Builder
	for i := range 15 {
		fmt.Fprintf(&rules, "  - matches: [{path: {type: PathPrefix, value: /p%d}}]\n    backendRefs: [{name: web-stable, port: 80, weight: 100}, {name: web-canary, port: 80, weight: 0}]\n", i)
	}
	w := newWorld(t, routeWithRules(rules.String()))
	err := w.router([]string{"h"}, httpRef("web")).SetHeaderRoute(context.Background(), traffic.HeaderRoute{Name: "h", Match: []v1alpha1.HeaderRoutingMatch{{HeaderName: "x", HeaderValue: v1alpha1.StringMatch{Exact: "1"}}}})
	msg, ok := traffic.IsInvalid(err)
	if !ok || !strings.Contains(msg, "would have 30 rules") || !strings.Contains(msg, "useHeaderRoutes: false") {
		t.Fatalf("got %v, want an invalid-spec error about the 16-rule limit", err)
	}
	if w.log.Len() != 0 {
		t.Fatalf("something was written:\n%s", w.log.String())
	}
}

func TestMirrorMatchesTheRulesRequestsOnly(t *testing.T) {
	w := newWorld(t, webRoute)
	err := w.router([]string{"m"}, httpRef("web")).SetMirrorRoute(context.Background(), traffic.MirrorRoute{Name: "m", Percentage: 10,
		Match: []v1alpha1.RouteMatch{{Path: &v1alpha1.StringMatch{Prefix: "/static"}}}})
	if msg, ok := traffic.IsInvalid(err); !ok || !strings.Contains(msg, "match none of the requests the rule it copies serves") {
		t.Fatalf("a mirror of paths the rule never serves: %v", err)
	}
	for _, tc := range []struct {
		a, b     string
		want     string
		disjoint bool
	}{
		{"/api", "/api/orders", "/api/orders", false},
		{"/api/", "/api/orders", "/api/orders", false},
		{"/api", "/apix", "", true},
		{"/", "/x", "/x", false},
	} {
		got, ok := underPrefix(tc.b, tc.a), !tc.disjoint
		if got != ok {
			t.Errorf("underPrefix(%q, %q) = %v", tc.b, tc.a, got)
		}
	}
}

func TestManagedRuleNames(t *testing.T) {
	managed := []string{"canary", "canary-mirror"}
	for name, want := range map[string]string{"canary": "canary", "canary-0": "canary", "canary-12": "canary", "canary-mirror": "canary-mirror", "canary-mirror-1": "canary-mirror", "canary-x": "", "api": "", "": ""} {
		got, _ := managedOf(name, managed)
		if got != want {
			t.Errorf("managedOf(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestSameRuleAllowsServerDefaultsOnly(t *testing.T) {
	for _, tc := range []struct {
		stored, want string
		same         bool
	}{
		{`{"a":1,"b":[{"x":1,"d":"default"}]}`, `{"a":1,"b":[{"x":1}]}`, true},
		{`{"a":1}`, `{"a":2}`, false},
		{`{"a":1}`, `{"a":1,"b":1}`, false},
		{`{"b":[1,2]}`, `{"b":[1]}`, false},
		{`{"b":[{"x":1}]}`, `{"b":[{"x":2}]}`, false},
	} {
		var s, w any
		_ = json.Unmarshal([]byte(tc.stored), &s)
		_ = json.Unmarshal([]byte(tc.want), &w)
		if got := sameRule(s, w); got != tc.same {
			t.Errorf("sameRule(%s, %s) = %v, want %v", tc.stored, tc.want, got, tc.same)
		}
	}
}

// A header route on a header the user's rule already matches would need two values of one
// header: refused, naming the header.
func TestHeaderRouteOnAHeaderTheRuleMatches(t *testing.T) {
	w := newWorld(t, webRoute)
	err := w.router([]string{"h"}, httpRef("web")).SetHeaderRoute(context.Background(), traffic.HeaderRoute{Name: "h", Match: []v1alpha1.HeaderRoutingMatch{{HeaderName: "X-Region", HeaderValue: v1alpha1.StringMatch{Exact: "us"}}}})
	if msg, ok := traffic.IsInvalid(err); !ok || !strings.Contains(msg, "header X-Region is already matched by the rule") {
		t.Fatalf("got %v, want an invalid-spec error naming X-Region", err)
	}
	if w.log.Len() != 0 {
		t.Fatalf("something was written:\n%s", w.log.String())
	}
}
