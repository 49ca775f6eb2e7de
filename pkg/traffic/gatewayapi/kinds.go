package gatewayapi

import (
	"encoding/json"

	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/traffic"
)

// routeKind is what the router needs to know of one kind of route.
type routeKind interface {
	newObject() client.Object
	// rules is a view of every rule of obj.
	rules(obj client.Object) []rule
	// rule is obj's i-th rule as stored, to compare a managed rule with what it should be.
	rule(obj client.Object, i int) any
	parents(obj client.Object) []gatewayv1.RouteParentStatus
	// headerRule is the managed rule for the selected rule s that sends requests matching s
	// and every header of match to the canary backendRef of s.
	headerRule(rt *readRoute, s split, name string, match []v1alpha1.HeaderRoutingMatch) (any, error)
	// mirrorRule is the managed rule for the selected rule s that serves requests matching s
	// and m with the backendRefs of s and mirrors m.Percentage of them to the canary.
	mirrorRule(rt *readRoute, s split, name string, m traffic.MirrorRoute) (any, error)
}

var kinds = map[v1alpha1.GatewayAPIRouteKind]routeKind{
	v1alpha1.HTTPRouteKind: httpKind{},
	v1alpha1.GRPCRouteKind: grpcKind{},
}

// rule is one rule of a route.
type rule struct {
	name     string
	backends []backend
	// matches is how many matches the rule has (a route allows 128 in all).
	matches int
	// mirror: the rule has a RequestMirror filter.
	mirror bool
}

// backend is one backendRef of a rule.
type backend struct {
	group, kind, namespace, name string
	// weight is the backendRef's weight, 1 when unset (the Gateway API's default).
	weight int32
}

func backendOf(ref gatewayv1.BackendRef) backend {
	b := backend{name: string(ref.Name), weight: 1}
	if ref.Group != nil {
		b.group = string(*ref.Group)
	}
	if ref.Kind != nil {
		b.kind = string(*ref.Kind)
	}
	if ref.Namespace != nil {
		b.namespace = string(*ref.Namespace)
	}
	if ref.Weight != nil {
		b.weight = *ref.Weight
	}
	return b
}

func ruleName(n *gatewayv1.SectionName) string {
	if n == nil {
		return ""
	}
	return string(*n)
}

// sameRule: a stored rule is what ramp would write, field for field.
func sameRule(stored, want any) bool {
	a, errA := json.Marshal(stored)
	b, errB := json.Marshal(want)
	return errA == nil && errB == nil && string(a) == string(b)
}

// matchCount is how many matches a rule ramp builds has.
func matchCount(r any) int {
	switch r := r.(type) {
	case gatewayv1.HTTPRouteRule:
		return len(r.Matches)
	case gatewayv1.GRPCRouteRule:
		return len(r.Matches)
	}
	return 0
}
