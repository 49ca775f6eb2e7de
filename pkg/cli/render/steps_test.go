package render

import (
	"testing"

	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

func TestDescribeStep(t *testing.T) {
	for _, tc := range []struct {
		step v1alpha1.CanaryStep
		want string
	}{
		{setWeightStep(20), "setWeight: 20"},
		{pauseStep(nil), "pause (until promoted)"},
		{pauseStep(ptr.To(intstr.FromString("30s"))), "pause: 30s"},
		{pauseStep(ptr.To(intstr.FromString("45"))), "pause: 45s"},
		{pauseStep(ptr.To(intstr.FromInt32(90))), "pause: 90s"},
		{v1alpha1.CanaryStep{SetCanaryScale: &v1alpha1.SetCanaryScale{Replicas: ptr.To(int32(2))}}, "setCanaryScale: replicas 2"},
		{v1alpha1.CanaryStep{SetCanaryScale: &v1alpha1.SetCanaryScale{Weight: ptr.To(int32(30))}}, "setCanaryScale: weight 30%"},
		{v1alpha1.CanaryStep{SetCanaryScale: &v1alpha1.SetCanaryScale{MatchTrafficWeight: true}}, "setCanaryScale: matchTrafficWeight"},
		{analysisStep("template-a", "template-b"), "analysis: template-a, template-b"},
		{v1alpha1.CanaryStep{SetHeaderRoute: &v1alpha1.SetHeaderRoute{Name: "beta-testers", Match: []v1alpha1.HeaderRoutingMatch{{HeaderName: "x-beta"}}}}, "setHeaderRoute: beta-testers"},
		{v1alpha1.CanaryStep{SetHeaderRoute: &v1alpha1.SetHeaderRoute{Name: "beta-testers"}}, "setHeaderRoute: beta-testers (remove)"},
		{v1alpha1.CanaryStep{SetMirrorRoute: &v1alpha1.SetMirrorRoute{Name: "mirror-1", Percentage: ptr.To(int32(50)), Match: []v1alpha1.RouteMatch{{}}}}, "setMirrorRoute: mirror-1 (50%)"},
		{v1alpha1.CanaryStep{SetMirrorRoute: &v1alpha1.SetMirrorRoute{Name: "mirror-1", Match: []v1alpha1.RouteMatch{{}}}}, "setMirrorRoute: mirror-1 (100%)"},
		{v1alpha1.CanaryStep{}, "(empty step)"},
	} {
		if got := describeStep(tc.step); got != tc.want {
			t.Errorf("describeStep = %q, want %q", got, tc.want)
		}
	}
}

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
