package plan

import (
	"testing"
	"time"

	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// hpaAdopts plays what an HPA does with an External or Object AverageValue metric whose value
// is within tolerance: it writes the replicas the scale subresource reports back to
// spec.replicas. Then the world settles.
func (w *world) hpaAdopts() {
	w.t.Helper()
	w.ro.Spec.Replicas = ptr.To(w.ro.Status.HPAReplicas)
	w.ro.Generation++
	w.settle()
}

func (w *world) expectAutoscalerView(replicas int32, selector string) {
	w.t.Helper()
	if w.ro.Status.HPAReplicas != replicas || w.ro.Status.Selector != selector {
		w.t.Errorf("scale subresource shows %d replicas, selector %q; want %d, %q: %s", w.ro.Status.HPAReplicas, w.ro.Status.Selector, replicas, selector, w.describe())
	}
}

// The stable-to-max ratchet (Argo #3849, #4847): a routed canary's extra pods never reach the
// replicas an HPA reads, so adopting them again and again changes nothing.
func TestAutoscalerSeesOnlyStableDuringRoutedCanary(t *testing.T) {
	w := newRoutedWorld(t, 10, weight(10), pause())
	w.expectAutoscalerView(10, "app=web")
	w.setImage("web:2")
	w.settle()
	w.expect(v1alpha1.RolloutPhasePaused, 1, map[string]int32{"web:1": 10, "web:2": 1})
	if w.ro.Status.Replicas != 11 {
		t.Fatalf("status.replicas %d, want every pod (11)", w.ro.Status.Replicas)
	}
	w.expectAutoscalerView(10, "app=web")
	for range 5 {
		w.hpaAdopts()
	}
	w.expect(v1alpha1.RolloutPhasePaused, 1, map[string]int32{"web:1": 10, "web:2": 1})
	w.expectWeight(10)

	// The HPA scales up mid-pause: stable follows, the canary keeps its share, weight unchanged.
	w.ro.Spec.Replicas = ptr.To[int32](20)
	w.ro.Generation++
	w.settle()
	w.expect(v1alpha1.RolloutPhasePaused, 1, map[string]int32{"web:1": 20, "web:2": 2})
	w.expectAutoscalerView(20, "app=web")
	w.expectWeight(10)
}

// An aborted canary stays at zero however the HPA scales afterwards (Argo #4973).
func TestAutoscalerScalingAfterAbortNeverRegrowsTheCanary(t *testing.T) {
	w := newRoutedWorld(t, 10, weight(20), pause())
	w.setImage("web:2")
	w.settle()
	w.ro.Status.Abort = true
	w.settle()
	w.now = w.now.Add(31 * time.Second) // abortScaleDownDelaySeconds
	w.settle()
	w.expect(v1alpha1.RolloutPhaseDegraded, 0, map[string]int32{"web:1": 10, "web:2": 0})
	for _, replicas := range []int32{15, 4, 12} {
		w.ro.Spec.Replicas = ptr.To(replicas)
		w.ro.Generation++
		w.settle()
		w.expect(v1alpha1.RolloutPhaseDegraded, 0, map[string]int32{"web:1": replicas, "web:2": 0})
		w.expectAutoscalerView(replicas, "app=web")
		w.expectWeight(0)
	}
}

// Where the canary's pods are part of spec.replicas (no router, or dynamicStableScale), the
// autoscaler sees every pod, as it would of a Deployment.
func TestAutoscalerSeesEveryPodWhenTheCanaryIsPartOfSpecReplicas(t *testing.T) {
	t.Run("no router", func(t *testing.T) {
		w := newWorld(t, 10, weight(20), pause())
		w.settle()
		w.setImage("web:2")
		w.settle()
		w.expect(v1alpha1.RolloutPhasePaused, 1, map[string]int32{"web:1": 8, "web:2": 2})
		w.expectAutoscalerView(10, "app=web")
	})
	t.Run("dynamicStableScale", func(t *testing.T) {
		w := newRoutedWorld(t, 10, weight(40), pause())
		w.ro.Spec.Strategy.Canary.DynamicStableScale = true
		w.setImage("web:2")
		w.settle()
		w.expect(v1alpha1.RolloutPhasePaused, 1, map[string]int32{"web:1": 6, "web:2": 4})
		w.expectAutoscalerView(10, "app=web")
	})
}

// Blue-green: the autoscaler sees the active revision's pods and selects only them; the
// preview serves no users.
func TestAutoscalerSeesTheActiveRevisionUnderBlueGreen(t *testing.T) {
	w := newBlueGreenWorld(t, 3, v1alpha1.BlueGreenStrategy{AutoPromotionEnabled: ptr.To(false)})
	v1, v2 := w.hashOf("web:1"), w.hashOf("web:2")
	w.expectAutoscalerView(3, "app=web,rollouts-pod-template-hash="+v1)
	w.setImage("web:2")
	w.settle()
	w.expect(v1alpha1.RolloutPhasePaused, -1, map[string]int32{"web:1": 3, "web:2": 3})
	w.expectAutoscalerView(3, "app=web,rollouts-pod-template-hash="+v1)
	w.hpaAdopts()
	w.expect(v1alpha1.RolloutPhasePaused, -1, map[string]int32{"web:1": 3, "web:2": 3})

	w.ro.Status.PauseConditions = nil // promote
	w.settle()
	w.expectAutoscalerView(3, "app=web,rollouts-pod-template-hash="+v2)
}
