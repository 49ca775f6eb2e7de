//go:build e2e

package e2e

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// selects is the pod-template hash a Service selects.
func selects(t *testing.T, ns, service string) string {
	t.Helper()
	svc := &corev1.Service{}
	if err := cluster.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: service}, svc); err != nil {
		t.Fatal(err)
	}
	return svc.Spec.Selector[v1alpha1.PodTemplateHashLabel]
}

// blueGreenExample applies examples/bluegreen.yaml with extra blueGreen fields (JSON) and
// waits for its first revision behind web-active.
func blueGreenExample(t *testing.T, blueGreen string) (string, *v1alpha1.Rollout) {
	t.Helper()
	ns := cluster.Namespace(t)
	cluster.ApplyFile(t, ns, "examples/bluegreen.yaml")
	if blueGreen != "" {
		patchRollout(t, ns, types.MergePatchType, `{"spec":{"strategy":{"blueGreen":`+blueGreen+`}}}`)
	}
	ro := waitRollout(t, ns, "first revision Healthy", healthyAt(ns, "nginx:1.27"))
	if got := selects(t, ns, "web-active"); got != ro.Status.StableRS {
		t.Fatalf("web-active selects %q, want the first revision %s", got, ro.Status.StableRS)
	}
	return ns, ro
}

// The example: the new revision comes up behind web-preview and waits; promoted, web-active
// switches to it and the Rollout is Healthy at once (as in Argo); the old revision keeps its
// pods for scaleDownDelaySeconds, then goes.
func TestBlueGreenManualPromotion(t *testing.T) {
	cluster.StartController(t, controllerBin)
	ns, first := blueGreenExample(t, `{"scaleDownDelaySeconds":15}`)
	setImage(t, ns, "nginx:1.28")
	ro := waitRollout(t, ns, "paused with the preview ready", phaseIs(v1alpha1.RolloutPhasePaused))
	if selects(t, ns, "web-active") != first.Status.StableRS || selects(t, ns, "web-preview") != ro.Status.CurrentPodHash {
		t.Fatalf("paused: web-active %s web-preview %s, want %s and %s", selects(t, ns, "web-active"), selects(t, ns, "web-preview"), first.Status.StableRS, ro.Status.CurrentPodHash)
	}
	if got := readyPods(t, ns); got[first.Status.StableRS] != 3 || got[ro.Status.CurrentPodHash] != 3 {
		t.Errorf("ready pods %v: want 3 of each revision", got)
	}
	promote(t, ns)
	ro = waitRollout(t, ns, "the new revision released", releasedAt(ns, "nginx:1.28"))
	if got := selects(t, ns, "web-active"); got != ro.Status.StableRS {
		t.Errorf("web-active selects %s, want %s", got, ro.Status.StableRS)
	}
	if got := replicaSetReplicas(t, ns); got[first.Status.StableRS] != 3 || !strings.Contains(ro.Status.Message, "scaleDownDelaySeconds") {
		t.Errorf("Healthy with the old revision at %d replicas, message %q: want its 3 pods kept for the delay, and said", got[first.Status.StableRS], ro.Status.Message)
	}
	ro = waitRollout(t, ns, "the old revision gone after the delay, still Healthy", healthyAt(ns, "nginx:1.28"))
	if got := readyPods(t, ns); got[first.Status.StableRS] != 0 {
		t.Errorf("the old revision still has %d ready pods", got[first.Status.StableRS])
	}
	waitTimeline(t, ns, "one switch per revision", func(reasons []string) bool {
		return count(reasons, v1alpha1.ReasonServiceSwitched) == 2 && count(reasons, v1alpha1.ReasonPromoted) == 1
	})
}

// previewReplicaCount and autoPromotionSeconds: one preview pod, promoted on its own after the
// pause, then full size before the switch.
func TestBlueGreenPreviewReplicasAndAutoPromotionSeconds(t *testing.T) {
	cluster.StartController(t, controllerBin)
	ns, _ := blueGreenExample(t, `{"autoPromotionEnabled":true,"autoPromotionSeconds":3,"previewReplicaCount":1,"scaleDownDelaySeconds":1}`)
	setImage(t, ns, "nginx:1.28")
	ro := waitRollout(t, ns, "paused with one preview pod", phaseIs(v1alpha1.RolloutPhasePaused))
	if got := replicaSetReplicas(t, ns); got[ro.Status.CurrentPodHash] != 1 {
		t.Errorf("preview replicas %d, want previewReplicaCount 1", got[ro.Status.CurrentPodHash])
	}
	ro = waitRollout(t, ns, "promoted automatically and Healthy", healthyAt(ns, "nginx:1.28"))
	if got := selects(t, ns, "web-active"); got != ro.Status.StableRS {
		t.Errorf("web-active selects %s, want %s", got, ro.Status.StableRS)
	}
}

// Putting the old image back within the scale-down delay is an instant rollback: the old pods
// are all there, so web-active switches back to them at once, with no preview and no pause
// (even without autoPromotion), and no new ReplicaSet.
func TestBlueGreenRollbackWithinTheScaleDownDelay(t *testing.T) {
	cluster.StartController(t, controllerBin)
	ns, first := blueGreenExample(t, `{"autoPromotionEnabled":false,"scaleDownDelaySeconds":600}`)
	setImage(t, ns, "nginx:1.28")
	waitRollout(t, ns, "paused with the preview ready", phaseIs(v1alpha1.RolloutPhasePaused))
	promote(t, ns)
	waitRollout(t, ns, "released, the old revision waiting out the delay", func(ro *v1alpha1.Rollout) bool {
		return releasedAt(ns, "nginx:1.28")(ro) && strings.Contains(ro.Status.Message, "scaleDownDelaySeconds")
	})
	rsBefore := len(replicaSetReplicas(t, ns))
	setImage(t, ns, "nginx:1.27")
	ro := waitRollout(t, ns, "back on the first revision", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.ObservedGeneration == ro.Generation && ro.Status.StableRS == first.Status.StableRS &&
			ro.Status.BlueGreen.ActiveSelector == first.Status.StableRS
	})
	if ro.Status.Phase != v1alpha1.RolloutPhaseHealthy || len(ro.Status.PauseConditions) > 0 {
		t.Errorf("after the rollback: %s %q, pauses %v: want Healthy with no pause", ro.Status.Phase, ro.Status.Message, ro.Status.PauseConditions)
	}
	if got := selects(t, ns, "web-active"); got != first.Status.StableRS {
		t.Errorf("web-active selects %s, want the first revision %s", got, first.Status.StableRS)
	}
	if n := len(replicaSetReplicas(t, ns)); n != rsBefore {
		t.Errorf("%d ReplicaSets after the rollback, %d before: want no new one", n, rsBefore)
	}
	// The switch back is the third switch of this Rollout's life, and a fast rollback.
	waitTimeline(t, ns, "the switch back", func(reasons []string) bool {
		return count(reasons, v1alpha1.ReasonServiceSwitched) == 3 && count(reasons, v1alpha1.ReasonRolledBack) == 1 && count(reasons, v1alpha1.ReasonPaused) == 1
	})
}

// A failing pre-promotion analysis aborts and web-active never moves; a failing
// post-promotion analysis switches it back.
func TestBlueGreenAnalysisGates(t *testing.T) {
	w := newAnalysisWorld(t, "")
	cluster.ApplyFile(t, w.ns, "examples/bluegreen.yaml")
	analysis := `{"templates":[{"templateName":"error-rate"}],"args":[{"name":"version","value":"v2"}]}`
	patchRollout(t, w.ns, types.MergePatchType, `{"spec":{"strategy":{"blueGreen":{"autoPromotionEnabled":true,"prePromotionAnalysis":`+analysis+`}}}}`)
	first := waitRollout(t, w.ns, "first revision Healthy", healthyAt(w.ns, "nginx:1.27"))

	w.exp.SetErrorRate("v2", 0.5)
	setImage(t, w.ns, "nginx:1.28")
	waitRollout(t, w.ns, "aborted by the pre-promotion analysis", abortedByAnalysis)
	if got := selects(t, w.ns, "web-active"); got != first.Status.StableRS {
		t.Errorf("web-active selects %s after a failed pre-promotion analysis, want %s", got, first.Status.StableRS)
	}
	waitTimeline(t, w.ns, "no switch", func(reasons []string) bool {
		return count(reasons, v1alpha1.ReasonAborted) == 1 && count(reasons, v1alpha1.ReasonServiceSwitched) == 1 // the first revision's
	})

	// Post-promotion: the switch happens, the analysis fails, web-active goes back.
	w.exp.SetErrorRate("v2", 0)
	w.waitErrorRate(t, "v2", func(v float64) bool { return v == 0 })
	patchRollout(t, w.ns, types.MergePatchType, `{"spec":{"strategy":{"blueGreen":{"prePromotionAnalysis":null,"postPromotionAnalysis":`+analysis+`}}}}`)
	patchStatus(t, w.ns, `{"status":{"abort":false}}`)
	waitRollout(t, w.ns, "switched, post-promotion analysis running", func(ro *v1alpha1.Rollout) bool {
		s := ro.Status.BlueGreen.PostPromotionAnalysisRunStatus
		return s != nil && ro.Status.BlueGreen.ActiveSelector == ro.Status.CurrentPodHash
	})
	w.exp.SetErrorRate("v2", 0.9)
	waitRollout(t, w.ns, "aborted by the post-promotion analysis", abortedByAnalysis)
	if got := selects(t, w.ns, "web-active"); got != first.Status.StableRS {
		t.Errorf("web-active selects %s after a failed post-promotion analysis, want it back on %s", got, first.Status.StableRS)
	}
}

// A controller killed while the preview waits, and again during the scale-down delay, resumes
// from the status it wrote: no early switch, no second one.
func TestBlueGreenControllerRestart(t *testing.T) {
	ctrl := cluster.StartController(t, controllerBin)
	ns, first := blueGreenExample(t, `{"scaleDownDelaySeconds":5}`)
	setImage(t, ns, "nginx:1.28")
	waitRollout(t, ns, "paused with the preview ready", phaseIs(v1alpha1.RolloutPhasePaused))
	waitTimeline(t, ns, "paused", func(r []string) bool { return count(r, v1alpha1.ReasonPaused) == 1 })
	ctrl.Kill()
	ctrl.Start()
	patchRollout(t, ns, types.MergePatchType, `{"spec":{"progressDeadlineSeconds":900}}`)
	waitRollout(t, ns, "still paused after the restart", phaseIs(v1alpha1.RolloutPhasePaused))
	if got := selects(t, ns, "web-active"); got != first.Status.StableRS {
		t.Fatalf("web-active selects %s after a restart while paused, want %s", got, first.Status.StableRS)
	}
	promote(t, ns)
	waitRollout(t, ns, "switched, in the scale-down delay", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.StableRS != first.Status.StableRS
	})
	waitTimeline(t, ns, "switched", func(r []string) bool { return count(r, v1alpha1.ReasonServiceSwitched) == 2 })
	ctrl.Kill()
	ctrl.Start()
	waitRollout(t, ns, "Healthy after the delay", healthyAt(ns, "nginx:1.28"))
	waitTimeline(t, ns, "no second switch", func(r []string) bool {
		return count(r, v1alpha1.ReasonServiceSwitched) == 2 && count(r, v1alpha1.ReasonHealthy) == 2
	})
}
