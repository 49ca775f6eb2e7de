package plan

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// routedMidRollout is an NGINX-routed canary paused at 50% with a header route.
func routedMidRollout(t *testing.T) *world {
	w := newRoutedWorld(t, 4, weight(50), headerRoute("header", "x-beta"), pause(), weight(100))
	w.setImage("web:2")
	w.settle()
	w.expect(v1alpha1.RolloutPhasePaused, 2, map[string]int32{"web:1": 4, "web:2": 2})
	w.expectWeight(50)
	if len(w.router.state.Routes) != 1 {
		t.Fatalf("routes %v, want the header route", w.router.state.Routes)
	}
	return w
}

// stableScaledDownBeforeRelease reports whether a plan took pods from the stable revision
// while the router the spec no longer names still sent them less than all traffic.
func (w *world) stableShrinksBeforeRelease(p Plan, stable string) bool {
	n, scaled := p.Scale[stable]
	return scaled && n < 4 && p.Release == nil && len(w.released) == 0
}

func TestRemovingTrafficRoutingReturnsTheRouterToStableFirst(t *testing.T) {
	w := routedMidRollout(t)
	stable := w.rsName("web:1")
	c := w.ro.Spec.Strategy.Canary
	c.TrafficRouting, c.Steps = nil, []v1alpha1.CanaryStep{weight(50), pause(), weight(100)} // a header route needs a router
	w.ro.Generation++
	for i := 0; i < 20; i++ {
		p := w.reconcile()
		if w.stableShrinksBeforeRelease(p, stable) {
			t.Fatalf("the stable revision shrinks to %d while the old router still splits: %s", p.Scale[stable], w.describe())
		}
		w.ready()
	}
	if len(w.released) != 1 {
		t.Fatalf("released %d times, want once", len(w.released))
	}
	r := w.released[0]
	if r.Managed.TrafficRouting == nil || r.Managed.TrafficRouting.Nginx == nil || r.Traffic.CanaryWeight != 0 || r.Traffic.StableHash != w.hashOf("web:1") {
		t.Errorf("release %+v, want the nginx router at weight 0 on the stable revision", r)
	}
	if w.router.state.CanaryWeight != 0 || len(w.router.state.Routes) != 0 {
		t.Errorf("router left at weight %d with routes %v", w.router.state.CanaryWeight, w.router.state.Routes)
	}
	if m := w.ro.Status.Managed; m == nil || m.TrafficRouting != nil || m.CanaryService != "web-canary" {
		t.Errorf("status.managed %+v, want the Services only", m)
	}
}

func TestSwitchingToBlueGreenReleasesTheCanaryServiceAndRouter(t *testing.T) {
	w := routedMidRollout(t)
	if got := w.services["web-canary"].Spec.Selector[v1alpha1.PodTemplateHashLabel]; got != w.hashOf("web:2") {
		t.Fatalf("canary Service selects %q before the switch", got)
	}
	w.ro.Spec.Strategy = v1alpha1.RolloutStrategy{BlueGreen: &v1alpha1.BlueGreenStrategy{ActiveService: "web-stable", AutoPromotionEnabled: ptr.To(false)}}
	w.ro.Generation++
	p := w.reconcile()
	if p.Release == nil || p.Release.Managed.TrafficRouting == nil {
		t.Fatalf("the first blue-green pass releases nothing: %+v", p.Release)
	}
	if got := p.Selectors["web-canary"]; got != w.hashOf("web:1") {
		t.Errorf("canary Service pointed at %q, want the stable revision %s before ramp lets go", got, w.hashOf("web:1"))
	}
	if w.ro.Status.Managed != nil {
		t.Errorf("status.managed %+v after the switch, want none", w.ro.Status.Managed)
	}
	w.settle()
	if len(w.released) != 1 {
		t.Errorf("released %d times, want once", len(w.released))
	}
}

// A new router is recorded before the first write that routes with it, so a crash after that
// write still knows what to return to stable.
func TestANewRouterIsRecordedBeforeItRoutes(t *testing.T) {
	w := newWorld(t, 4, weight(50), pause())
	w.settle()
	for _, name := range []string{"web-stable", "web-canary"} {
		w.services[name] = &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}}}
	}
	nginxRouted(w.ro)
	w.ro.Generation++
	p := w.reconcile()
	if p.Traffic != nil || len(p.Selectors)+len(p.Scale) != 0 || p.Create != nil {
		t.Errorf("the pass that records the router also writes %+v", p)
	}
	if m := w.ro.Status.Managed; m == nil || m.TrafficRouting == nil || m.TrafficRouting.Nginx == nil {
		t.Fatalf("status.managed %+v, want the nginx router", m)
	}
	w.setImage("web:2")
	w.settle()
	w.expectWeight(50)

	// A change of maxTrafficWeight alone is the same router: no return to stable.
	w.ro.Spec.Strategy.Canary.TrafficRouting.MaxTrafficWeight = ptr.To[int32](200)
	w.settle()
	if len(w.released) != 0 {
		t.Errorf("a maxTrafficWeight change released the router: %+v", w.released)
	}
}
