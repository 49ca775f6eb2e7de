package plan

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// availableBehind is the available pods of the revision a Service selects.
func (w *world) availableBehind(service string) int32 {
	hash := w.services[service].Spec.Selector[v1alpha1.PodTemplateHashLabel]
	if rs := w.rss["web-"+hash]; rs != nil && hash != "" {
		return rs.Status.AvailableReplicas
	}
	return 0
}

// Property: with a router, whatever users, pods and a lagging router do, and however late
// ReplicaSet statuses report a scale-down, no state between two of the planner's writes
// sends the canary more weight than its available pods carry (weight/total of spec.replicas,
// unless a setCanaryScale sizes it) or leaves traffic on a side with no available pod (the canary Service's revision for the
// canary weight, the stable Service's for the rest); and once the disturbances stop every
// sequence ends Healthy with weight 0, or Degraded after an abort. Pods are counted as they
// are, not as the statuses the planner reads report them.
func TestRoutedPlannerInvariants(t *testing.T) {
	images := []string{"web:1", "web:2", "web:3"}
	for seed := uint64(0); seed < 300; seed++ {
		rng := rand.New(rand.NewPCG(seed, 11))
		steps := randomRoutedSteps(rng)
		w := newRoutedWorld(t, 1+rng.Int32N(8), steps...)
		w.ro.Spec.Strategy.Canary.DynamicStableScale = rng.IntN(2) == 0
		w.LagScaleDowns = seed%4 != 0
		var log []string
		scaled := func(st v1alpha1.RolloutStatus) bool { // setCanaryScale sizes the canary apart from its weight
			return canaryScaleAt(w.ro.Spec.Strategy.Canary.Steps, ptr.Deref(st.CurrentStepIndex, 0)) != nil
		}
		check := func(what string) {
			weightBefore, canaryBefore, scaledBefore := w.router.state.CanaryWeight, w.availableBehind("web-canary"), scaled(w.ro.Status)
			replicas := int64(w.ro.DesiredReplicas())
			// A share the canary already had more of than its pods carry (more replicas asked
			// for) may stay; no write makes it larger.
			allowed := max(0, int64(weightBefore)*replicas-100*int64(canaryBefore))
			var excess int64
			var worst string
			w.afterWrite = func() {
				weight := w.router.state.CanaryWeight
				if e := int64(weight)*replicas - 100*int64(w.availableBehind("web-canary")); e > excess {
					excess, worst = e, fmt.Sprintf("canary weight %d with %d available pods behind web-canary (of %d replicas): %s", weight, w.availableBehind("web-canary"), replicas, w.describe())
				}
				if weight > 0 && w.availableBehind("web-canary") == 0 {
					t.Fatalf("seed %d after %v: canary weight %d with no available pod behind web-canary: %s; plan scale %v notes %v", seed, append(log, what), weight, w.describe(), w.last.Scale, w.last.Notes)
				}
				if weight < 100 && w.availableBehind("web-stable") == 0 {
					t.Fatalf("seed %d after %v: stable weight %d with no available pod behind web-stable: %s", seed, append(log, what), 100-weight, w.describe())
				}
			}
			p := w.reconcile()
			w.afterWrite = nil
			log = append(log, what)
			if excess > allowed && !scaledBefore && !scaled(p.Status) {
				t.Fatalf("seed %d after %v: %s", seed, log, worst)
			}
		}
		freeze := func() string {
			w.router.frozen = !w.router.frozen
			return fmt.Sprintf("router frozen=%v", w.router.frozen)
		}
		for i := 0; i < 60; i++ {
			check(w.disturb(rng, images, freeze))
		}
		w.ro.Spec.Paused, w.router.frozen = false, false
		for i := 0; ; i++ {
			if i > 100 {
				t.Fatalf("seed %d after %v: stuck: %s", seed, log, w.describe())
			}
			w.ready()
			w.endRuns()
			w.now = w.now.Add(time.Minute)
			w.promote()
			check("settle")
			ph := w.ro.Status.Phase
			if ph == v1alpha1.RolloutPhaseHealthy && len(w.last.Scale) == 0 {
				if w.router.state.CanaryWeight != 0 || len(w.router.state.Routes) != 0 {
					t.Fatalf("seed %d after %v: Healthy with router %+v", seed, log, w.router.state)
				}
				break
			}
			if ph == v1alpha1.RolloutPhaseDegraded && len(w.last.Scale) == 0 {
				if !w.ro.Status.Abort {
					t.Fatalf("seed %d after %v: Degraded without an abort: %s", seed, log, w.describe())
				}
				break
			}
		}
	}
}

func randomRoutedSteps(rng *rand.Rand) []v1alpha1.CanaryStep {
	var steps []v1alpha1.CanaryStep
	for i := rng.IntN(7); i > 0; i-- {
		switch rng.IntN(5) {
		case 0:
			steps = append(steps, weight(rng.Int32N(101)))
		case 1:
			steps = append(steps, pause())
		case 2:
			steps = append(steps, pauseFor(fmt.Sprintf("%ds", rng.IntN(90))))
		case 3:
			steps = append(steps, v1alpha1.CanaryStep{SetCanaryScale: &v1alpha1.SetCanaryScale{Replicas: ptr.To(1 + rng.Int32N(3))}})
		default:
			steps = append(steps, headerRoute("header", "x-canary"))
		}
	}
	return steps
}
