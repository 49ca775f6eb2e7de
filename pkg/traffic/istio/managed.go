package istio

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"
	istionetworking "istio.io/api/networking/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/traffic"
)

// headerRoute is the managed route sending requests that match every header of r to canary.
func headerRoute(r traffic.HeaderRoute, canary *istionetworking.Destination) (*istionetworking.HTTPRoute, error) {
	headers := map[string]*istionetworking.StringMatch{}
	for _, m := range r.Match {
		sm, err := stringMatch(m.HeaderValue)
		if err != nil {
			return nil, fmt.Errorf("setHeaderRoute %s header %s: %w", r.Name, m.HeaderName, err)
		}
		headers[headerKey(m.HeaderName)] = sm
	}
	return &istionetworking.HTTPRoute{
		Name:  r.Name,
		Match: []*istionetworking.HTTPMatchRequest{{Headers: headers}},
		Route: []*istionetworking.HTTPRouteDestination{{Destination: canary, Weight: 100}},
	}, nil
}

// mirrorRoute is the managed route for requests matching any of r's matches: served by a copy
// of the user's route (its destinations and current weights), and r.Percentage of them
// mirrored to canary.
func mirrorRoute(r traffic.MirrorRoute, userRoute []*istionetworking.HTTPRouteDestination, canary *istionetworking.Destination) (*istionetworking.HTTPRoute, error) {
	route := &istionetworking.HTTPRoute{
		Name:             r.Name,
		Mirror:           canary,
		MirrorPercentage: &istionetworking.Percent{Value: float64(r.Percentage)},
	}
	for i, m := range r.Match {
		match, err := httpMatch(m)
		if err != nil {
			return nil, fmt.Errorf("setMirrorRoute %s match[%d]: %w", r.Name, i, err)
		}
		route.Match = append(route.Match, match)
	}
	for _, d := range userRoute {
		route.Route = append(route.Route, proto.Clone(d).(*istionetworking.HTTPRouteDestination))
	}
	return route, nil
}

func httpMatch(m v1alpha1.RouteMatch) (*istionetworking.HTTPMatchRequest, error) {
	out := &istionetworking.HTTPMatchRequest{}
	var err error
	if m.Method != nil {
		if out.Method, err = stringMatch(*m.Method); err != nil {
			return nil, fmt.Errorf("method: %w", err)
		}
	}
	if m.Path != nil {
		if out.Uri, err = stringMatch(*m.Path); err != nil {
			return nil, fmt.Errorf("path: %w", err)
		}
	}
	for name, v := range m.Headers {
		sm, err := stringMatch(v)
		if err != nil {
			return nil, fmt.Errorf("header %s: %w", name, err)
		}
		if out.Headers == nil {
			out.Headers = map[string]*istionetworking.StringMatch{}
		}
		out.Headers[headerKey(name)] = sm
	}
	return out, nil
}

func stringMatch(v v1alpha1.StringMatch) (*istionetworking.StringMatch, error) {
	switch {
	case v.Exact != "":
		return &istionetworking.StringMatch{MatchType: &istionetworking.StringMatch_Exact{Exact: v.Exact}}, nil
	case v.Prefix != "":
		return &istionetworking.StringMatch{MatchType: &istionetworking.StringMatch_Prefix{Prefix: v.Prefix}}, nil
	case v.Regex != "":
		return &istionetworking.StringMatch{MatchType: &istionetworking.StringMatch_Regex{Regex: v.Regex}}, nil
	}
	return nil, fmt.Errorf("give one of exact, prefix, regex")
}

// headerKey is a header name as Istio wants it in a match: lowercase (HTTP header names are
// case-insensitive; Envoy sees them lowercased).
func headerKey(name string) string { return strings.ToLower(name) }
