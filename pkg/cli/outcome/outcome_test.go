package outcome

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

func TestJudge(t *testing.T) {
	at := func(gen, observed int64, phase v1alpha1.RolloutPhase, msg string) *v1alpha1.Rollout {
		ro := &v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Generation: gen}}
		ro.Spec.Strategy.Canary = &v1alpha1.CanaryStrategy{Steps: make([]v1alpha1.CanaryStep, 4)}
		ro.Status = v1alpha1.RolloutStatus{ObservedGeneration: observed, Phase: phase, Message: msg, CurrentStepIndex: ptr.To[int32](1)}
		return ro
	}
	for _, tc := range []struct {
		ro   *v1alpha1.Rollout
		kind Kind
		line string
	}{
		{at(3, 3, v1alpha1.RolloutPhaseHealthy, "revision a runs at full scale"), Healthy, "Healthy: revision a runs at full scale"},
		{at(3, 2, v1alpha1.RolloutPhaseHealthy, "old news"), Going, "waiting for the controller to observe generation 3"},
		{at(3, 3, v1alpha1.RolloutPhaseDegraded, "aborted"), Degraded, "Degraded at step 2/4: aborted"},
		{at(3, 3, v1alpha1.RolloutPhasePaused, "paused until promoted"), Paused, "Paused at step 2/4: paused until promoted"},
		{at(3, 3, v1alpha1.RolloutPhaseProgressing, "scaling"), Going, "Progressing at step 2/4: scaling"},
		{at(3, 3, v1alpha1.RolloutPhaseProgressing, "step 2/4: setWeight 50"), Going, "Progressing: step 2/4: setWeight 50"},
		{at(1, 0, "", ""), Going, "waiting for the controller to observe generation 1"},
		{timedPause(), Going, "Paused at step 2/4: paused for 10s"},
		{timedPause(func(ro *v1alpha1.Rollout) { ro.Spec.Paused = true }), Paused, "Paused at step 2/4: paused for 10s"},
		{timedPause(func(ro *v1alpha1.Rollout) {
			ro.Status.PauseConditions[0].Reason = v1alpha1.PauseReasonInconclusiveAnalysis
		}), Paused, "Paused at step 2/4: paused for 10s"},
		{autoPromoted(30), Going, "Paused: preview ready"},
		{autoPromoted(0), Paused, "Paused: preview ready"},
	} {
		if got := Judge(tc.ro); got.Kind != tc.kind || got.Line != tc.line {
			t.Errorf("Judge(%s gen %d/%d) = %+v, want %v %q", tc.ro.Status.Phase, tc.ro.Status.ObservedGeneration, tc.ro.Generation, got, tc.kind, tc.line)
		}
	}
}

// timedPause is a canary in a pause step of 10s, which ends without a human.
func timedPause(mutate ...func(*v1alpha1.Rollout)) *v1alpha1.Rollout {
	ro := &v1alpha1.Rollout{}
	ro.Spec.Strategy.Canary = &v1alpha1.CanaryStrategy{Steps: []v1alpha1.CanaryStep{
		{SetWeight: ptr.To[int32](20)}, {Pause: &v1alpha1.RolloutPause{Duration: ptr.To(intstr.FromString("10s"))}}, {SetWeight: ptr.To[int32](50)}, {Pause: &v1alpha1.RolloutPause{}}}}
	ro.Status = v1alpha1.RolloutStatus{Phase: v1alpha1.RolloutPhasePaused, Message: "paused for 10s", CurrentStepIndex: ptr.To[int32](1),
		PauseConditions: []v1alpha1.PauseCondition{{Reason: v1alpha1.PauseReasonCanaryPauseStep}}}
	for _, m := range mutate {
		m(ro)
	}
	return ro
}

func autoPromoted(seconds int32) *v1alpha1.Rollout {
	ro := &v1alpha1.Rollout{}
	ro.Spec.Strategy.BlueGreen = &v1alpha1.BlueGreenStrategy{ActiveService: "web", AutoPromotionSeconds: seconds}
	ro.Status = v1alpha1.RolloutStatus{Phase: v1alpha1.RolloutPhasePaused, Message: "preview ready",
		PauseConditions: []v1alpha1.PauseCondition{{Reason: v1alpha1.PauseReasonBlueGreenPause}}}
	return ro
}
