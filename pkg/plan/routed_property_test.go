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

// Property: with a router, whatever users, pods and a lagging router do, no plan leaves
// traffic on a side with no available pods (the canary Service's revision for the canary
// weight, the stable Service's for the rest), and once the disturbances stop every sequence
// ends Healthy with weight 0, or Degraded after an abort.
func TestRoutedPlannerInvariants(t *testing.T) {
	images := []string{"web:1", "web:2", "web:3"}
	for seed := uint64(0); seed < 300; seed++ {
		rng := rand.New(rand.NewPCG(seed, 11))
		steps := randomRoutedSteps(rng)
		w := newRoutedWorld(t, 1+rng.Int32N(8), steps...)
		w.ro.Spec.Strategy.Canary.DynamicStableScale = rng.IntN(2) == 0
		var log []string
		check := func(what string) {
			w.reconcile()
			log = append(log, what)
			if weight := w.router.state.CanaryWeight; weight > 0 && w.availableBehind("web-canary") == 0 {
				t.Fatalf("seed %d after %v: canary weight %d with no available pod behind web-canary: %s; plan scale %v notes %v", seed, log, weight, w.describe(), w.last.Scale, w.last.Notes)
			}
			if weight := w.router.state.CanaryWeight; weight < 100 && w.availableBehind("web-stable") == 0 {
				t.Fatalf("seed %d after %v: stable weight %d with no available pod behind web-stable: %s", seed, log, 100-weight, w.describe())
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
