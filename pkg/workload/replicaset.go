package workload

import (
	"encoding/json"
	"maps"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// ReplicaSetName is the name of the ReplicaSet of one revision: <rollout>-<hash>.
func ReplicaSetName(rolloutName, hash string) string { return rolloutName + "-" + hash }

// NewReplicaSet is the ReplicaSet of the revision with the given hash: the Rollout's pod template
// with the hash label added to its labels and to the Rollout's selector, owned by the Rollout.
func NewReplicaSet(ro *v1alpha1.Rollout, hash string, revision int64, replicas int32) *appsv1.ReplicaSet {
	template := *ro.Spec.Template.DeepCopy()
	written, _ := json.Marshal(ro.Spec.Template) // a PodTemplateSpec always marshals
	template.Labels = withLabel(template.Labels, v1alpha1.PodTemplateHashLabel, hash)

	selector := &metav1.LabelSelector{}
	if ro.Spec.Selector != nil {
		selector = ro.Spec.Selector.DeepCopy()
	}
	selector.MatchLabels = withLabel(selector.MatchLabels, v1alpha1.PodTemplateHashLabel, hash)

	return &appsv1.ReplicaSet{
		TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "ReplicaSet"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      ReplicaSetName(ro.Name, hash),
			Namespace: ro.Namespace,
			Labels:    maps.Clone(template.Labels),
			Annotations: map[string]string{
				v1alpha1.RevisionAnnotation: strconv.FormatInt(revision, 10),
				v1alpha1.TemplateAnnotation: string(written),
			},
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(ro, v1alpha1.GroupVersion.WithKind("Rollout"))},
		},
		Spec: appsv1.ReplicaSetSpec{
			Replicas:        &replicas,
			MinReadySeconds: ro.Spec.MinReadySeconds,
			Selector:        selector,
			Template:        template,
		},
	}
}

// HashOf is the revision hash a ReplicaSet carries in its labels, or "" when it has none.
// A revision's ReplicaSet is recognised (and an orphan adopted) by this label, not by
// comparing templates: the API server defaults a ReplicaSet's pod template but not the
// Rollout's, so the two never compare equal field by field.
func HashOf(rs *appsv1.ReplicaSet) string { return rs.Labels[v1alpha1.PodTemplateHashLabel] }

// Revision is the revision number a ReplicaSet carries, or 0 when it has none or a bad one.
func Revision(rs *appsv1.ReplicaSet) int64 {
	n, err := strconv.ParseInt(rs.Annotations[v1alpha1.RevisionAnnotation], 10, 64)
	if err != nil {
		return 0
	}
	return n
}

func withLabel(labels map[string]string, key, value string) map[string]string {
	out := maps.Clone(labels)
	if out == nil {
		out = map[string]string{}
	}
	out[key] = value
	return out
}

// RecordedTemplate is the pod template the Rollout had when it created rs, false when rs has
// none recorded (created by an older ramp, or by someone else) or a mangled one.
func RecordedTemplate(rs *appsv1.ReplicaSet) (corev1.PodTemplateSpec, bool) {
	var tpl corev1.PodTemplateSpec
	s, ok := rs.Annotations[v1alpha1.TemplateAnnotation]
	if !ok || json.Unmarshal([]byte(s), &tpl) != nil {
		return corev1.PodTemplateSpec{}, false
	}
	return tpl, true
}
