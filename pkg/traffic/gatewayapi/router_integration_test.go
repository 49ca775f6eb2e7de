//go:build integration

package gatewayapi_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync/atomic"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/testenv"
	"github.com/ramp-dev/ramp/pkg/traffic"
	"github.com/ramp-dev/ramp/pkg/traffic/gatewayapi"
)

var env *testenv.Env

// TestMain starts one API server with the Gateway API's real (standard channel) CRDs: their
// defaults and CEL rules are what ramp's patches must get through and stay idempotent against.
func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	if os.Getenv("RAMP_GATEWAY_API_CRDS") == "" {
		fmt.Fprintln(os.Stderr, "RAMP_GATEWAY_API_CRDS is not set: run with make test-integration")
		return 1
	}
	var err error
	if env, err = testenv.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	return m.Run()
}

// Routes as users write them, leaving every default to the API server.
const (
	httpRoute = `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web}
spec:
  parentRefs: [{name: public}]
  rules:
  - matches: [{path: {value: /api}}, {headers: [{name: x-region, value: eu}]}]
    backendRefs: [{name: web-stable, port: 80}, {name: web-canary, port: 80, weight: 0}]
  - backendRefs: [{name: web-stable, port: 80}]
`
	grpcRoute = `
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: web}
spec:
  parentRefs: [{name: public}]
  rules:
  - matches: [{method: {service: shop.Cart}}]
    backendRefs: [{name: web-stable, port: 9090}, {name: web-canary, port: 9090, weight: 0}]
`
)

// The API server takes every patch ramp sends (its CEL rules included), and ramp's managed
// rules, once the server has defaulted them, are what ramp would write again: the second pass
// sends nothing.
func TestPatchesAreAcceptedAndIdempotentAgainstTheRealCRDs(t *testing.T) {
	for _, tc := range []struct {
		kind   v1alpha1.GatewayAPIRouteKind
		doc    string
		mirror []v1alpha1.RouteMatch
	}{
		{v1alpha1.HTTPRouteKind, httpRoute, []v1alpha1.RouteMatch{{Method: &v1alpha1.StringMatch{Exact: "POST"}, Path: &v1alpha1.StringMatch{Prefix: "/api/cart"}, Headers: map[string]v1alpha1.StringMatch{"x-debug": {Prefix: "on"}}}}},
		{v1alpha1.GRPCRouteKind, grpcRoute, []v1alpha1.RouteMatch{{Headers: map[string]v1alpha1.StringMatch{"x-debug": {Exact: "1"}}}}},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			ns := env.Namespace(t)
			env.CreateYAML(t, ns, tc.doc)
			c := &counting{Client: env.Client}
			patches := &c.patches
			ref := v1alpha1.GatewayAPIRouteRef{Kind: tc.kind, Field: "spec.strategy.canary.trafficRouting.gatewayAPI.route", GatewayAPIRoute: v1alpha1.GatewayAPIRoute{Name: "web"}}
			cfg := gatewayapi.Config{Namespace: ns, StableService: "web-stable", CanaryService: "web-canary", Routes: []v1alpha1.GatewayAPIRouteRef{ref}, ManagedRoutes: []string{"header", "mirror"}, TotalWeight: 100}
			pass := func() {
				t.Helper()
				ctx := context.Background()
				r := gatewayapi.New(c, cfg)
				for _, err := range []error{
					r.SetWeight(ctx, traffic.Desired{CanaryWeight: 30}),
					r.SetHeaderRoute(ctx, traffic.HeaderRoute{Name: "header", Match: []v1alpha1.HeaderRoutingMatch{{HeaderName: "X-Canary", HeaderValue: v1alpha1.StringMatch{Exact: "yes"}}, {HeaderName: "x-user", HeaderValue: v1alpha1.StringMatch{Prefix: "beta-"}}}}),
					r.SetMirrorRoute(ctx, traffic.MirrorRoute{Name: "mirror", Percentage: 25, Match: tc.mirror}),
				} {
					if err != nil {
						t.Fatal(err)
					}
				}
			}
			pass()
			if n := patches.Load(); n != 3 {
				t.Fatalf("the first pass sent %d patches, want 3 (weights, header rule, mirror rule)", n)
			}
			pass()
			if n := patches.Load(); n != 3 {
				t.Fatalf("the second pass sent %d more patches: the defaulted managed rules differ from what ramp builds", n-3)
			}
			st, err := gatewayapi.New(c, cfg).Verify(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if st.CanaryWeight != 30 || st.MaxCanaryWeight != 30 || !slices.Equal(st.Routes, []string{"header", "mirror"}) {
				t.Fatalf("state %+v, want weight 30 and both managed routes", st)
			}
			ctx := context.Background()
			r := gatewayapi.New(c, cfg)
			if err := r.SetWeight(ctx, traffic.Desired{}); err != nil {
				t.Fatal(err)
			}
			if err := r.RemoveManagedRoutes(ctx); err != nil {
				t.Fatal(err)
			}
			st, err = gatewayapi.New(c, cfg).Verify(ctx)
			if err != nil || st.MaxCanaryWeight != 0 || len(st.Routes) != 0 {
				t.Fatalf("after the abort: %+v, %v", st, err)
			}
		})
	}
}

// counting is a client that counts its patches.
type counting struct {
	client.Client
	patches atomic.Int32
}

func (c *counting) Patch(ctx context.Context, obj client.Object, p client.Patch, opts ...client.PatchOption) error {
	c.patches.Add(1)
	return c.Client.Patch(ctx, obj, p, opts...)
}
