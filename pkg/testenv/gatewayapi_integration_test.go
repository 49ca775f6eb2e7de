//go:build integration

package testenv_test

import (
	"context"
	"os"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/ramp-dev/ramp/pkg/testenv"
)

// The envtest API server serves the Gateway API's real HTTPRoute and GRPCRoute schemas,
// weighted backendRefs and the status a Gateway controller writes included, so the router
// tests run against the objects users have.
func TestGatewayAPIRoutesAreServed(t *testing.T) {
	if os.Getenv("RAMP_GATEWAY_API_CRDS") == "" {
		t.Fatal("RAMP_GATEWAY_API_CRDS is not set: run with make test-integration")
	}
	env, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = env.Stop() }()
	ctx := context.Background()

	backends := func() []gatewayv1.HTTPBackendRef {
		return []gatewayv1.HTTPBackendRef{
			{BackendRef: gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{Name: "web-stable", Port: ptr.To(gatewayv1.PortNumber(80))}, Weight: ptr.To(int32(90))}},
			{BackendRef: gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{Name: "web-canary", Port: ptr.To(gatewayv1.PortNumber(80))}, Weight: ptr.To(int32(10))}},
		}
	}
	route := &gatewayv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: gatewayv1.HTTPRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{Name: "gateway"}}},
			Rules:           []gatewayv1.HTTPRouteRule{{Name: ptr.To(gatewayv1.SectionName("primary")), BackendRefs: backends()}},
		},
	}
	if err := env.Client.Create(ctx, route); err != nil {
		t.Fatalf("create HTTPRoute: %v", err)
	}
	// What a Gateway controller reports, as the router tests will write it.
	route.Status.Parents = []gatewayv1.RouteParentStatus{{
		ParentRef:      gatewayv1.ParentReference{Name: "gateway"},
		ControllerName: "example.com/gateway-controller",
		Conditions: []metav1.Condition{{Type: string(gatewayv1.RouteConditionAccepted), Status: metav1.ConditionTrue, Reason: "Accepted",
			LastTransitionTime: metav1.Now()}},
	}}
	if err := env.Client.Status().Update(ctx, route); err != nil {
		t.Fatalf("write HTTPRoute status: %v", err)
	}
	got := &gatewayv1.HTTPRoute{}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(route), got); err != nil {
		t.Fatal(err)
	}
	if w := got.Spec.Rules[0].BackendRefs[1].Weight; w == nil || *w != 10 || len(got.Status.Parents) != 1 {
		t.Errorf("HTTPRoute read back: canary weight %v, %d parent statuses", w, len(got.Status.Parents))
	}

	grpc := &gatewayv1.GRPCRoute{
		ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: "default"},
		Spec: gatewayv1.GRPCRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{Name: "gateway"}}},
			Rules: []gatewayv1.GRPCRouteRule{{BackendRefs: []gatewayv1.GRPCBackendRef{
				{BackendRef: gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{Name: "api-stable", Port: ptr.To(gatewayv1.PortNumber(9090))}, Weight: ptr.To(int32(100))}},
				{BackendRef: gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{Name: "api-canary", Port: ptr.To(gatewayv1.PortNumber(9090))}, Weight: ptr.To(int32(0))}},
			}}},
		},
	}
	if err := env.Client.Create(ctx, grpc); err != nil {
		t.Fatalf("create GRPCRoute: %v", err)
	}
	// The schema is enforced: a negative weight is refused, as users' tools see it.
	bad := got.DeepCopy()
	bad.Spec.Rules[0].BackendRefs[1].Weight = ptr.To(int32(-1))
	if err := env.Client.Update(ctx, bad); err == nil {
		t.Error("a negative backendRef weight was accepted: the CRD's validation is not installed")
	}
}
