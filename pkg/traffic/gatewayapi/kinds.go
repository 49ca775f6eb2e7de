package gatewayapi

import (
	"encoding/json"
	"strings"

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

// sameRule: a stored rule is what ramp would write, field for field, except for fields ramp
// leaves out and the API server filled in (a default a newer CRD adds must not make every
// reconcile write the rule again).
func sameRule(stored, want any) bool {
	var s, w any
	for _, v := range []struct {
		from any
		into *any
	}{{stored, &s}, {want, &w}} {
		b, err := json.Marshal(v.from)
		if err != nil || json.Unmarshal(b, v.into) != nil {
			return false
		}
	}
	return covers(s, w)
}

// covers: every value of want is in stored (objects may have more keys, arrays the same
// elements in order).
func covers(stored, want any) bool {
	switch w := want.(type) {
	case map[string]any:
		s, ok := stored.(map[string]any)
		if !ok {
			return false
		}
		for k, v := range w {
			if sv, ok := s[k]; !ok || !covers(sv, v) {
				return false
			}
		}
		return true
	case []any:
		s, ok := stored.([]any)
		if !ok || len(s) != len(w) {
			return false
		}
		for i := range w {
			if !covers(s[i], w[i]) {
				return false
			}
		}
		return true
	}
	return stored == want
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

// headerFree: a match with n headers (the i-th named name(i)) does not match header h yet
// (names are case-insensitive; a match may name a header once).
func headerFree(h string, n int, name func(int) string) error {
	for i := range n {
		if strings.EqualFold(name(i), h) {
			return traffic.Invalid("header %s is already matched by the rule this route copies: match another header", h)
		}
	}
	return nil
}

// matchLimit and filterLimit are limits of one rule the API server enforces, checked first so
// that the message says what to do.
func matchLimit(n int) error {
	if n > 64 {
		return traffic.Invalid("the rule would have %d matches (the rule's matches times the step's): the Gateway API allows 64", n)
	}
	return nil
}

func filterLimit(rt *readRoute, s split, n int, mirror string) error {
	if n > 16 {
		return traffic.Invalid("%s: the rule %s copies would have %d filters with the RequestMirror of setMirrorRoute %s: the Gateway API allows 16", rt.id(), s.describe(), n, mirror)
	}
	return nil
}
