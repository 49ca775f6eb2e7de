package render

import (
	"testing"

	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

func TestStepAndWeight(t *testing.T) {
	steps := []v1alpha1.CanaryStep{setWeightStep(20), pauseStep(nil), setWeightStep(50), pauseStep(nil)}
	for _, tc := range []struct {
		name       string
		status     v1alpha1.RolloutStatus
		maxWeight  *int32
		wantStep   string
		wantWeight int32
	}{
		{"first step", v1alpha1.RolloutStatus{}, nil, "1/4", 20},
		{"pause after a weight", v1alpha1.RolloutStatus{CurrentStepIndex: ptr.To(int32(3))}, nil, "4/4", 50},
		{"all done", v1alpha1.RolloutStatus{CurrentStepIndex: ptr.To(int32(4))}, nil, "4/4", 100},
		{"healthy whatever the index says", v1alpha1.RolloutStatus{Phase: v1alpha1.RolloutPhaseHealthy, StableRS: "a", CurrentPodHash: "a",
			CurrentStepIndex: ptr.To(int32(1))}, nil, "4/4", 100},
		{"healthy but a new revision is coming", v1alpha1.RolloutStatus{Phase: v1alpha1.RolloutPhaseHealthy, StableRS: "a", CurrentPodHash: "b",
			CurrentStepIndex: ptr.To(int32(1))}, nil, "2/4", 20},
		{"aborted", v1alpha1.RolloutStatus{Abort: true, CurrentStepIndex: ptr.To(int32(2))}, nil, "3/4", 0},
		{"done with maxTrafficWeight", v1alpha1.RolloutStatus{CurrentStepIndex: ptr.To(int32(4))}, ptr.To(int32(1000)), "4/4", 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ro := &v1alpha1.Rollout{Spec: v1alpha1.RolloutSpec{Strategy: canary(steps...)}, Status: tc.status}
			if tc.maxWeight != nil {
				ro.Spec.Strategy.Canary.TrafficRouting = &v1alpha1.RolloutTrafficRouting{MaxTrafficWeight: tc.maxWeight}
			}
			c := progressOf(ro)
			if got := c.label(); got != tc.wantStep {
				t.Errorf("step %q, want %q", got, tc.wantStep)
			}
			if got := setWeight(ro, c); got != tc.wantWeight {
				t.Errorf("setWeight %d, want %d", got, tc.wantWeight)
			}
		})
	}
}
