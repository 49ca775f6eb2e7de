package plan

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*v1alpha1.Rollout)
		want   string // "" = valid; else a part of the message
	}{
		{"valid", func(*v1alpha1.Rollout) {}, ""},
		{"no selector", func(r *v1alpha1.Rollout) { r.Spec.Selector = nil }, "spec.selector is empty"},
		{"selector misses the template", func(r *v1alpha1.Rollout) { r.Spec.Template.Labels = nil }, "does not match spec.template.metadata.labels"},
		{"selector uses the hash label", func(r *v1alpha1.Rollout) {
			r.Spec.Selector.MatchLabels[v1alpha1.PodTemplateHashLabel] = "x"
			r.Spec.Template.Labels[v1alpha1.PodTemplateHashLabel] = "x"
		}, "must not use the rollouts-pod-template-hash label"},
		{"bad selector operator", func(r *v1alpha1.Rollout) {
			r.Spec.Selector.MatchExpressions = []metav1.LabelSelectorRequirement{{Key: "a", Operator: "Near"}}
		}, "spec.selector is invalid"},
		{"no canary", func(r *v1alpha1.Rollout) { r.Spec.Strategy.Canary = nil }, "spec.strategy.canary is required"},
		{"bad maxSurge", func(r *v1alpha1.Rollout) { r.Spec.Strategy.Canary.MaxSurge = ptr.To(intstr.FromString("many")) }, "maxSurge/maxUnavailable"},
		{"bad pause", func(r *v1alpha1.Rollout) {
			r.Spec.Strategy.Canary.Steps = []v1alpha1.CanaryStep{{Pause: &v1alpha1.RolloutPause{Duration: ptr.To(intstr.FromString("5x"))}}}
		}, "steps[0].pause.duration"},
		{"canary scale without router", func(r *v1alpha1.Rollout) {
			r.Spec.Strategy.Canary.Steps = []v1alpha1.CanaryStep{weight(10), {SetCanaryScale: &v1alpha1.SetCanaryScale{Replicas: ptr.To[int32](1)}}}
		}, "steps[1].setCanaryScale needs"},
		{"header route without router", func(r *v1alpha1.Rollout) {
			r.Spec.Strategy.Canary.Steps = []v1alpha1.CanaryStep{{SetHeaderRoute: &v1alpha1.SetHeaderRoute{Name: "x"}}}
		}, "header and mirror routes need"},
		{"analysis step", func(r *v1alpha1.Rollout) {
			r.Spec.Strategy.Canary.Steps = []v1alpha1.CanaryStep{{Analysis: &v1alpha1.RolloutAnalysis{}}}
		}, "steps[0].analysis"},
		{"dynamicStableScale without router", func(r *v1alpha1.Rollout) { r.Spec.Strategy.Canary.DynamicStableScale = true }, "dynamicStableScale needs"},
		{"side metadata on a selector label", func(r *v1alpha1.Rollout) {
			r.Spec.Strategy.Canary.StableMetadata = &v1alpha1.PodTemplateMetadata{Labels: map[string]string{"app": "x"}}
		}, "stableMetadata.labels.app"},
		{"traffic routing", func(r *v1alpha1.Rollout) {
			r.Spec.Strategy.Canary.TrafficRouting = &v1alpha1.RolloutTrafficRouting{}
		}, "trafficRouting is not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ro := newWorld(t, 3, weight(50), pause()).ro
			tt.mutate(ro)
			got := Validate(ro)
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("Validate = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestValidateRejectsAStepWithoutAction(t *testing.T) {
	ro := newWorld(t, 3, weight(50), v1alpha1.CanaryStep{}).ro
	if got := Validate(ro); !strings.Contains(got, "steps[1] has no action") {
		t.Errorf("Validate = %q", got)
	}
}
