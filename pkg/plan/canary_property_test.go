package plan

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// totals is the pods and available pods of every ReplicaSet in the world, as they are (not
// as a lagging ReplicaSet status reports them).
func (w *world) totals() (pods, available int32) {
	for _, rs := range w.rss {
		pods += ptr.Deref(rs.Spec.Replicas, 1)
		available += rs.Status.AvailableReplicas
	}
	return pods, available
}

// progress makes a random share of the pods not yet available become available, may end
// an AnalysisRun (mostly Successful, sometimes Failed or Inconclusive), and makes some
// lagging ReplicaSet statuses catch up with the pods.
func (w *world) progress(rng *rand.Rand) {
	for _, name := range w.Lagging() {
		if rng.IntN(2) == 0 {
			w.CatchUp(name)
		}
	}
	for _, name := range sortedKeys(w.runs) {
		if r := w.runs[name]; !r.Status.Phase.Completed() && rng.IntN(3) == 0 {
			r.Status.Phase = []v1alpha1.AnalysisPhase{v1alpha1.AnalysisPhaseSuccessful, v1alpha1.AnalysisPhaseSuccessful,
				v1alpha1.AnalysisPhaseSuccessful, v1alpha1.AnalysisPhaseFailed, v1alpha1.AnalysisPhaseInconclusive}[rng.IntN(5)]
		}
	}
	for _, rs := range w.rss {
		n := ptr.Deref(rs.Spec.Replicas, 1)
		rs.Status.Replicas = n
		if missing := n - rs.Status.AvailableReplicas; missing > 0 {
			rs.Status.AvailableReplicas += rng.Int32N(missing + 1)
		}
		rs.Status.ReadyReplicas = rs.Status.AvailableReplicas
	}
}

// Property: whatever users and pods do, and however late ReplicaSet statuses report a
// scale-down, no state between two of the planner's writes has fewer available pods than
// replicas - maxUnavailable (or than were available before the pass), nor more pods than
// replicas + maxSurge (or than ran before it); and once the disturbances stop every sequence
// ends Healthy, or Degraded after an abort: never stuck. Pods are counted as they are, not as
// the statuses the planner reads report them.
func TestCanaryPlannerInvariants(t *testing.T) {
	images := []string{"web:1", "web:2", "web:3"}
	for seed := uint64(0); seed < 300; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		steps := randomSteps(rng)
		w := newWorld(t, 1+rng.Int32N(8), steps...)
		w.LagScaleDowns = seed%4 != 0
		randomBounds(rng, w.ro.Spec.Strategy.Canary)
		var log []string
		check := func(what string) {
			pods, avail := w.totals()
			b, _ := ResolveBounds(w.ro.DesiredReplicas(), w.ro.Spec.Strategy.Canary.MaxSurge, w.ro.Spec.Strategy.Canary.MaxUnavailable)
			w.afterWrite = func() {
				afterPods, afterAvail := w.totals()
				if afterAvail < min(b.MinAvailable, avail) {
					t.Fatalf("seed %d after %v: available %d -> %d, below minAvailable %d: %s", seed, append(log, what), avail, afterAvail, b.MinAvailable, w.describe())
				}
				if afterPods > max(b.MaxTotal, pods) {
					t.Fatalf("seed %d after %v: pods %d -> %d, above maxTotal %d: %s", seed, append(log, what), pods, afterPods, b.MaxTotal, w.describe())
				}
			}
			w.reconcile()
			w.afterWrite = nil
			log = append(log, what)
		}
		for i := 0; i < 60; i++ {
			check(w.disturb(rng, images, nil))
		}
		// The disturbances stop: pods become ready, pauses end or are promoted.
		w.ro.Spec.Paused = false
		for i := 0; ; i++ {
			if i > 100 {
				t.Fatalf("seed %d after %v: stuck: %s", seed, log, w.describe())
			}
			w.ready()
			w.endRuns()
			w.now = w.now.Add(time.Minute)
			w.promote()
			check("settle")
			if ph := w.ro.Status.Phase; (ph == v1alpha1.RolloutPhaseHealthy || ph == v1alpha1.RolloutPhaseDegraded) && len(w.last.Scale) == 0 && w.last.Create == nil {
				break
			}
		}
		if w.ro.Status.Phase == v1alpha1.RolloutPhaseDegraded && !w.ro.Status.Abort {
			t.Fatalf("seed %d after %v: Degraded without an abort: %s", seed, log, w.describe())
		}
	}
}

// disturb makes one random change a user, a pod or the clock would make, and says what it
// was; extra, when not nil, is one more kind of change (a router's).
func (w *world) disturb(rng *rand.Rand, images []string, extra func() string) string {
	switch rng.IntN(13) {
	case 12:
		// The controller dies in the next pass, after any prefix of its writes (never the status).
		w.crash = func(n int) int { return rng.IntN(n) }
		return "crash"
	case 0:
		img := images[rng.IntN(len(images))]
		w.setImage(img)
		return "image " + img
	case 1:
		if extra != nil {
			return extra()
		}
		n := rng.Int32N(9)
		w.ro.Spec.Replicas = ptr.To(n)
		return fmt.Sprintf("scale %d", n)
	case 2:
		w.promote()
		return "promote"
	case 3:
		w.ro.Status.Abort = rng.IntN(2) == 0
		return fmt.Sprintf("abort=%v", w.ro.Status.Abort)
	case 4:
		w.ro.Status.PromoteFull = true
		return "promote full"
	case 5:
		w.ro.Spec.Paused = !w.ro.Spec.Paused
		return fmt.Sprintf("paused=%v", w.ro.Spec.Paused)
	case 6, 7:
		w.now = w.now.Add(time.Duration(rng.IntN(40)) * time.Second)
		return "time"
	default:
		w.progress(rng)
		return "pods"
	}
}

// randomBounds gives a canary random maxSurge and maxUnavailable (counts or percentages,
// never both 0); a quarter keep the world's 25% and 0.
func randomBounds(rng *rand.Rand, c *v1alpha1.CanaryStrategy) {
	if rng.IntN(4) == 0 {
		return
	}
	pick := func() *intstr.IntOrString {
		if rng.IntN(2) == 0 {
			return ptr.To(intstr.FromInt32(rng.Int32N(3)))
		}
		return ptr.To(intstr.FromString(fmt.Sprintf("%d%%", 25*rng.IntN(3))))
	}
	c.MaxSurge, c.MaxUnavailable = pick(), pick()
	zero := func(v *intstr.IntOrString) bool { return v.String() == "0" || v.String() == "0%" }
	if zero(c.MaxSurge) && zero(c.MaxUnavailable) { // refused at admission
		c.MaxUnavailable = ptr.To(intstr.FromInt32(1))
	}
}

func randomSteps(rng *rand.Rand) []v1alpha1.CanaryStep {
	var steps []v1alpha1.CanaryStep
	for i := rng.IntN(6); i > 0; i-- {
		switch rng.IntN(4) {
		case 3:
			steps = append(steps, analysisStep("a"))
		case 0:
			steps = append(steps, weight(rng.Int32N(101)))
		case 1:
			steps = append(steps, pause())
		default:
			steps = append(steps, pauseFor(fmt.Sprintf("%ds", rng.IntN(90))))
		}
	}
	return steps
}

// endRuns makes every AnalysisRun still running Successful.
func (w *world) endRuns() {
	for _, r := range w.runs {
		if !r.Status.Phase.Completed() {
			r.Status.Phase = v1alpha1.AnalysisPhaseSuccessful
		}
	}
}
