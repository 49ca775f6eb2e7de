package istio

import (
	"encoding/json"
	"testing"

	"google.golang.org/protobuf/proto"
	istionetworking "istio.io/api/networking/v1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/traffic"
)

// FuzzRoutes feeds route selection and the patch builders arbitrary VirtualServices and
// selections (what users write): no panic, and every patch built from a VirtualService
// applies to it and does what it says: the weights become what was asked, a managed route
// added and removed again leaves the user's routes as they were.
func FuzzRoutes(f *testing.F) {
	f.Add([]byte(`{"metadata":{"name":"web"},"spec":{"http":[{"name":"primary","route":[{"destination":{"host":"web-stable"},"weight":100},{"destination":{"host":"web-canary"},"weight":0}]}]}}`), []byte(`{"name":"web","routes":["primary"]}`), int32(30), false)
	f.Add([]byte(`{"metadata":{"name":"web"},"spec":{"http":[{"name":"header","match":[{"headers":{"x":{"exact":"1"}}}],"route":[{"destination":{"host":"web-canary"}}]},{"route":[{"destination":{"host":"web","subset":"stable"},"weight":90},{"destination":{"host":"web","subset":"canary"},"weight":10}]}],"tls":[{"match":[{"port":443,"sniHosts":["a"]}],"route":[{"destination":{"host":"web-stable"},"weight":100},{"destination":{"host":"web-canary"}}]}]}}`), []byte(`{"name":"web","tlsRoutes":[{"port":443,"sniHosts":["a"]}]}`), int32(200), true)
	f.Add([]byte(`{"metadata":{"name":"web"},"spec":{"tcp":[{"match":[{"port":5432}],"route":[{"destination":{"host":"web-stable.prod.svc.cluster.local","port":{"number":5432}},"weight":-5},{"destination":{"host":"web-canary.prod"},"weight":105}]}]}}`), []byte(`{"name":"web","tcpRoutes":[{"port":5432}]}`), int32(-3), false)
	f.Fuzz(func(t *testing.T, vsJSON, selJSON []byte, weight int32, subsets bool) {
		vs, sel := &networkingv1.VirtualService{}, v1alpha1.IstioVirtualService{}
		if json.Unmarshal(vsJSON, vs) != nil || json.Unmarshal(selJSON, &sel) != nil {
			return
		}
		doc, err := json.Marshal(vs) // as the API server stores it
		if err != nil {
			return
		}
		cfg := hostConfig
		if subsets {
			cfg = subsetConfig
		}
		managed := []string{"header"}
		m := newMatcher(cfg)
		splits, err := m.selectRoutes(vs, sel, 0, managed)
		if err != nil {
			return
		}
		patched, err := applyOps(doc, weightOps(splits, weight))
		if err != nil {
			t.Fatalf("weight patch does not apply to the VirtualService it was built from: %v", err)
		}
		after := &networkingv1.VirtualService{}
		if err := json.Unmarshal(patched, after); err != nil {
			t.Fatalf("patched VirtualService does not decode: %v", err)
		}
		again, err := m.selectRoutes(after, sel, 0, managed)
		if err != nil {
			t.Fatalf("the weight patch made the routes unselectable: %v", err)
		}
		want := min(max(weight, 0), 100)
		for _, s := range again {
			if s.canary.weight != want || s.stable.weight != 100-want {
				t.Fatalf("after setting %d: %s route %d weighs stable %d canary %d", want, s.kind, s.index, s.stable.weight, s.canary.weight)
			}
		}
		var canary *istionetworking.Destination
		for _, s := range again {
			if s.kind == httpRoutes {
				canary = canaryDestination(cfg, s.canary.d)
				break
			}
		}
		if canary == nil {
			return
		}
		route, err := headerRoute(traffic.HeaderRoute{Name: "header", Match: []v1alpha1.HeaderRoutingMatch{{HeaderName: "x-canary", HeaderValue: v1alpha1.StringMatch{Exact: "yes"}}}}, canary)
		if err != nil {
			t.Fatal(err)
		}
		withRoute, err := applyOps(patched, setRouteOps(after, managed, "header", route))
		if err != nil {
			t.Fatalf("header route patch does not apply: %v", err)
		}
		added := &networkingv1.VirtualService{}
		if err := json.Unmarshal(withRoute, added); err != nil {
			t.Fatal(err)
		}
		removed, err := applyOps(withRoute, removeRoutesOps(added, managed))
		if err != nil {
			t.Fatalf("managed route removal does not apply: %v", err)
		}
		back := &networkingv1.VirtualService{}
		if err := json.Unmarshal(removed, back); err != nil {
			t.Fatal(err)
		}
		var users []*istionetworking.HTTPRoute
		for _, r := range after.Spec.GetHttp() {
			if r.GetName() != "header" {
				users = append(users, r)
			}
		}
		if len(back.Spec.GetHttp()) != len(users) {
			t.Fatalf("after adding and removing the managed route: %d HTTP routes, want the user's %d", len(back.Spec.GetHttp()), len(users))
		}
		for i, r := range back.Spec.GetHttp() {
			if !proto.Equal(r, users[i]) {
				t.Fatalf("user route %d changed: %v, want %v", i, r, users[i])
			}
		}
	})
}
