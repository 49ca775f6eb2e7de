//go:build e2e

package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/plan"
)

// kubectl ramp plan against a real Rollout predicts the release the controller then runs: the
// new revision's hash, and at each pause the step and both sides' pods.
func TestPlanPredictsTheRelease(t *testing.T) {
	ns := cluster.Namespace(t)
	cluster.StartController(t, controllerBin)
	applyRollout(t, ns, 5, "web:1", "setWeight: 20", "pause: {}", "setWeight: 60", "pause: {}")
	status(t, ns, 0)

	var p plan.Prediction
	out := rampOK(t, ns, "plan", "web", "--image", "web=web:2", "-o", "json")
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("plan -o json: %v\n%s", err, out)
	}
	if len(p.Steps) != 4 || p.Outcome != v1alpha1.RolloutPhaseHealthy || p.ManualGates != 2 {
		t.Fatalf("prediction: %d steps, %s, %d manual gates: want 4 steps ending Healthy after 2 promotions\n%s", len(p.Steps), p.Outcome, p.ManualGates, out)
	}
	if text := rampOK(t, ns, "plan", "web", "--image", "web=web:2"); !strings.Contains(text, "2/4   pause") || !strings.Contains(text, "Capacity:") {
		t.Errorf("plan's text lacks the steps or the capacity:\n%s", text)
	}
	if got := getRollout(t, ns).Spec.Template.Spec.Containers[0].Image; got != "web:1" {
		t.Fatalf("plan changed the Rollout: image %s", got)
	}

	rampOK(t, ns, "set", "image", "web", "web=web:2")
	for _, pauseAt := range []int{1, 3} {
		status(t, ns, 2)
		ro := getRollout(t, ns)
		if got := int(*ro.Status.CurrentStepIndex); got != pauseAt {
			t.Fatalf("paused at step index %d, the prediction pauses at %d", got, pauseAt)
		}
		if ro.Status.CurrentPodHash != p.To || ro.Status.StableRS != p.From {
			t.Fatalf("revisions %s -> %s, predicted %s -> %s", ro.Status.StableRS, ro.Status.CurrentPodHash, p.From, p.To)
		}
		want := p.Steps[pauseAt-1] // the setWeight step just done
		pods := replicaSetReplicas(t, ns)
		if pods[p.To] != want.CanaryPods || pods[p.From] != want.StablePods {
			t.Errorf("at step %s: canary %d stable %d pods, predicted %d and %d", want.Step, pods[p.To], pods[p.From], want.CanaryPods, want.StablePods)
		}
		rampOK(t, ns, "promote", "web")
	}
	status(t, ns, 0)
	if ro := getRollout(t, ns); ro.Status.StableRS != p.To {
		t.Errorf("stable revision %s, predicted %s", ro.Status.StableRS, p.To)
	}
}
