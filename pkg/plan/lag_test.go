package plan

import (
	"testing"

	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// Argo's rolling-update example (replicas 5, maxSurge 1, maxUnavailable 1, no steps), with the
// ReplicaSet controller reporting each scale-down before it sees its pods go, and the new pods
// becoming available one at a time: no state between two writes has fewer than 4 pods
// available, and the release completes.
func TestARollingUpdateNeverCountsPodsBeingDeleted(t *testing.T) {
	w := newWorld(t, 5)
	w.ro.Spec.Strategy.Canary.MaxSurge, w.ro.Spec.Strategy.Canary.MaxUnavailable = ptr.To(intstr.FromInt32(1)), ptr.To(intstr.FromInt32(1))
	w.settle()
	w.LagScaleDowns = true
	w.setImage("web:2")
	w.afterWrite = func() {
		if _, avail := w.totals(); avail < 4 {
			t.Fatalf("%d pods available, below replicas - maxUnavailable = 4: %s", avail, w.describe())
		}
	}
	for i := 0; w.ro.Status.Phase != v1alpha1.RolloutPhaseHealthy || w.pods("web:1") > 0; i++ {
		if i > 60 {
			t.Fatalf("not released after 60 passes: %s", w.describe())
		}
		w.reconcile()
		// One new pod becomes available; the lagging status is reported before the next pass
		// only every other time (the case that took a deleted pod twice).
		if rs := w.rss[w.rsName("web:2")]; rs != nil && rs.Status.AvailableReplicas < ptr.Deref(rs.Spec.Replicas, 1) {
			rs.Status.Replicas = ptr.Deref(rs.Spec.Replicas, 1)
			rs.Status.AvailableReplicas++
			rs.Status.ReadyReplicas = rs.Status.AvailableReplicas
		}
		if i%2 == 1 {
			for _, name := range w.Lagging() {
				w.CatchUp(name)
			}
		}
	}
	w.expect(v1alpha1.RolloutPhaseHealthy, 0, map[string]int32{"web:1": 0, "web:2": 5})
}

// A ReplicaSet whose status still counts the pods of its last scale-down is neither counted
// for them nor scaled again until its controller reports it without them.
func TestAReplicaSetStillDeletingPodsIsCountedWithoutThemAndNotScaledAgain(t *testing.T) {
	w := newWorld(t, 4)
	w.ro.Spec.Strategy.Canary.MaxSurge, w.ro.Spec.Strategy.Canary.MaxUnavailable = ptr.To(intstr.FromInt32(0)), ptr.To(intstr.FromInt32(1))
	w.settle()
	w.LagScaleDowns = true
	w.setImage("web:2")
	w.reconcile() // web:1 to 3 (reported: 4 pods, 4 available); web:2 created with none (no surge)
	w.reconcile() // web:2 to 1
	w.readyOnly("web:2")
	w.expect(v1alpha1.RolloutPhaseProgressing, 0, map[string]int32{"web:1": 3, "web:2": 1})
	// Counting web:1's reported 4 available would allow taking 2 of its 3 pods.
	p := w.reconcile()
	if _, ok := p.Scale[w.rsName("web:1")]; ok {
		t.Fatalf("web:1 scaled again while its status still counts the pod it deletes: %v: %s", p.Scale, w.describe())
	}
	w.CatchUp(w.rsName("web:1"))
	w.reconcile()
	w.expect(v1alpha1.RolloutPhaseProgressing, 0, map[string]int32{"web:1": 2, "web:2": 1})
}

// With a router, a new template mid-release does not inherit the weight the earlier canary
// revision was sent: while the router still reports that weight (a write it has not taken),
// the canary Service stays on pods that carry it (the earlier revision's, or the stable ones
// it falls back to while the new revision has none), not on the new revision's one pod.
func TestRoutedCanaryServiceMovesOnlyToPodsThatCarryTheRoutedWeight(t *testing.T) {
	w := newRoutedWorld(t, 4, weight(75), pause())
	w.setImage("web:2")
	w.settle()
	w.expectWeight(75)
	w.setImage("web:3")
	w.router.frozen = true // the router keeps sending web:2 weight 75
	w.reconcile()
	rs := w.rss[w.rsName("web:3")]
	rs.Status.Replicas, rs.Status.AvailableReplicas = 3, 1
	for range 3 {
		w.reconcile()
		if w.selects("web-canary") == w.hashOf("web:3") {
			t.Fatalf("the canary Service selects web:3 (1 pod of 4 available) while the router sends the canary side weight 75: %s", w.describe())
		}
	}
	w.router.frozen = false
	w.settle()
	w.expect(v1alpha1.RolloutPhasePaused, 1, map[string]int32{"web:3": 3})
	w.expectWeight(75)
	if w.selects("web-canary") != w.hashOf("web:3") {
		t.Fatalf("the canary Service does not select web:3 once the router took the weight: %s", w.describe())
	}
}

// With a router, the canary weight is never more than the canary's available pods carry: a
// canary pod that stops being available takes its share of the weight back to stable, and it
// returns with the pod.
func TestRoutedWeightFollowsTheCanarysAvailablePods(t *testing.T) {
	w := newRoutedWorld(t, 4, weight(50), pause())
	w.setImage("web:2")
	w.settle()
	w.expectWeight(50)
	w.rss[w.rsName("web:2")].Status.AvailableReplicas = 1
	w.reconcile()
	w.reconcile()
	w.expectWeight(25)
	w.ready()
	w.reconcile()
	w.reconcile()
	w.expectWeight(50)
	w.expect(v1alpha1.RolloutPhasePaused, 1, map[string]int32{"web:1": 4, "web:2": 2})
}
