package istio

import (
	"fmt"
	"slices"
	"strings"

	istionetworking "istio.io/api/networking/v1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/traffic"
)

// routeKind is a VirtualService's list of routes: spec.http, spec.tls or spec.tcp.
type routeKind string

const (
	httpRoutes routeKind = "http"
	tlsRoutes  routeKind = "tls"
	tcpRoutes  routeKind = "tcp"
)

// split is one route that splits traffic between the stable and canary destinations.
type split struct {
	kind  routeKind
	index int
	// name is the HTTP route's name, tested before patching when set.
	name           string
	stable, canary dest
}

// dest is one destination of a route, by its index in the route's list.
type dest struct {
	index  int
	host   string
	subset string
	weight int32
	// d is the destination itself, which header and mirror routes copy the canary's of.
	d *istionetworking.Destination
}

func (s split) path() string { return fmt.Sprintf("/spec/%s/%d", s.kind, s.index) }

// matcher tells which of a route's destinations are the stable and the canary.
type matcher struct {
	namespace            string
	stableSvc, canarySvc string
	// subsets is set for a subset-level split: destinations match by subset, not host.
	subsets                    bool
	stableSubset, canarySubset string
	// several is set when the Rollout names several VirtualServices (messages then say which).
	several bool
}

func newMatcher(cfg Config) matcher {
	m := matcher{namespace: cfg.Namespace, stableSvc: cfg.StableService, canarySvc: cfg.CanaryService, several: len(cfg.VirtualServices) > 1}
	if dr := cfg.DestinationRule; dr != nil {
		m.subsets, m.stableSubset, m.canarySubset = true, dr.StableSubsetName, dr.CanarySubsetName
	}
	return m
}

// vsField is the Rollout field naming the i-th VirtualService.
func (m matcher) vsField(i int) string {
	if m.several {
		return fmt.Sprintf("%s.virtualServices[%d]", istioField, i)
	}
	return istioField + ".virtualService"
}

// selectRoutes finds the routes sel names in vs (field is sel's index in the Rollout) and where
// their stable and canary destinations are. Managed routes are never the user's routes.
func (m matcher) selectRoutes(vs *networkingv1.VirtualService, sel v1alpha1.IstioVirtualService, field int, managed []string) ([]split, error) {
	id := m.namespace + "/" + vs.Name
	f := m.vsField(field)
	http := vs.Spec.GetHttp()
	var user []int // indexes of the user's HTTP routes
	for i, r := range http {
		if !slices.Contains(managed, r.GetName()) {
			user = append(user, i)
		}
	}
	var out []split
	keep := func(kind routeKind, i int, name, where string, dests []dest) error {
		for _, s := range out {
			if s.kind == kind && s.index == i {
				return nil
			}
		}
		s, err := m.split(where, dests)
		if err != nil {
			return err
		}
		s.kind, s.index, s.name = kind, i, name
		out = append(out, s)
		return nil
	}
	addHTTP := func(i int) error {
		r := http[i]
		where := fmt.Sprintf("VirtualService %s HTTP route %q", id, r.GetName())
		if r.GetName() == "" {
			where = fmt.Sprintf("VirtualService %s HTTP route %d", id, i)
		}
		return keep(httpRoutes, i, r.GetName(), where, httpDests(r.GetRoute()))
	}

	switch {
	case len(sel.Routes) > 0:
		for _, name := range sel.Routes {
			i := slices.IndexFunc(user, func(i int) bool { return http[i].GetName() == name })
			if i < 0 {
				return nil, traffic.Invalid("%s.routes: VirtualService %s has no HTTP route named %q: name one of its routes (%s)", f, id, name, describeRoutes(http, user))
			}
			if err := addHTTP(user[i]); err != nil {
				return nil, err
			}
		}
	case len(sel.TLSRoutes) == 0 && len(sel.TCPRoutes) == 0:
		if len(user) == 0 {
			return nil, traffic.Invalid("%s.routes: VirtualService %s has no HTTP routes: add one, or select TLS or TCP routes with tlsRoutes or tcpRoutes", f, id)
		}
		if len(user) > 1 {
			return nil, traffic.Invalid("%s.routes: VirtualService %s has %d HTTP routes and routes is empty: name the ones to split (%s)", f, id, len(user), describeRoutes(http, user))
		}
		if err := addHTTP(user[0]); err != nil {
			return nil, err
		}
	}

	tls := vs.Spec.GetTls()
	for j, t := range sel.TLSRoutes {
		found := false
		for i, r := range tls {
			if !tlsMatches(r, t) {
				continue
			}
			found = true
			where := fmt.Sprintf("VirtualService %s TLS route %d", id, i)
			if err := keep(tlsRoutes, i, "", where, l4Dests(r.GetRoute())); err != nil {
				return nil, err
			}
		}
		if !found {
			return nil, traffic.Invalid("%s.tlsRoutes[%d]: VirtualService %s has no TLS route matching port %d and sniHosts %v: make port and sniHosts those of one of its %d TLS routes' matches", f, j, id, t.Port, t.SNIHosts, len(tls))
		}
	}
	tcp := vs.Spec.GetTcp()
	for j, t := range sel.TCPRoutes {
		found := false
		for i, r := range tcp {
			if !tcpMatches(r, t) {
				continue
			}
			found = true
			where := fmt.Sprintf("VirtualService %s TCP route %d", id, i)
			if err := keep(tcpRoutes, i, "", where, l4Dests(r.GetRoute())); err != nil {
				return nil, err
			}
		}
		if !found {
			return nil, traffic.Invalid("%s.tcpRoutes[%d]: VirtualService %s has no TCP route matching port %d: make port that of one of its %d TCP routes' matches", f, j, id, t.Port, len(tcp))
		}
	}
	return out, nil
}

// tlsMatches reports whether one of r's matches has t's port (any when 0) and the same set of
// SNI hosts (any when t has none).
func tlsMatches(r *istionetworking.TLSRoute, t v1alpha1.TLSRoute) bool {
	for _, m := range r.GetMatch() {
		if (t.Port == 0 || int64(m.GetPort()) == t.Port) && (len(t.SNIHosts) == 0 || sameSet(m.GetSniHosts(), t.SNIHosts)) {
			return true
		}
	}
	return false
}

// tcpMatches reports whether one of r's matches has t's port; port 0 selects every TCP route.
func tcpMatches(r *istionetworking.TCPRoute, t v1alpha1.TCPRoute) bool {
	if t.Port == 0 {
		return true
	}
	for _, m := range r.GetMatch() {
		if int64(m.GetPort()) == t.Port {
			return true
		}
	}
	return false
}

func sameSet(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			return false
		}
	}
	return true
}

func httpDests(route []*istionetworking.HTTPRouteDestination) []dest {
	out := make([]dest, len(route))
	for i, d := range route {
		out[i] = dest{index: i, host: d.GetDestination().GetHost(), subset: d.GetDestination().GetSubset(), weight: d.GetWeight(), d: d.GetDestination()}
	}
	return out
}

func l4Dests(route []*istionetworking.RouteDestination) []dest {
	out := make([]dest, len(route))
	for i, d := range route {
		out[i] = dest{index: i, host: d.GetDestination().GetHost(), subset: d.GetDestination().GetSubset(), weight: d.GetWeight(), d: d.GetDestination()}
	}
	return out
}

// split finds the one stable and the one canary destination of a route; where names the
// route in messages.
func (m matcher) split(where string, dests []dest) (split, error) {
	isStable := func(d dest) bool { return m.hostIs(d.host, m.stableSvc) }
	isCanary := func(d dest) bool { return m.hostIs(d.host, m.canarySvc) }
	stableField, canaryField := "spec.strategy.canary.stableService", "spec.strategy.canary.canaryService"
	stableWhat, canaryWhat := "host "+m.stableSvc, "host "+m.canarySvc
	if m.subsets {
		isStable = func(d dest) bool { return d.subset == m.stableSubset }
		isCanary = func(d dest) bool { return d.subset == m.canarySubset }
		stableField, canaryField = istioField+".destinationRule.stableSubsetName", istioField+".destinationRule.canarySubsetName"
		stableWhat, canaryWhat = fmt.Sprintf("subset %q", m.stableSubset), fmt.Sprintf("subset %q", m.canarySubset)
	}
	var s split
	for _, side := range []struct {
		is          func(dest) bool
		field, what string
		into        *dest
	}{{isStable, stableField, stableWhat, &s.stable}, {isCanary, canaryField, canaryWhat, &s.canary}} {
		var found []dest
		for _, d := range dests {
			if side.is(d) {
				found = append(found, d)
			}
		}
		switch len(found) {
		case 0:
			return split{}, traffic.Invalid("%s: %s has no destination with %s (%s): add one, or make the field name one of its destinations", side.field, where, side.what, m.describeDests(dests))
		case 1:
			*side.into = found[0]
		default:
			return split{}, traffic.Invalid("%s: %s has %d destinations with %s: keep one", side.field, where, len(found), side.what)
		}
	}
	if s.stable.index == s.canary.index {
		return split{}, traffic.Invalid("spec.strategy.canary: %s has one destination for both stable and canary (%s): name two different ones", where, m.describeDests([]dest{s.stable}))
	}
	if m.subsets && m.canonical(s.stable.host) != m.canonical(s.canary.host) {
		return split{}, traffic.Invalid("%s.destinationRule: %s sends subset %q to host %s but subset %q to host %s: give both destinations the DestinationRule's host", istioField, where, m.stableSubset, s.stable.host, m.canarySubset, s.canary.host)
	}
	return s, nil
}

// hostIs reports whether a destination's host is the Service svc of the Rollout's namespace.
func (m matcher) hostIs(host, svc string) bool {
	return svc != "" && m.canonical(host) == svc
}

// canonical is a host without the suffixes that name the Rollout's namespace in the cluster:
// "web.prod.svc.cluster.local", "web.prod.svc" and "web.prod" are all "web" in namespace prod.
func (m matcher) canonical(host string) string {
	if h, ok := strings.CutSuffix(host, ".cluster.local"); ok && strings.HasSuffix(h, ".svc") {
		host = h
	}
	if h, ok := strings.CutSuffix(host, "."+m.namespace+".svc"); ok {
		return h
	}
	if h, ok := strings.CutSuffix(host, "."+m.namespace); ok {
		return h
	}
	return host
}

func (m matcher) describeDests(dests []dest) string {
	if len(dests) == 0 {
		return "it has no destinations"
	}
	var parts []string
	for _, d := range dests {
		if m.subsets {
			parts = append(parts, fmt.Sprintf("host %s subset %q", d.host, d.subset))
		} else {
			parts = append(parts, d.host)
		}
	}
	return "it has " + strings.Join(parts, ", ")
}

// describeRoutes lists the names of the HTTP routes at idx for messages.
func describeRoutes(http []*istionetworking.HTTPRoute, idx []int) string {
	var names []string
	unnamed := 0
	for _, i := range idx {
		if n := http[i].GetName(); n != "" {
			names = append(names, fmt.Sprintf("%q", n))
		} else {
			unnamed++
		}
	}
	switch {
	case len(idx) == 0:
		return "it has no HTTP routes"
	case unnamed == 0:
		return "it has " + strings.Join(names, ", ")
	case len(names) == 0:
		return fmt.Sprintf("it has %d unnamed", unnamed)
	}
	return fmt.Sprintf("it has %s and %d unnamed", strings.Join(names, ", "), unnamed)
}
