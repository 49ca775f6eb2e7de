package workload

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// written is a template as a user writes it; stored is the same after the API server's
// defaults, as a ReplicaSet holds it, with ramp's hash label and side metadata.
func written() *corev1.PodTemplateSpec {
	return &corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "web", Image: "nginx:1.29",
			Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1000m")}},
		}}},
	}
}

func stored() *appsv1.ReplicaSet {
	tpl := written()
	tpl.Labels = map[string]string{"app": "web", v1alpha1.PodTemplateHashLabel: "abc", "role": "stable"}
	c := &tpl.Spec.Containers[0]
	c.ImagePullPolicy, c.TerminationMessagePath, c.TerminationMessagePolicy = corev1.PullIfNotPresent, "/dev/termination-log", corev1.TerminationMessageReadFile
	c.Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}
	tpl.Spec.RestartPolicy, tpl.Spec.DNSPolicy, tpl.Spec.SchedulerName = corev1.RestartPolicyAlways, corev1.DNSClusterFirst, "default-scheduler"
	tpl.Spec.SecurityContext = &corev1.PodSecurityContext{}
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "web-abc", Labels: map[string]string{v1alpha1.PodTemplateHashLabel: "abc"}}}
	rs.Spec.Template = *tpl
	WithMetadata(rs, v1alpha1.PodTemplateMetadata{Labels: map[string]string{"role": "stable"}})
	return rs
}

func TestMayBeRevisionOf(t *testing.T) {
	rs := stored()
	if !MayBeRevisionOf(written(), rs) {
		t.Error("the template as written is not a candidate for its own defaulted revision")
	}
	copied := rs.Spec.Template.DeepCopy() // kubectl argo rollouts undo: the ReplicaSet's template, hash label removed
	delete(copied.Labels, v1alpha1.PodTemplateHashLabel)
	if !MayBeRevisionOf(copied, rs) {
		t.Error("a template copied back from the ReplicaSet is not a candidate")
	}
	other := written()
	other.Spec.Containers[0].Image = "nginx:1.30"
	if MayBeRevisionOf(other, rs) {
		t.Error("another image is a candidate")
	}
	extra := written()
	extra.Spec.Containers = append(extra.Spec.Containers, corev1.Container{Name: "sidecar", Image: "envoy"})
	if MayBeRevisionOf(extra, rs) {
		t.Error("a template with another container is a candidate")
	}
	label := written()
	label.Labels["tier"] = "front"
	if MayBeRevisionOf(label, rs) {
		t.Error("a template with another label is a candidate")
	}
}

func TestIsRevisionOf(t *testing.T) {
	rs := stored()
	defaulted := rs.Spec.Template.DeepCopy()
	delete(defaulted.Labels, v1alpha1.PodTemplateHashLabel)
	delete(defaulted.Labels, "role") // the dry-run of the template as written has no side metadata
	if !IsRevisionOf(defaulted, rs) {
		t.Error("the defaulted template is not its revision")
	}
	withSide := rs.Spec.Template.DeepCopy() // copied back with the side metadata on it
	if !IsRevisionOf(withSide, rs) {
		t.Error("the ReplicaSet's own template (side metadata included) is not its revision")
	}
	pull := defaulted.DeepCopy()
	pull.Spec.Containers[0].ImagePullPolicy = corev1.PullAlways
	if IsRevisionOf(pull, rs) {
		t.Error("another imagePullPolicy is the same revision")
	}
	if IsRevisionOf(written(), rs) {
		t.Error("a template without its defaults compares equal: the comparison must be of defaulted templates")
	}
}
