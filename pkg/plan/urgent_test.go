package plan

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/workload"
)

func stableRollout() *v1alpha1.Rollout {
	ro := &v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web", Generation: 1}}
	ro.Spec.Template = corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "web:1"}}}}
	hash, _ := workload.TemplateHash(&ro.Spec.Template, nil)
	ro.Status.StableRS, ro.Status.CurrentPodHash = hash, hash
	return ro
}

func TestUrgentChange(t *testing.T) {
	base := stableRollout()
	tests := []struct {
		name   string
		change func(*v1alpha1.Rollout)
		urgent bool
	}{
		{"replica count", func(ro *v1alpha1.Rollout) { ro.Status.AvailableReplicas = 3 }, false},
		{"abort", func(ro *v1alpha1.Rollout) { ro.Status.Abort = true }, true},
		{"promote full", func(ro *v1alpha1.Rollout) { ro.Status.PromoteFull = true }, true},
		{"new image", func(ro *v1alpha1.Rollout) { ro.Generation, ro.Spec.Template.Spec.Containers[0].Image = 2, "web:2" }, false},
		{"template back to stable", func(ro *v1alpha1.Rollout) {
			ro.Status.CurrentPodHash = "canaryhash" // a release of another revision is under way
			ro.Generation = 2
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old, cur := base.DeepCopy(), base.DeepCopy()
			if tt.name == "template back to stable" {
				old.Status.CurrentPodHash = "canaryhash"
			}
			tt.change(cur)
			if got := UrgentChange(old, cur); got != tt.urgent {
				t.Errorf("urgent = %v, want %v", got, tt.urgent)
			}
		})
	}
	paused := base.DeepCopy()
	paused.Status.PauseConditions = []v1alpha1.PauseCondition{{Reason: v1alpha1.PauseReasonCanaryPauseStep}}
	paused.Status.ControllerPause = true
	promoted := paused.DeepCopy()
	promoted.Status.PauseConditions = nil
	if !UrgentChange(paused, promoted) {
		t.Error("a user's promotion is not urgent")
	}
}
