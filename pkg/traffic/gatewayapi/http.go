package gatewayapi

import (
	"fmt"
	"regexp"
	"strings"

	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/traffic"
)

type httpKind struct{}

func (httpKind) newObject() client.Object { return &gatewayv1.HTTPRoute{} }

func (httpKind) rules(obj client.Object) []rule {
	var out []rule
	for _, r := range obj.(*gatewayv1.HTTPRoute).Spec.Rules {
		v := rule{name: ruleName(r.Name), matches: len(r.Matches)}
		for _, b := range r.BackendRefs {
			v.backends = append(v.backends, backendOf(b.BackendRef))
		}
		for _, f := range r.Filters {
			v.mirror = v.mirror || f.Type == gatewayv1.HTTPRouteFilterRequestMirror
		}
		out = append(out, v)
	}
	return out
}

func (httpKind) rule(obj client.Object, i int) any { return obj.(*gatewayv1.HTTPRoute).Spec.Rules[i] }

func (httpKind) parents(obj client.Object) []gatewayv1.RouteParentStatus {
	return obj.(*gatewayv1.HTTPRoute).Status.Parents
}

func (httpKind) headerRule(rt *readRoute, s split, name string, match []v1alpha1.HeaderRoutingMatch) (any, error) {
	src := rt.obj.(*gatewayv1.HTTPRoute).Spec.Rules[s.rule]
	out := *src.DeepCopy()
	out.Name = ptr.To(gatewayv1.SectionName(name))
	var headers []gatewayv1.HTTPHeaderMatch
	for _, m := range match {
		headers = append(headers, httpHeaderMatch(m.HeaderName, m.HeaderValue))
	}
	var err error
	if out.Matches, err = httpMatches(src.Matches, []gatewayv1.HTTPRouteMatch{{Headers: headers}}); err != nil {
		return nil, fmt.Errorf("%s: setHeaderRoute %s: %w", rt.id(), name, err)
	}
	canary := src.BackendRefs[s.canary.index].DeepCopy()
	canary.Weight = ptr.To[int32](1)
	out.BackendRefs = []gatewayv1.HTTPBackendRef{*canary}
	return out, nil
}

func (httpKind) mirrorRule(rt *readRoute, s split, name string, m traffic.MirrorRoute) (any, error) {
	src := rt.obj.(*gatewayv1.HTTPRoute).Spec.Rules[s.rule]
	out := *src.DeepCopy()
	out.Name = ptr.To(gatewayv1.SectionName(name))
	var extra []gatewayv1.HTTPRouteMatch
	for i, rm := range m.Match {
		hm, err := httpRouteMatch(rm)
		if err != nil {
			return nil, traffic.Invalid("%s: setMirrorRoute %s match[%d]: %v", rt.id(), m.Name, i, err)
		}
		extra = append(extra, hm)
	}
	var err error
	if out.Matches, err = httpMatches(src.Matches, extra); err != nil {
		return nil, fmt.Errorf("%s: setMirrorRoute %s: %w", rt.id(), name, err)
	}
	out.Filters = append(out.Filters, gatewayv1.HTTPRouteFilter{
		Type:          gatewayv1.HTTPRouteFilterRequestMirror,
		RequestMirror: mirrorFilter(src.BackendRefs[s.canary.index].BackendRef, m.Percentage),
	})
	return out, filterLimit(rt, s, len(out.Filters), m.Name)
}

// mirrorFilter mirrors percent of the requests to the canary backendRef (its port; the filter
// keeps no weight).
func mirrorFilter(canary gatewayv1.BackendRef, percent int32) *gatewayv1.HTTPRequestMirrorFilter {
	ref := canary.BackendObjectReference
	ref.Group, ref.Kind = ptr.To(gatewayv1.Group("")), ptr.To(gatewayv1.Kind("Service"))
	f := &gatewayv1.HTTPRequestMirrorFilter{BackendRef: ref}
	if percent < 100 {
		f.Percent = ptr.To(percent)
	}
	return f
}

// httpMatches is every match of the user's rule intersected with every extra match (a request
// must satisfy both; pairs no request satisfies are left out): the narrower path and method,
// and the headers of both. Keeping the rule's own conditions keeps the managed rule to the
// requests the rule serves, and at least as specific, so the Gateway gives it precedence.
func httpMatches(user, extra []gatewayv1.HTTPRouteMatch) ([]gatewayv1.HTTPRouteMatch, error) {
	if len(user) == 0 {
		user = []gatewayv1.HTTPRouteMatch{{Path: &gatewayv1.HTTPPathMatch{Type: ptr.To(gatewayv1.PathMatchPathPrefix), Value: ptr.To("/")}}}
	}
	var out []gatewayv1.HTTPRouteMatch
	for _, u := range user {
		for _, e := range extra {
			m := *u.DeepCopy()
			path, ok, err := narrowerPath(u.Path, e.Path)
			if err != nil {
				return nil, err
			}
			if !ok || (u.Method != nil && e.Method != nil && *u.Method != *e.Method) {
				continue // no request matches both
			}
			m.Path = path
			if e.Method != nil {
				m.Method = e.Method
			}
			for _, h := range e.Headers {
				if err := headerFree(string(h.Name), len(m.Headers), func(i int) string { return string(m.Headers[i].Name) }); err != nil {
					return nil, err
				}
				m.Headers = append(m.Headers, h)
			}
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		return nil, traffic.Invalid("its paths and methods match none of the requests the rule it copies serves: match requests of that rule")
	}
	return out, matchLimit(len(out))
}

// narrowerPath is the path match of the requests both a and b match (nil is any path); false
// when no path matches both. A regular expression is combined only with a match of every path.
func narrowerPath(a, b *gatewayv1.HTTPPathMatch) (*gatewayv1.HTTPPathMatch, bool, error) {
	switch {
	case everyPath(b):
		return a, true, nil
	case everyPath(a):
		return b, true, nil
	}
	at, bt := ptr.Deref(a.Type, gatewayv1.PathMatchPathPrefix), ptr.Deref(b.Type, gatewayv1.PathMatchPathPrefix)
	av, bv := ptr.Deref(a.Value, "/"), ptr.Deref(b.Value, "/")
	if at == gatewayv1.PathMatchRegularExpression || bt == gatewayv1.PathMatchRegularExpression {
		return nil, false, traffic.Invalid("a regular-expression path cannot be combined with the path %s of the rule it copies: match an exact path or a prefix", av)
	}
	switch {
	case at == gatewayv1.PathMatchExact && bt == gatewayv1.PathMatchExact:
		return a, av == bv, nil
	case at == gatewayv1.PathMatchExact:
		return a, underPrefix(av, bv), nil
	case bt == gatewayv1.PathMatchExact:
		return b, underPrefix(bv, av), nil
	case underPrefix(av, bv):
		return a, true, nil
	case underPrefix(bv, av):
		return b, true, nil
	}
	return nil, false, nil
}

// everyPath: m matches every path (none set, or the prefix /).
func everyPath(m *gatewayv1.HTTPPathMatch) bool {
	return m == nil || (ptr.Deref(m.Type, gatewayv1.PathMatchPathPrefix) == gatewayv1.PathMatchPathPrefix && ptr.Deref(m.Value, "/") == "/")
}

// underPrefix: the PathPrefix prefix matches path, element by element as the Gateway API
// defines it (/api matches /api and /api/x, not /apix).
func underPrefix(path, prefix string) bool {
	prefix = strings.TrimSuffix(prefix, "/")
	return prefix == "" || path == prefix || strings.HasPrefix(path, prefix+"/")
}

// httpRouteMatch is a step's request match as a Gateway API match.
func httpRouteMatch(m v1alpha1.RouteMatch) (gatewayv1.HTTPRouteMatch, error) {
	var out gatewayv1.HTTPRouteMatch
	if p := m.Path; p != nil {
		switch {
		case p.Exact != "":
			out.Path = &gatewayv1.HTTPPathMatch{Type: ptr.To(gatewayv1.PathMatchExact), Value: ptr.To(p.Exact)}
		case p.Prefix != "":
			out.Path = &gatewayv1.HTTPPathMatch{Type: ptr.To(gatewayv1.PathMatchPathPrefix), Value: ptr.To(p.Prefix)}
		default:
			out.Path = &gatewayv1.HTTPPathMatch{Type: ptr.To(gatewayv1.PathMatchRegularExpression), Value: ptr.To(p.Regex)}
		}
	}
	if mt := m.Method; mt != nil {
		if mt.Exact == "" {
			return out, fmt.Errorf("method: the Gateway API matches a method exactly: use exact")
		}
		out.Method = ptr.To(gatewayv1.HTTPMethod(strings.ToUpper(mt.Exact)))
	}
	for _, name := range sortedKeys(m.Headers) {
		out.Headers = append(out.Headers, httpHeaderMatch(name, m.Headers[name]))
	}
	return out, nil
}

// httpHeaderMatch: a prefix becomes an anchored regular expression (the Gateway API matches
// headers exactly or by regular expression only).
func httpHeaderMatch(name string, v v1alpha1.StringMatch) gatewayv1.HTTPHeaderMatch {
	t, value := headerMatch(v)
	return gatewayv1.HTTPHeaderMatch{Type: ptr.To(gatewayv1.HeaderMatchType(t)), Name: gatewayv1.HTTPHeaderName(name), Value: value}
}

// headerMatch is the Gateway API's match type and value for a string match.
func headerMatch(v v1alpha1.StringMatch) (string, string) {
	switch {
	case v.Exact != "":
		return string(gatewayv1.HeaderMatchExact), v.Exact
	case v.Prefix != "":
		return string(gatewayv1.HeaderMatchRegularExpression), "^" + regexp.QuoteMeta(v.Prefix) + ".*"
	}
	return string(gatewayv1.HeaderMatchRegularExpression), v.Regex
}
