package render

import (
	"bytes"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// Objects read from a cluster may be half-filled: none of that may panic, and the output
// still names the rollout and every object given.
func TestPartialObjectsRender(t *testing.T) {
	named := func(name string) metav1.ObjectMeta { return metav1.ObjectMeta{Name: name} }
	for _, tc := range []struct {
		name string
		tree Tree
		want []string
	}{
		{"empty rollout", Tree{Rollout: &v1alpha1.Rollout{}}, []string{"Status:", "• Unknown", "Desired: 1"}},
		{"canary without steps or status", Tree{Rollout: &v1alpha1.Rollout{ObjectMeta: named("ro"),
			Spec: v1alpha1.RolloutSpec{Strategy: canary()}}}, []string{"Step:          -", "SetWeight:     100"}},
		{"step index past the end", Tree{Rollout: &v1alpha1.Rollout{ObjectMeta: named("ro"),
			Spec:   v1alpha1.RolloutSpec{Strategy: canary(setWeightStep(10), setWeightStep(60))},
			Status: v1alpha1.RolloutStatus{CurrentStepIndex: ptr.To(int32(99))}}}, []string{"2/2", "SetWeight:     100"}},
		{"negative step index", Tree{Rollout: &v1alpha1.Rollout{ObjectMeta: named("ro"),
			Spec:   v1alpha1.RolloutSpec{Strategy: canary(setWeightStep(10), pauseStep(nil))},
			Status: v1alpha1.RolloutStatus{CurrentStepIndex: ptr.To(int32(-3))}}}, []string{"1/2", "▶ 1. setWeight: 10"}},
		{"empty step", Tree{Rollout: &v1alpha1.Rollout{ObjectMeta: named("ro"),
			Spec: v1alpha1.RolloutSpec{Strategy: canary(v1alpha1.CanaryStep{})}}}, []string{"(empty step)"}},
		{"blue-green without status", Tree{Rollout: &v1alpha1.Rollout{ObjectMeta: named("ro"),
			Spec: v1alpha1.RolloutSpec{Strategy: v1alpha1.RolloutStrategy{BlueGreen: &v1alpha1.BlueGreenStrategy{}}}}},
			[]string{"ActiveSelector:   -", "PreviewSelector:  -"}},
		{"bare ReplicaSet, pod and run", Tree{
			Rollout:     &v1alpha1.Rollout{ObjectMeta: named("ro")},
			ReplicaSets: []appsv1.ReplicaSet{{ObjectMeta: named("ro-rs")}},
			Pods:        []corev1.Pod{{ObjectMeta: named("ro-rs-pod")}},
			Runs:        []v1alpha1.AnalysisRun{{ObjectMeta: named("ro-run")}},
		}, []string{"# revision:?", "ro-rs ", "ro-run", "○ Pending"}},
		{"pod without container statuses", Tree{
			Rollout:     &v1alpha1.Rollout{ObjectMeta: named("ro")},
			ReplicaSets: []appsv1.ReplicaSet{{ObjectMeta: metav1.ObjectMeta{Name: "ro-abc", UID: "rs-uid"}}},
			Pods: []corev1.Pod{{
				ObjectMeta: metav1.ObjectMeta{Name: "ro-abc-pod", OwnerReferences: []metav1.OwnerReference{controllerRef("ReplicaSet", "ro-abc", "rs-uid")}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}, {Name: "sidecar"}}},
				Status:     corev1.PodStatus{Phase: corev1.PodPending},
			}},
		}, []string{"ro-abc-pod", "○ Pending", "ready:0/2"}},
		{"run with empty metric results", Tree{
			Rollout:     &v1alpha1.Rollout{ObjectMeta: named("ro")},
			ReplicaSets: []appsv1.ReplicaSet{{ObjectMeta: metav1.ObjectMeta{Name: "ro-abc", Labels: map[string]string{v1alpha1.PodTemplateHashLabel: "abc"}}}},
			Runs: []v1alpha1.AnalysisRun{{ObjectMeta: named("ro-abc-background-0"), Status: v1alpha1.AnalysisRunStatus{
				Phase: v1alpha1.AnalysisPhaseRunning, Message: "measuring", MetricResults: []v1alpha1.MetricResult{{Name: "m"}},
			}}},
		}, []string{"   └──α ro-abc-background-0", "m ○"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteTree(&b, tc.tree, Options{Color: true}); err != nil {
				t.Fatalf("WriteTree: %v", err)
			}
			out := escapeCode.ReplaceAllString(b.String(), "")
			for _, want := range tc.want {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			b.Reset()
			if err := WriteList(&b, []v1alpha1.Rollout{*tc.tree.Rollout}, now, true, Options{}); err != nil {
				t.Fatalf("WriteList: %v", err)
			}
			if lines := strings.Count(b.String(), "\n"); lines != 2 {
				t.Errorf("list has %d lines, want header and one row:\n%s", lines, b.String())
			}
		})
	}
}
