//go:build integration

package gatewayapi_test

import (
	"context"
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/traffic"
	"github.com/ramp-dev/ramp/pkg/traffic/gatewayapi"
)

// A mirror rule is refused, with nothing written, when the parent Gateway's class lists its
// features without RequestMirror (as Traefik's does: it then answers the rule's requests with
// 500); it is written when the class lists RequestMirror or lists nothing.
func TestMirrorRouteNeedsAGatewayThatMirrors(t *testing.T) {
	for _, tc := range []struct {
		name     string
		features []gatewayv1.FeatureName
		refused  bool
	}{
		{"class without RequestMirror", []gatewayv1.FeatureName{"Gateway", "HTTPRoute", "HTTPRouteMethodMatching"}, true},
		{"class with RequestMirror", []gatewayv1.FeatureName{"Gateway", "HTTPRoute", "HTTPRouteRequestMirror"}, false},
		{"class that does not say", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			ns := env.Namespace(t)
			className := strings.ReplaceAll(ns, "_", "-") + "-class"
			class := &gatewayv1.GatewayClass{}
			class.Name = className
			class.Spec.ControllerName = "example.com/gateway"
			if err := env.Client.Create(ctx, class); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = env.Client.Delete(context.Background(), class) })
			for _, f := range tc.features {
				class.Status.SupportedFeatures = append(class.Status.SupportedFeatures, gatewayv1.SupportedFeature{Name: f})
			}
			if err := env.Client.Status().Update(ctx, class); err != nil {
				t.Fatal(err)
			}
			env.CreateYAML(t, ns, `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: public}
spec:
  gatewayClassName: `+className+`
  listeners: [{name: web, protocol: HTTP, port: 80}]
`)
			env.CreateYAML(t, ns, httpRoute)
			before := &gatewayv1.HTTPRoute{}
			if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, before); err != nil {
				t.Fatal(err)
			}
			ref := v1alpha1.GatewayAPIRouteRef{Kind: v1alpha1.HTTPRouteKind, Field: "spec.strategy.canary.trafficRouting.gatewayAPI.route", GatewayAPIRoute: v1alpha1.GatewayAPIRoute{Name: "web"}}
			cfg := gatewayapi.Config{Namespace: ns, StableService: "web-stable", CanaryService: "web-canary", Routes: []v1alpha1.GatewayAPIRouteRef{ref}, ManagedRoutes: []string{"mirror"}, TotalWeight: 100}
			err := gatewayapi.New(env.Client, cfg).SetMirrorRoute(ctx, traffic.MirrorRoute{Name: "mirror", Percentage: 100,
				Match: []v1alpha1.RouteMatch{{Path: &v1alpha1.StringMatch{Prefix: "/api"}}}})
			after := &gatewayv1.HTTPRoute{}
			if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, after); err != nil {
				t.Fatal(err)
			}
			msg, invalid := traffic.IsInvalid(err)
			if !tc.refused {
				if err != nil || len(after.Spec.Rules) != len(before.Spec.Rules)+1 {
					t.Fatalf("err %v, %d rules: want the mirror rule written", err, len(after.Spec.Rules))
				}
				return
			}
			if !invalid || !strings.Contains(msg, "HTTPRouteRequestMirror") || !strings.Contains(msg, "class "+className) {
				t.Fatalf("err %v: want an invalid-spec error naming the class and HTTPRouteRequestMirror", err)
			}
			if after.ResourceVersion != before.ResourceVersion {
				t.Fatalf("the route was written although the mirror was refused")
			}
		})
	}
}
