package plan

import (
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// newRoutedWorld is a world whose Rollout routes with NGINX through web-stable/web-canary,
// settled on web:1.
func newRoutedWorld(t *testing.T, replicas int32, steps ...v1alpha1.CanaryStep) *world {
	w := newWorld(t, replicas, steps...)
	nginxRouted(w.ro)
	for _, name := range []string{"web-stable", "web-canary"} {
		w.services[name] = &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}}}
	}
	w.settle()
	w.expect(v1alpha1.RolloutPhaseHealthy, int32(len(steps)), map[string]int32{"web:1": replicas})
	return w
}

// readyOnly makes the pods of the revision running image available, and no other.
func (w *world) readyOnly(image string) {
	rs := w.rss[w.rsName(image)]
	n := ptr.Deref(rs.Spec.Replicas, 1)
	rs.Status.Replicas, rs.Status.ReadyReplicas, rs.Status.AvailableReplicas = n, n, n
}

func (w *world) rsName(image string) string { return "web-" + w.hashOf(image) }

func (w *world) expectWeight(want int32) {
	w.t.Helper()
	if got := w.router.state.CanaryWeight; got != want {
		w.t.Errorf("router canary weight %d, want %d: %s", got, want, w.describe())
	}
	if got := w.ro.Status.Canary.Weights; got == nil || got.Canary.Weight+got.Stable.Weight != w.totalWeight() {
		w.t.Errorf("status weights %+v do not add up to %d", got, w.totalWeight())
	}
}

func (w *world) totalWeight() int32 {
	return ptr.Deref(w.ro.Spec.Strategy.Canary.TrafficRouting.MaxTrafficWeight, 100)
}

func TestRoutedWeightMovesOnlyOnceTheCanaryHasItsPods(t *testing.T) {
	w := newRoutedWorld(t, 10, weight(20), pause(), weight(50), pause())
	w.expectWeight(0)
	w.setImage("web:2")
	w.reconcile()
	w.expect(v1alpha1.RolloutPhaseProgressing, 0, map[string]int32{"web:1": 10, "web:2": 2})
	w.reconcile() // no canary pod available: the weight stays
	w.expectWeight(0)
	w.readyOnly("web:2")
	p := w.reconcile()
	w.expectWeight(20)
	w.expect(v1alpha1.RolloutPhaseProgressing, 0, map[string]int32{"web:1": 10, "web:2": 2})
	// The plan reports the router's old weight, and the weight to report once routed.
	if got, want := p.Status.Canary.Weights.Canary.Weight, int32(0); got != want {
		t.Errorf("planned status weight %d, want the routed %d until the router takes the new one", got, want)
	}
	if cw := p.ConfirmedWeights; cw == nil || cw.Canary.Weight != 20 || cw.Stable.Weight != 80 || cw.Canary.PodTemplateHash != w.hashOf("web:2") || cw.Stable.PodTemplateHash != w.hashOf("web:1") {
		t.Errorf("confirmed weights %+v, want 20 on web:2 and 80 on web:1", cw)
	}
	if got := w.ro.Status.Canary.Weights.Canary.Weight; got != 20 {
		t.Errorf("status weight %d once routed, want 20", got)
	}
	w.reconcile() // the router confirmed 20: the step is done, the pause begins
	w.expect(v1alpha1.RolloutPhasePaused, 1, map[string]int32{"web:1": 10, "web:2": 2})
	if got := w.ro.Status.Canary.Weights.Canary.Weight; got != 20 {
		t.Errorf("status canary weight %d, want the confirmed 20", got)
	}

	w.promote()
	w.reconcile()
	w.expect(v1alpha1.RolloutPhaseProgressing, 2, map[string]int32{"web:1": 10, "web:2": 5})
	w.expectWeight(20) // 5 canary pods asked, 2 available
	w.readyOnly("web:2")
	w.reconcile()
	w.expectWeight(50)
	w.reconcile()
	w.expect(v1alpha1.RolloutPhasePaused, 3, map[string]int32{"web:1": 10, "web:2": 5})
}

func TestRoutedRouterLagHoldsTheStep(t *testing.T) {
	w := newRoutedWorld(t, 4, weight(25), pause())
	w.setImage("web:2")
	w.router.frozen = true
	for range 5 {
		w.reconcile()
		w.ready()
	}
	w.expect(v1alpha1.RolloutPhaseProgressing, 0, map[string]int32{"web:1": 4, "web:2": 1})
	if !strings.Contains(w.ro.Status.Message, "nginx routes weight 0, moving to 25") {
		t.Errorf("message %q does not say what the step waits for", w.ro.Status.Message)
	}
	w.router.frozen = false
	w.settle()
	w.expect(v1alpha1.RolloutPhasePaused, 1, nil)
	w.expectWeight(25)
}

// A data plane that reports it does not serve the route (a Gateway that has not accepted it)
// holds the step, with the reason in the message, while the weight is still written.
func TestRoutedDataPlaneRefusalHoldsTheStep(t *testing.T) {
	w := newRoutedWorld(t, 4, weight(25), pause())
	w.setImage("web:2")
	w.router.waiting = "HTTPRoute shop/web is not accepted by Gateway infra/public"
	for range 5 {
		w.reconcile()
		w.ready()
	}
	w.expect(v1alpha1.RolloutPhaseProgressing, 0, nil)
	w.expectWeight(25)
	if !strings.Contains(w.ro.Status.Message, "held: HTTPRoute shop/web is not accepted by Gateway infra/public") {
		t.Errorf("message %q does not say why the step is held", w.ro.Status.Message)
	}
	w.router.waiting = ""
	w.settle()
	w.expect(v1alpha1.RolloutPhasePaused, 1, nil)
}

func TestRoutedAbortReturnsTrafficFirstThenScalesDownAfterTheDelay(t *testing.T) {
	w := newRoutedWorld(t, 4, weight(50), pause())
	w.setImage("web:2")
	w.settle()
	w.expectWeight(50)
	w.ro.Status.Abort = true
	p := w.reconcile()
	if p.Traffic == nil || p.Traffic.CanaryWeight != 0 || len(p.Traffic.HeaderRoutes) != 0 {
		t.Fatalf("abort plans traffic %+v, want weight 0 and no managed routes", p.Traffic)
	}
	w.expect(v1alpha1.RolloutPhaseDegraded, 0, map[string]int32{"web:1": 4, "web:2": 2})
	w.now = w.now.Add(29 * time.Second)
	w.reconcile()
	w.expect(v1alpha1.RolloutPhaseDegraded, 0, map[string]int32{"web:2": 2})
	w.now = w.now.Add(time.Second)
	w.reconcile()
	w.expect(v1alpha1.RolloutPhaseDegraded, 0, map[string]int32{"web:1": 4, "web:2": 0})
}

func TestRoutedAbortKeepsTheCanaryWhileTheRouterStillSendsItTraffic(t *testing.T) {
	w := newRoutedWorld(t, 4, weight(50), pause())
	w.ro.Spec.Strategy.Canary.AbortScaleDownDelaySeconds = ptr.To[int32](0)
	w.setImage("web:2")
	w.settle()
	w.router.frozen = true
	w.ro.Status.Abort = true
	w.reconcile()
	w.now = w.now.Add(time.Hour)
	w.reconcile()
	w.expect(v1alpha1.RolloutPhaseDegraded, 0, map[string]int32{"web:2": 2})
	w.router.frozen = false
	w.reconcile()
	w.expectWeight(0)
	w.reconcile()
	w.expect(v1alpha1.RolloutPhaseDegraded, 0, map[string]int32{"web:2": 0})
}

func TestRoutedPromotionMovesTheStableServiceBeforeTheWeightAndScalesDownLate(t *testing.T) {
	w := newRoutedWorld(t, 4, weight(50), pause())
	w.setImage("web:2")
	w.settle()
	w.promote()
	for range 2 { // canary to full size, then weight to 100
		w.reconcile()
		w.ready()
	}
	w.expectWeight(100)
	w.reconcile() // weight confirmed: web:2 becomes stable; its Service selects it next
	if w.ro.Status.StableRS != w.hashOf("web:2") {
		t.Fatalf("stableRS %s, want web:2's: %s", w.ro.Status.StableRS, w.describe())
	}
	if w.last.Traffic.CanaryWeight != 100 || w.last.Selectors["web-stable"] != w.hashOf("web:2") {
		t.Fatalf("promotion plans weight %d and selectors %v: the stable Service must move before the weight", w.last.Traffic.CanaryWeight, w.last.Selectors)
	}
	w.reconcile()
	w.expectWeight(0)
	w.reconcile() // the router confirmed 0: released (Healthy, as in Argo); the delay starts
	w.expect(v1alpha1.RolloutPhaseHealthy, 2, map[string]int32{"web:1": 4, "web:2": 4})
	if !strings.Contains(w.ro.Status.Message, "earlier revisions take no traffic and keep their pods until") {
		t.Errorf("message %q does not say the pending scale-down", w.ro.Status.Message)
	}
	w.now = w.now.Add(29 * time.Second)
	w.reconcile()
	w.expect(v1alpha1.RolloutPhaseHealthy, 2, map[string]int32{"web:1": 4})
	if w.last.RequeueAfter != time.Second {
		t.Errorf("requeue after %s, want the 1s left of scaleDownDelaySeconds", w.last.RequeueAfter)
	}
	w.now = w.now.Add(time.Second)
	w.settle()
	w.expect(v1alpha1.RolloutPhaseHealthy, 2, map[string]int32{"web:1": 0, "web:2": 4})
	if w.ro.Status.Canary.ScaleDownAt != nil {
		t.Errorf("scaleDownAt %v left in a Healthy status", w.ro.Status.Canary.ScaleDownAt)
	}
}

func TestRoutedCanaryScaleAndHeaderRoute(t *testing.T) {
	w := newRoutedWorld(t, 10,
		v1alpha1.CanaryStep{SetCanaryScale: &v1alpha1.SetCanaryScale{Replicas: ptr.To[int32](1)}},
		headerRoute("header", "x-canary"),
		pause(),
		weight(30),
		v1alpha1.CanaryStep{SetHeaderRoute: &v1alpha1.SetHeaderRoute{Name: "header"}},
		pause(),
	)
	w.setImage("web:2")
	w.settle()
	w.expect(v1alpha1.RolloutPhasePaused, 2, map[string]int32{"web:1": 10, "web:2": 1})
	w.expectWeight(0)
	if !slices.Equal(w.router.state.Routes, []string{"header"}) {
		t.Errorf("routes %v, want the header route", w.router.state.Routes)
	}
	w.promote()
	w.settle()
	// setCanaryScale still holds: one canary pod carries weight 30.
	w.expect(v1alpha1.RolloutPhasePaused, 5, map[string]int32{"web:1": 10, "web:2": 1})
	w.expectWeight(30)
	if len(w.router.state.Routes) != 0 {
		t.Errorf("routes %v after the route was removed", w.router.state.Routes)
	}
}

func TestRoutedDynamicStableScale(t *testing.T) {
	w := newRoutedWorld(t, 10, weight(40), pause())
	w.ro.Spec.Strategy.Canary.DynamicStableScale = true
	w.setImage("web:2")
	w.reconcile()
	w.expect(v1alpha1.RolloutPhaseProgressing, 0, map[string]int32{"web:1": 10, "web:2": 4})
	w.ready()
	w.reconcile() // weight moves to 40; stable keeps its pods until the router confirms
	w.expectWeight(40)
	w.expect(v1alpha1.RolloutPhaseProgressing, 0, map[string]int32{"web:1": 10})
	w.reconcile()
	w.expect(v1alpha1.RolloutPhaseProgressing, 0, map[string]int32{"web:1": 6})
	w.settle()
	w.expect(v1alpha1.RolloutPhasePaused, 1, map[string]int32{"web:1": 6, "web:2": 4})

	// Abort: the stable side has pods for 60 only, so the weight returns as it grows.
	w.ro.Status.Abort = true
	w.reconcile()
	w.expectWeight(40)
	w.expect(v1alpha1.RolloutPhaseDegraded, 0, map[string]int32{"web:1": 10})
	w.rss[w.rsName("web:1")].Status.AvailableReplicas = 8
	w.reconcile()
	w.expectWeight(20)
	w.ready()
	w.reconcile()
	w.expectWeight(0)
}

func TestRoutedInvalidReferenceDegradesAndTouchesNothing(t *testing.T) {
	w := newRoutedWorld(t, 4, weight(50), pause())
	w.setImage("web:2")
	w.settle()
	w.router.invalid = "spec.strategy.canary.trafficRouting.nginx.stableIngress: Ingress shop/web not found"
	w.setImage("web:3")
	p := w.reconcile()
	if p.Traffic != nil || len(p.Scale) != 0 || p.Create != nil || len(p.Selectors) != 0 {
		t.Fatalf("an invalid reference plans traffic %+v, scales %v, create %v, selectors %v", p.Traffic, p.Scale, p.Create != nil, p.Selectors)
	}
	w.expect(v1alpha1.RolloutPhaseDegraded, 1, map[string]int32{"web:1": 4, "web:2": 2})
	if !slices.Contains(w.reasons(), v1alpha1.ReasonTrafficInvalid) || !strings.Contains(w.ro.Status.Message, "stableIngress") {
		t.Errorf("timeline %v, message %q: want TrafficRoutingInvalid naming the field", w.reasons(), w.ro.Status.Message)
	}
	w.router.invalid = ""
	w.settle()
	w.expect(v1alpha1.RolloutPhasePaused, 1, map[string]int32{"web:3": 2})
}

func TestRoutedWeightTotal(t *testing.T) {
	w := newWorld(t, 10, weight(5), pause())
	nginxRouted(w.ro)
	w.ro.Spec.Strategy.Canary.TrafficRouting.MaxTrafficWeight = ptr.To[int32](1000)
	for _, name := range []string{"web-stable", "web-canary"} {
		w.services[name] = &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name}}
	}
	w.settle()
	w.setImage("web:2")
	w.settle()
	w.expect(v1alpha1.RolloutPhasePaused, 1, map[string]int32{"web:1": 10, "web:2": 1})
	w.expectWeight(5)
	if got := w.ro.Status.Canary.Weights.Stable.Weight; got != 995 {
		t.Errorf("stable weight %d, want 995 of 1000", got)
	}
}

// With a router, going back to the revision the last release replaced while it keeps its pods
// for scaleDownDelaySeconds is instant: no steps, no new ReplicaSet, the stable Service back.
func TestRoutedRollbackWithinTheScaleDownDelayIsInstant(t *testing.T) {
	w := newRoutedWorld(t, 4, weight(50), pause())
	v1 := w.hashOf("web:1")
	w.setImage("web:2")
	w.settle()
	w.promote()
	w.settle()
	w.expect(v1alpha1.RolloutPhaseHealthy, 2, map[string]int32{"web:1": 4, "web:2": 4})
	w.notes = nil
	w.setImage("web:1")
	p := w.reconcile()
	if p.Create != nil || w.ro.Status.StableRS != v1 || p.Selectors["web-stable"] != v1 || (p.Traffic != nil && p.Traffic.CanaryWeight != 0) {
		t.Fatalf("rollback within the delay: %s; selectors %v traffic %+v: want the stable Service back on web:1 with weight 0", w.describe(), p.Selectors, p.Traffic)
	}
	w.settle()
	w.expect(v1alpha1.RolloutPhaseHealthy, 2, map[string]int32{"web:1": 4, "web:2": 4})
	if got := w.reasons(); !slices.Contains(got, v1alpha1.ReasonRolledBack) || slices.Contains(got, v1alpha1.ReasonPaused) || slices.Contains(got, v1alpha1.ReasonRevisionDetected) {
		t.Errorf("timeline %v: want a fast rollback, no steps", got)
	}
	w.now = w.now.Add(31 * time.Second)
	w.settle()
	w.expect(v1alpha1.RolloutPhaseHealthy, 2, map[string]int32{"web:1": 4, "web:2": 0})
}

// The plan says what the router removes and what the timeline records of each routing change:
// a weight change, managed routes added, one let go, all let go.
func TestRoutedPlanNamesItsRoutingChanges(t *testing.T) {
	header := func(name string) v1alpha1.CanaryStep {
		return v1alpha1.CanaryStep{SetHeaderRoute: &v1alpha1.SetHeaderRoute{Name: name, Match: []v1alpha1.HeaderRoutingMatch{{HeaderName: "x", HeaderValue: v1alpha1.StringMatch{Exact: "1"}}}}}
	}
	w := newWorld(t, 4, header("a"), header("b"), weight(20), pause(), v1alpha1.CanaryStep{SetHeaderRoute: &v1alpha1.SetHeaderRoute{Name: "a"}}, pause())
	c := w.ro.Spec.Strategy.Canary
	c.StableService, c.CanaryService = "web-stable", "web-canary"
	c.TrafficRouting = &v1alpha1.RolloutTrafficRouting{GatewayAPI: &v1alpha1.GatewayAPITrafficRouting{HTTPRoute: "web"}, ManagedRoutes: []v1alpha1.ManagedRoute{{Name: "a"}, {Name: "b"}}}
	for _, name := range []string{"web-stable", "web-canary"} {
		w.services[name] = &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}}}
	}
	w.settle()
	w.setImage("web:2")
	var weightNotes, routeNotes []string
	for range 30 {
		p := w.reconcile()
		w.ready()
		if p.WeightNote != nil {
			weightNotes = append(weightNotes, p.WeightNote.Message)
		}
		if p.RoutesNote != nil {
			routeNotes = append(routeNotes, p.RoutesNote.Message)
		}
		if p.Traffic != nil && len(p.Traffic.RemoveRoutes) > 0 && !slices.Equal(p.Traffic.RemoveRoutes, []string{"a"}) {
			t.Fatalf("removes %v, want only a", p.Traffic.RemoveRoutes)
		}
		if w.ro.Status.Phase == v1alpha1.RolloutPhasePaused {
			w.promote()
		}
		if w.ro.Status.Phase == v1alpha1.RolloutPhaseHealthy && w.ro.Status.StableRS == w.hashOf("web:2") {
			break
		}
	}
	want := []string{"managed routes [] -> [a] (gatewayapi)", "managed routes [a] -> [a b] (gatewayapi)", "managed routes [a b] -> [b] (gatewayapi)", "managed routes [b] removed (gatewayapi)"}
	if !slices.Equal(routeNotes, want) {
		t.Errorf("route notes %q, want %q", routeNotes, want)
	}
	if len(weightNotes) == 0 || weightNotes[0] != "canary weight 0 -> 20 (gatewayapi: -)" {
		t.Errorf("weight notes %q, want the first to be 0 -> 20", weightNotes)
	}
}

// The canary Ingresses the spec does not want are the plan's to delete: one whose stable
// Ingress left the list as clean-up, all of them as the release of NGINX routing dropped from
// the spec, none while the router is invalid (a Degraded Rollout re-routes nothing).
func TestCanaryIngressesTheSpecDropsAreDeleted(t *testing.T) {
	w := newRoutedWorld(t, 2, weight(50), pause())
	ing := func(name string) *networkingv1.Ingress {
		return &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: name}}
	}
	owned := []*networkingv1.Ingress{ing("web-web-canary"), ing("web-old-canary")}
	in := w.input()
	in.CanaryIngresses = owned
	if p := Compute(in); !slices.Equal(p.DeleteIngresses, []string{"web-old-canary"}) {
		t.Errorf("delete %v, want the canary Ingress of the Ingress no longer named", p.DeleteIngresses)
	}
	in.Traffic.Invalid = "spec.strategy.canary.trafficRouting.nginx.stableIngress: Ingress shop/web does not exist"
	if p := Compute(in); len(p.DeleteIngresses) != 0 {
		t.Errorf("an invalid router deletes %v, want nothing", p.DeleteIngresses)
	}
	w.ro.Spec.Strategy.Canary.TrafficRouting = nil
	in = w.input()
	in.CanaryIngresses = owned
	p := Compute(in)
	if p.Release == nil || !p.Release.ByDeletion || !slices.Equal(p.Release.DeleteIngresses, []string{"web-web-canary", "web-old-canary"}) || len(p.DeleteIngresses) != 0 {
		t.Errorf("release %+v, delete %v: want every canary Ingress deleted as the release", p.Release, p.DeleteIngresses)
	}
}
