package istio

import (
	"strings"
	"testing"

	istionetworking "istio.io/api/networking/v1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/traffic"
)

var hostConfig = Config{Namespace: "prod", StableService: "web-stable", CanaryService: "web-canary"}

var subsetConfig = Config{Namespace: "prod", DestinationRule: &v1alpha1.IstioDestinationRule{
	Name: "web", StableSubsetName: "stable", CanarySubsetName: "canary",
}}

// got is a split as the tests compare it: where it is and the two destinations' indexes.
type got struct {
	kind           routeKind
	index          int
	stable, canary int
	canaryWeight   int32
}

func TestSelectRoutes(t *testing.T) {
	const twoRoutes = `
metadata: {name: web, namespace: prod}
spec:
  http:
  - name: a
    route:
    - destination: {host: web-stable}
      weight: 80
    - destination: {host: web-canary}
      weight: 20
  - name: b
    route:
    - destination: {host: other}
    - destination: {host: web-canary.prod.svc.cluster.local}
      weight: 5
    - destination: {host: web-stable.prod}
      weight: 95
`
	const l4 = `
metadata: {name: web, namespace: prod}
spec:
  http:
  - route:
    - destination: {host: web-stable}
  tls:
  - match:
    - port: 443
      sniHosts: [a.example.com, b.example.com]
    route:
    - destination: {host: web-stable}
      weight: 100
    - destination: {host: web-canary}
  - match:
    - port: 8443
      sniHosts: [c.example.com]
    route:
    - destination: {host: web-canary}
      weight: 30
    - destination: {host: web-stable}
      weight: 70
  tcp:
  - match: [{port: 5432}]
    route:
    - destination: {host: web-stable}
      weight: 60
    - destination: {host: web-canary}
      weight: 40
  - match: [{port: 6379}]
    route:
    - destination: {host: web-stable}
    - destination: {host: web-canary}
`
	for _, tc := range []struct {
		name    string
		cfg     Config
		vs      string
		sel     v1alpha1.IstioVirtualService
		managed []string
		want    []got
		invalid string // a part of the *traffic.InvalidError's message
	}{{
		name: "named routes, destinations in any order and host form",
		vs:   twoRoutes,
		sel:  v1alpha1.IstioVirtualService{Routes: []string{"b", "a"}},
		want: []got{{httpRoutes, 1, 2, 1, 5}, {httpRoutes, 0, 0, 1, 20}},
	}, {
		name: "a route named twice is selected once",
		vs:   twoRoutes,
		sel:  v1alpha1.IstioVirtualService{Routes: []string{"a", "a"}},
		want: []got{{httpRoutes, 0, 0, 1, 20}},
	}, {
		name:    "no routes named and one route besides the managed ones",
		vs:      twoRoutes,
		managed: []string{"a"},
		want:    []got{{httpRoutes, 1, 2, 1, 5}},
	}, {
		name:    "a managed route is never a user route",
		vs:      twoRoutes,
		sel:     v1alpha1.IstioVirtualService{Routes: []string{"a"}},
		managed: []string{"a"},
		invalid: `spec.strategy.canary.trafficRouting.istio.virtualService.routes: VirtualService prod/web has no HTTP route named "a": name one of its routes (it has "b")`,
	}, {
		name:    "missing route",
		vs:      twoRoutes,
		sel:     v1alpha1.IstioVirtualService{Routes: []string{"primary"}},
		invalid: `spec.strategy.canary.trafficRouting.istio.virtualService.routes: VirtualService prod/web has no HTTP route named "primary": name one of its routes (it has "a", "b")`,
	}, {
		name:    "no routes named and two routes",
		vs:      twoRoutes,
		invalid: `spec.strategy.canary.trafficRouting.istio.virtualService.routes: VirtualService prod/web has 2 HTTP routes and routes is empty: name the ones to split (it has "a", "b")`,
	}, {
		name:    "no routes named and no routes",
		vs:      "metadata: {name: web}\nspec: {hosts: [web]}",
		invalid: "VirtualService prod/web has no HTTP routes",
	}, {
		name:    "empty spec",
		vs:      "metadata: {name: web}",
		sel:     v1alpha1.IstioVirtualService{Routes: []string{"a"}, TLSRoutes: []v1alpha1.TLSRoute{{Port: 443}}},
		invalid: "it has no HTTP routes",
	}, {
		name:    "route without destinations",
		vs:      "metadata: {name: web}\nspec:\n  http:\n  - name: a\n    redirect: {uri: /x}",
		invalid: `spec.strategy.canary.stableService: VirtualService prod/web HTTP route "a" has no destination with host web-stable (it has no destinations)`,
	}, {
		name:    "no canary destination",
		vs:      "metadata: {name: web}\nspec:\n  http:\n  - route:\n    - destination: {host: web-stable}\n    - destination: {host: web-canary.staging}",
		invalid: "spec.strategy.canary.canaryService: VirtualService prod/web HTTP route 0 has no destination with host web-canary (it has web-stable, web-canary.staging)",
	}, {
		name:    "two stable destinations",
		vs:      "metadata: {name: web}\nspec:\n  http:\n  - route:\n    - destination: {host: web-stable, port: {number: 80}}\n    - destination: {host: web-stable.prod.svc, port: {number: 81}}\n    - destination: {host: web-canary}",
		invalid: "has 2 destinations with host web-stable: keep one",
	}, {
		name: "TLS routes by port and set of SNI hosts; TCP routes by port",
		vs:   l4,
		sel: v1alpha1.IstioVirtualService{
			TLSRoutes: []v1alpha1.TLSRoute{{Port: 443, SNIHosts: []string{"b.example.com", "a.example.com"}}, {SNIHosts: []string{"c.example.com"}}},
			TCPRoutes: []v1alpha1.TCPRoute{{Port: 5432}},
		},
		want: []got{{tlsRoutes, 0, 0, 1, 0}, {tlsRoutes, 1, 1, 0, 30}, {tcpRoutes, 0, 0, 1, 40}},
	}, {
		name: "TLS port 0 and no SNI hosts select every TLS route; TCP port 0 every TCP route",
		vs:   l4,
		sel:  v1alpha1.IstioVirtualService{TLSRoutes: []v1alpha1.TLSRoute{{}}, TCPRoutes: []v1alpha1.TCPRoute{{}}},
		want: []got{{tlsRoutes, 0, 0, 1, 0}, {tlsRoutes, 1, 1, 0, 30}, {tcpRoutes, 0, 0, 1, 40}, {tcpRoutes, 1, 0, 1, 0}},
	}, {
		name:    "TLS SNI hosts must be the same set",
		vs:      l4,
		sel:     v1alpha1.IstioVirtualService{TLSRoutes: []v1alpha1.TLSRoute{{Port: 443, SNIHosts: []string{"a.example.com"}}}},
		invalid: "spec.strategy.canary.trafficRouting.istio.virtualService.tlsRoutes[0]: VirtualService prod/web has no TLS route matching port 443 and sniHosts [a.example.com]",
	}, {
		name:    "TCP port must match",
		vs:      l4,
		sel:     v1alpha1.IstioVirtualService{TCPRoutes: []v1alpha1.TCPRoute{{Port: 5432}, {Port: 80}}},
		invalid: "tcpRoutes[1]: VirtualService prod/web has no TCP route matching port 80",
	}, {
		name: "subsets: destinations match by subset",
		cfg:  subsetConfig,
		vs: `
metadata: {name: web}
spec:
  http:
  - route:
    - destination: {host: other, subset: canary}
      weight: 0
    - destination: {host: web.prod.svc.cluster.local, subset: canary}
      weight: 10
    - destination: {host: web, subset: stable}
      weight: 90`,
		invalid: "has 2 destinations with subset \"canary\": keep one",
	}, {
		name: "subsets on one host",
		cfg:  subsetConfig,
		vs: `
metadata: {name: web}
spec:
  http:
  - route:
    - destination: {host: web.prod.svc.cluster.local, subset: canary}
      weight: 10
    - destination: {host: web, subset: stable}
      weight: 90`,
		want: []got{{httpRoutes, 0, 1, 0, 10}},
	}, {
		name: "subsets on two hosts",
		cfg:  subsetConfig,
		vs: `
metadata: {name: web}
spec:
  http:
  - route:
    - destination: {host: web, subset: stable}
    - destination: {host: api, subset: canary}`,
		invalid: `spec.strategy.canary.trafficRouting.istio.destinationRule: VirtualService prod/web HTTP route 0 sends subset "stable" to host web but subset "canary" to host api`,
	}, {
		name:    "missing subset",
		cfg:     subsetConfig,
		vs:      "metadata: {name: web}\nspec:\n  http:\n  - route:\n    - destination: {host: web-stable, subset: stable}",
		invalid: `spec.strategy.canary.trafficRouting.istio.destinationRule.canarySubsetName: VirtualService prod/web HTTP route 0 has no destination with subset "canary" (it has host web-stable subset "stable")`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			if cfg.Namespace == "" {
				cfg = hostConfig
			}
			vs, _ := vsFromYAML(t, tc.vs)
			splits, err := newMatcher(cfg).selectRoutes(vs, tc.sel, 0, tc.managed)
			if tc.invalid != "" {
				msg, ok := traffic.IsInvalid(err)
				if !ok || !strings.Contains(msg, tc.invalid) {
					t.Fatalf("error %v, want an InvalidError with %q", err, tc.invalid)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var g []got
			for _, s := range splits {
				g = append(g, got{s.kind, s.index, s.stable.index, s.canary.index, s.canary.weight})
			}
			if len(g) != len(tc.want) {
				t.Fatalf("selected %+v, want %+v", g, tc.want)
			}
			for i := range g {
				if g[i] != tc.want[i] {
					t.Fatalf("selected %+v, want %+v", g, tc.want)
				}
			}
		})
	}
}

func TestSelectRoutesNamesTheVirtualServiceField(t *testing.T) {
	cfg := hostConfig
	cfg.VirtualServices = []v1alpha1.IstioVirtualService{{Name: "a"}, {Name: "web"}}
	vs := &networkingv1.VirtualService{}
	vs.Name = "web"
	_, err := newMatcher(cfg).selectRoutes(vs, cfg.VirtualServices[1], 1, nil)
	if msg, _ := traffic.IsInvalid(err); !strings.HasPrefix(msg, "spec.strategy.canary.trafficRouting.istio.virtualServices[1].routes: ") {
		t.Fatalf("message %q, want it to name virtualServices[1]", msg)
	}
}

func TestHostIs(t *testing.T) {
	m := newMatcher(hostConfig)
	for host, want := range map[string]bool{
		"web-stable":                           true,
		"web-stable.prod":                      true,
		"web-stable.prod.svc":                  true,
		"web-stable.prod.svc.cluster.local":    true,
		"web-stable.staging":                   false,
		"web-stable.staging.svc.cluster.local": false,
		"web-stable.prod.cluster.local":        false,
		"web-stable-2":                         false,
		"stable":                               false,
		"":                                     false,
	} {
		if got := m.hostIs(host, "web-stable"); got != want {
			t.Errorf("hostIs(%q, web-stable) = %v, want %v", host, got, want)
		}
	}
	if m.hostIs("", "") {
		t.Error("an empty Service matches no host")
	}
}

// Nothing a VirtualService or DestinationRule holds makes the pure parts panic: nil entries,
// routes without destinations, destinations without hosts.
func TestNoPanics(t *testing.T) {
	vss := []*networkingv1.VirtualService{{}, {
		Spec: istionetworking.VirtualService{
			Http: []*istionetworking.HTTPRoute{nil, {}, {Name: "a", Route: []*istionetworking.HTTPRouteDestination{nil, {}}}, {Name: "m", Mirror: &istionetworking.Destination{}}},
			Tls:  []*istionetworking.TLSRoute{nil, {}, {Match: []*istionetworking.TLSMatchAttributes{nil, {}}, Route: []*istionetworking.RouteDestination{nil, {}}}},
			Tcp:  []*istionetworking.TCPRoute{nil, {}, {Match: []*istionetworking.L4MatchAttributes{nil}, Route: []*istionetworking.RouteDestination{nil}}},
		},
	}}
	sels := []v1alpha1.IstioVirtualService{{}, {Routes: []string{"a", ""}}, {TLSRoutes: []v1alpha1.TLSRoute{{}}, TCPRoutes: []v1alpha1.TCPRoute{{}}}}
	for _, cfg := range []Config{{}, hostConfig, subsetConfig, {DestinationRule: &v1alpha1.IstioDestinationRule{}}} {
		m := newMatcher(cfg)
		for _, vs := range vss {
			for _, sel := range sels {
				splits, _ := m.selectRoutes(vs, sel, 0, []string{"m"})
				_ = weightOps(splits, 50)
			}
			_ = mirrorSplits(vs, []string{"m", ""}, m)
			_ = removeRoutesOps(vs, []string{"m", ""})
			_ = setRouteOps(vs, []string{"m"}, "m", &istionetworking.HTTPRoute{Name: "m"})
			_ = setRouteOps(vs, nil, "x", &istionetworking.HTTPRoute{})
			_, _ = state([]readVS{{obj: vs}}, nil, cfg)
			_, _ = headerRoute(traffic.HeaderRoute{}, canaryDestination(cfg, nil))
			for _, r := range append(vs.Spec.GetHttp(), nil) {
				_, _ = mirrorRoute(traffic.MirrorRoute{Match: []v1alpha1.RouteMatch{{}}}, r.GetRoute(), nil)
			}
		}
		for _, dr := range []*networkingv1.DestinationRule{{}, {Spec: istionetworking.DestinationRule{Subsets: []*istionetworking.Subset{nil, {}, {Name: "stable"}}}}} {
			_, _ = subsetOps(dr, "stable", "a", "canary", "b")
			_, _ = subsetOps(dr, "", "", "", "")
			if cfg.DestinationRule != nil {
				_, _ = state(nil, dr, cfg)
			}
		}
	}
}
