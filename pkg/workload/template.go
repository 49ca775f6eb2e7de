package workload

import (
	"encoding/json"
	"maps"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// A revision is its pod template as the API server stores it, defaults applied: a template
// copied back from a ReplicaSet (kubectl argo rollouts undo, a GitOps revert of an exported
// manifest) hashes differently from the one the user first wrote, yet is the same revision.
// As a Deployment and Argo Rollouts do, the controller then compares defaulted templates: the
// Rollout's template defaulted by the API server itself (a dry-run create) against each
// ReplicaSet's. Hashes stay those of the templates as written, so no revision changes name.

// MayBeRevisionOf is a cheap first test of whether the desired template, once defaulted, could
// equal the ReplicaSet's: every field it sets has the same value in the ReplicaSet's template
// (defaulting only fills in fields left unset). False means it certainly does not.
func MayBeRevisionOf(desired *corev1.PodTemplateSpec, rs *appsv1.ReplicaSet) bool {
	d, err := asJSONValue(comparable(desired, rs))
	if err != nil {
		return false
	}
	l, err := asJSONValue(comparable(&rs.Spec.Template, rs))
	if err != nil {
		return false
	}
	return subset(d, l)
}

// IsRevisionOf reports whether a defaulted pod template is the ReplicaSet's revision: equal to
// its template but for ramp's own labels and annotations (the hash label, and the side
// metadata it puts on a revision's pods).
func IsRevisionOf(defaulted *corev1.PodTemplateSpec, rs *appsv1.ReplicaSet) bool {
	return equality.Semantic.DeepEqual(comparable(defaulted, rs), comparable(&rs.Spec.Template, rs))
}

// comparable is a template without what ramp adds to rs's: the hash label and rs's side
// metadata (only where the value is the one ramp put there).
func comparable(tpl *corev1.PodTemplateSpec, rs *appsv1.ReplicaSet) *corev1.PodTemplateSpec {
	out := tpl.DeepCopy()
	side := EphemeralOf(rs)
	out.Labels = without(out.Labels, side.Labels)
	delete(out.Labels, v1alpha1.PodTemplateHashLabel)
	out.Annotations = without(out.Annotations, side.Annotations)
	if len(out.Labels) == 0 {
		out.Labels = nil
	}
	if len(out.Annotations) == 0 {
		out.Annotations = nil
	}
	return out
}

func without(m, remove map[string]string) map[string]string {
	out := maps.Clone(m)
	for k, v := range remove {
		if out[k] == v {
			delete(out, k)
		}
	}
	return out
}

func asJSONValue(v any) (any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	return out, json.Unmarshal(data, &out)
}

// subset: every value set in a is in b, maps key by key, lists element by element.
func subset(a, b any) bool {
	switch a := a.(type) {
	case map[string]any:
		bm, ok := b.(map[string]any)
		if !ok {
			return false
		}
		for k, v := range a {
			if !subset(v, bm[k]) {
				return false
			}
		}
		return true
	case []any:
		bl, ok := b.([]any)
		if !ok || len(a) != len(bl) {
			return false
		}
		for i := range a {
			if !subset(a[i], bl[i]) {
				return false
			}
		}
		return true
	case nil:
		return true
	}
	return a == b
}
