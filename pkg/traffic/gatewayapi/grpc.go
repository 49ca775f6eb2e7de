package gatewayapi

import (
	"fmt"
	"maps"
	"slices"

	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/traffic"
)

type grpcKind struct{}

func (grpcKind) newObject() client.Object { return &gatewayv1.GRPCRoute{} }

func (grpcKind) rules(obj client.Object) []rule {
	var out []rule
	for _, r := range obj.(*gatewayv1.GRPCRoute).Spec.Rules {
		v := rule{name: ruleName(r.Name), matches: len(r.Matches)}
		for _, b := range r.BackendRefs {
			v.backends = append(v.backends, backendOf(b.BackendRef))
		}
		for _, f := range r.Filters {
			v.mirror = v.mirror || f.Type == gatewayv1.GRPCRouteFilterRequestMirror
		}
		out = append(out, v)
	}
	return out
}

func (grpcKind) rule(obj client.Object, i int) any { return obj.(*gatewayv1.GRPCRoute).Spec.Rules[i] }

func (grpcKind) parents(obj client.Object) []gatewayv1.RouteParentStatus {
	return obj.(*gatewayv1.GRPCRoute).Status.Parents
}

func (grpcKind) headerRule(rt *readRoute, s split, name string, match []v1alpha1.HeaderRoutingMatch) (any, error) {
	src := rt.obj.(*gatewayv1.GRPCRoute).Spec.Rules[s.rule]
	out := *src.DeepCopy()
	out.Name = ptr.To(gatewayv1.SectionName(name))
	var headers []gatewayv1.GRPCHeaderMatch
	for _, m := range match {
		headers = append(headers, grpcHeaderMatch(m.HeaderName, m.HeaderValue))
	}
	var err error
	if out.Matches, err = grpcMatches(src.Matches, [][]gatewayv1.GRPCHeaderMatch{headers}); err != nil {
		return nil, fmt.Errorf("%s: setHeaderRoute %s: %w", rt.id(), name, err)
	}
	canary := src.BackendRefs[s.canary.index].DeepCopy()
	canary.Weight = ptr.To[int32](1)
	out.BackendRefs = []gatewayv1.GRPCBackendRef{*canary}
	return out, nil
}

func (grpcKind) mirrorRule(rt *readRoute, s split, name string, m traffic.MirrorRoute) (any, error) {
	src := rt.obj.(*gatewayv1.GRPCRoute).Spec.Rules[s.rule]
	out := *src.DeepCopy()
	out.Name = ptr.To(gatewayv1.SectionName(name))
	var extra [][]gatewayv1.GRPCHeaderMatch
	for i, rm := range m.Match {
		if rm.Path != nil || rm.Method != nil {
			return nil, traffic.Invalid("%s: setMirrorRoute %s match[%d]: a GRPCRoute matches requests by headers only here: remove path and method (select the gRPC method with the route's own rule)", rt.id(), m.Name, i)
		}
		var headers []gatewayv1.GRPCHeaderMatch
		for _, h := range sortedKeys(rm.Headers) {
			headers = append(headers, grpcHeaderMatch(h, rm.Headers[h]))
		}
		extra = append(extra, headers)
	}
	var err error
	if out.Matches, err = grpcMatches(src.Matches, extra); err != nil {
		return nil, fmt.Errorf("%s: setMirrorRoute %s: %w", rt.id(), name, err)
	}
	out.Filters = append(out.Filters, gatewayv1.GRPCRouteFilter{
		Type:          gatewayv1.GRPCRouteFilterRequestMirror,
		RequestMirror: mirrorFilter(src.BackendRefs[s.canary.index].BackendRef, m.Percentage),
	})
	return out, filterLimit(rt, s, len(out.Filters), m.Name)
}

// grpcMatches combines every match of the user's rule with every extra set of headers (see
// httpMatches); a rule without matches matches every request.
func grpcMatches(user []gatewayv1.GRPCRouteMatch, extra [][]gatewayv1.GRPCHeaderMatch) ([]gatewayv1.GRPCRouteMatch, error) {
	if len(user) == 0 {
		user = []gatewayv1.GRPCRouteMatch{{}}
	}
	var out []gatewayv1.GRPCRouteMatch
	for _, u := range user {
		for _, headers := range extra {
			m := *u.DeepCopy()
			for _, h := range headers {
				if err := headerFree(string(h.Name), len(m.Headers), func(i int) string { return string(m.Headers[i].Name) }); err != nil {
					return nil, err
				}
				m.Headers = append(m.Headers, h)
			}
			out = append(out, m)
		}
	}
	return out, matchLimit(len(out))
}

func grpcHeaderMatch(name string, v v1alpha1.StringMatch) gatewayv1.GRPCHeaderMatch {
	t, value := headerMatch(v)
	return gatewayv1.GRPCHeaderMatch{Type: ptr.To(gatewayv1.GRPCHeaderMatchType(t)), Name: gatewayv1.GRPCHeaderName(name), Value: value}
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
